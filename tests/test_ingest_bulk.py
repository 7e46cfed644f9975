"""The set-based ingest path answers and stores exactly what the record-by-record path does.

The same deliveries — new, updated, stale, replayed, partial, duplicated within a batch, invalid, unmatched,
ambiguous, refused — go through both paths on an emptied database each; the responses and every row (generated
ids replaced by the records' names) must be equal. A statement count proves the common batch is set-based.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.bulk_paths import answers, at, hub_state, names, record_by_record
from tests.databases import empty_all_tables
from tests.ingesting import ingest, statuses

Delivery = tuple[str, str, list[Any]]


def account(n: int, **fields: Any) -> dict[str, Any]:
    return {"external_id": f"a{n}", "name": f"Account {n}", "domain": f"a{n}.example", **fields}


def contract(n: int, account_ref: dict[str, str], **fields: Any) -> dict[str, Any]:
    lines = [{"product": "Hub", "quantity": 2, "unit_price": "10.00"}, {"product": f"Add-on {n % 2}", "mrr": "5"}]
    return {"external_id": f"k{n}", **account_ref, "status": "active", "start_date": "2026-01-01", "lines": lines,
            **fields}  # fmt: skip


def ticket(n: int, account_ref: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {"external_id": f"t{n}", **account_ref, "status": "open", "opened_at": at(0), "subject": f"Ticket {n}",
            **fields}  # fmt: skip


MIXED: list[Delivery] = [
    (
        "crm",
        "accounts",
        [
            account(1, updated_at=at(1), segment="enterprise"),
            account(2, parent_external_id="a1"),
            account(3, domain="gmail.com"),
            account(4, parent_external_id="a9"),
            {"external_id": "bad"},
            account(5, segment="huge"),
            account(6, domain=None),
        ],
    ),
    # Another source: matched by domain, new, and two records naming one domain (the batch falls back).
    ("billing", "accounts", [account(1, external_id="b1", industry="Retail"), account(7, external_id="b7")]),
    (
        "billing",
        "accounts",
        [account(8, external_id="b8", domain="shared.example"), account(9, external_id="b9", domain="shared.example")],
    ),
    # Updates of accounts another source also sends (a1, with billing's b1): each profile is recomputed from both
    # sources' links, this batch's laid over what was stored; a1 is partial (its domain comes from the stored record).
    (
        "crm",
        "accounts",
        [{"external_id": "a1", "segment": "smb", "updated_at": at(2)}, account(2, industry="Media")],
    ),
    (
        "support",
        "survey-responses",
        [
            {
                "external_id": "s1",
                "account_domain": "a1.example",
                "contact_email": "ann@a1.example",
                "kind": "nps",
                "score": 9,
                "responded_at": at(2),
            },
        ],
    ),
    (
        "crm",
        "contacts",
        [
            {
                "external_id": "c1",
                "account_external_id": "a1",
                "email": "Ann@a1.example",
                "name": "Ann",
                "updated_at": at(1),
            },
            {"external_id": "c2", "account_domain": "a2.example", "email": "bo@a2.example", "role": "champion"},
            {"external_id": "c3", "account_external_id": "nobody", "email": "x@nowhere.example"},
            {"external_id": "c4", "account_domain": "shared.example", "name": "Ambiguous"},
            {"external_id": "c5", "account_domain": "gmail.com", "name": "Free mail"},
            {"external_id": "c6", "account_external_id": "a1", "email": "not an address"},
            {"external_id": "c7", "account_external_id": "a2", "role": "wizard"},
            {"external_id": "c8", "account_external_id": "a1", "email": "ann@a1.example", "name": "Ann twin"},
        ],
    ),
    (
        "crm",
        "contacts",
        [
            {"external_id": "c1", "account_external_id": "a1", "title": "CTO", "updated_at": at(3)},  # partial
            {"external_id": "c1", "account_external_id": "a1", "title": "CEO", "updated_at": at(2)},  # duplicate, stale
        ],
    ),
    (
        "crm",
        "contacts",
        [
            {"external_id": "c1", "account_external_id": "a1", "title": "Intern", "updated_at": at(0)},  # stale
            {
                "external_id": "c2",
                "account_domain": "a2.example",
                "email": "bo@a2.example",
                "role": "champion",
            },  # replay
            {"external_id": "c8", "account_external_id": "a2", "email": "ann@a1.example", "name": "Ann twin"},  # moved
            {"external_id": "c9", "account_external_id": "a7"},  # unmatched until crm sends a7
            {"external_id": "c3", "account_external_id": "nobody", "email": "x@nowhere.example"},  # still unmatched
        ],
    ),
    (
        "crm",
        "contracts",
        [
            contract(1, {"account_external_id": "a1"}, updated_at=at(1)),
            contract(2, {"account_domain": "a2.example"}, status="ended", end_date="2026-06-01"),
            contract(3, {"account_external_id": "nobody"}),
            contract(4, {"account_external_id": "a1"}, lines=[{"product": "Hub"}]),
            contract(5, {"account_external_id": "a1"}, end_date="2025-01-01"),
            contract(6, {"account_external_id": "a2"}, lines=[]),
        ],
    ),
    (
        "crm",
        "contracts",
        [
            {"external_id": "k1", "account_external_id": "a1", "status": "cancelled", "updated_at": at(2)},  # partial
            contract(2, {"account_domain": "a2.example"}, status="ended", end_date="2026-06-01"),  # replay
            contract(6, {"account_external_id": "a2"}, lines=[{"product": "Seats", "quantity": 5, "mrr": "50"}]),
            {"external_id": "k7", "account_external_id": "a1", "status": "active"},  # new but incomplete
        ],
    ),
    (
        "crm",
        "contracts",
        [
            contract(1, {"account_external_id": "a1"}, updated_at=at(0)),  # stale
            contract(1, {"account_external_id": "a1"}, updated_at=at(0)),  # the same again: the batch falls back
        ],
    ),
    (
        "crm",
        "contracts",
        [
            contract(1, {"account_external_id": "a1"}, updated_at=at(0)),  # stale
            {"external_id": "k5", "account_external_id": "a1", "end_date": "2026-02-01"},  # now valid
        ],
    ),
    ("zendesk", "accounts", [account(1, external_id="z1"), account(2, external_id="z2")]),
    (
        "zendesk",
        "tickets",
        [
            ticket(1, {"account_external_id": "z1"}, priority="high"),
            ticket(2, {"account_external_id": "z2"}, priority="urgent", updated_at=at(1)),
            ticket(3, {"account_external_id": "z1"}, priority="low", csat=4),
            ticket(4, {"account_domain": "nowhere.example"}, priority="urgent"),
            ticket(5, {"account_external_id": "z1"}, csat=9),
            ticket(6, {"account_external_id": "z2"}, solved_at="2020-01-01T00:00:00Z"),
        ],
    ),
    (
        "zendesk",
        "tickets",
        [
            {"external_id": "t1", "account_external_id": "z1", "priority": "urgent"},  # escalates again
            {"external_id": "t2", "account_external_id": "z2", "priority": "low", "updated_at": at(2)},
            {
                "external_id": "t3",
                "account_external_id": "z1",
                "priority": "high",
                "status": "solved",
                "solved_at": at(1),
            },
            ticket(2, {"account_external_id": "z2"}, priority="urgent", updated_at=at(0)),  # stale
        ],
    ),
    (
        "zendesk",
        "tickets",
        [
            {"external_id": "t2", "account_external_id": "z2", "priority": "urgent", "updated_at": at(3)},  # no event
            {"external_id": "t3", "account_external_id": "z1", "priority": "high"},  # replay
        ],
    ),
    (
        "zendesk",
        "tickets",
        [
            {"external_id": "t2", "account_external_id": "z2", "priority": "high", "updated_at": at(2)},  # stale
            ticket(7, {"account_external_id": "z2"}, priority="urgent"),
        ],
    ),
    (
        "crm",
        "timeline-events",
        [
            {"external_id": "e1", "account_external_id": "a1", "kind": "qbr", "occurred_at": at(4), "summary": "QBR"},
            {"external_id": "e2", "account_external_id": "a9", "kind": "call", "occurred_at": at(4), "summary": "?"},
        ],
    ),
    # a7 and a9 arrive: the waiting contact, the waiting event and a4's parent resolve.
    ("crm", "accounts", [account(7, domain="a7.example"), account(9)]),
    # Updates: profile change, partial, stale, replay, a domain another source's account holds, parent cleared.
    (
        "crm",
        "accounts",
        [
            {"external_id": "a1", "name": "Account One", "updated_at": at(5)},
            {"external_id": "a2", "csm_owner": "Dana", "parent_external_id": None},
            account(3, domain="gmail.com"),
            {"external_id": "a6", "name": "Account 6", "domain": "b8.example"},
            {"external_id": "a9", "name": "Late", "updated_at": at(0)},
        ],
    ),
    ("crm", "accounts", [{"external_id": "a1", "name": "Old name", "updated_at": at(4)}]),  # stale
]


async def _deliver(engine: AsyncEngine, deliveries: list[Delivery]) -> tuple[list[Any], dict[str, list[str]]]:
    batches = [await ingest(engine, source, entity, records) for source, entity, records in deliveries]
    known = await names(engine)
    return [answers(batch, known) for batch in batches], await hub_state(engine)


async def test_mixed_batches_answer_and_store_the_same_on_both_paths(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with record_by_record(monkeypatch):
        one_by_one = await _deliver(engine, MIXED)
    await empty_all_tables(engine)
    in_bulk = await _deliver(engine, MIXED)
    for (source, entity, _), expected, got in zip(MIXED, one_by_one[0], in_bulk[0], strict=True):
        assert got == expected, f"{source} {entity}"
    for table, rows in one_by_one[1].items():
        assert in_bulk[1][table] == rows, table
    # The scenario reaches what it claims to: every status, events of each kind, resolved waiting records.
    every = {status for batch in one_by_one[0] for _, status, _, _ in batch}
    assert every == {"created", "updated", "unchanged", "stale", "unmatched", "rejected"}
    kinds = {row.split("'type', '")[1].split("'")[0] for row in one_by_one[1]["events"]}
    assert kinds == {
        "contract.created",
        "contract.ended",
        "ticket.escalated",
        "ingest.unmatched",
        "timeline.entry_added",
    }
    assert any("('resolved_at', True)" in row for row in one_by_one[1]["unmatched_records"])


async def test_a_record_the_database_refuses_is_the_only_one_rejected(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A constraint the records' models do not know (added here, as a deployment might) refuses one record of
    a set-based batch: the batch is written record by record, and only that record is rejected."""
    async with engine.begin() as conn:
        await conn.execute(sa.text("ALTER TABLE tickets ADD CONSTRAINT ck_test_no_secret CHECK (subject <> 'secret')"))
    deliveries: list[Delivery] = [
        ("zendesk", "accounts", [account(1), account(2, domain="bad.example", name="secret")]),
        ("zendesk", "tickets", [ticket(1, {"account_external_id": "a1"}, priority="urgent"),
                                ticket(2, {"account_external_id": "a1"}, subject="secret"),
                                ticket(3, {"account_external_id": "a2"})]),
    ]  # fmt: skip
    try:
        with record_by_record(monkeypatch):
            one_by_one = await _deliver(engine, deliveries)
        await empty_all_tables(engine)
        in_bulk = await _deliver(engine, deliveries)
    finally:
        async with engine.begin() as conn:
            await conn.execute(sa.text("ALTER TABLE tickets DROP CONSTRAINT ck_test_no_secret"))
    assert in_bulk[1] == one_by_one[1]
    refused = in_bulk[0][1][1][3][0]["message"]
    assert refused.startswith("refused by the database (ck_test_no_secret): Failing row contains")
    assert in_bulk[0][1][1][:3] == (1, "rejected", None)
    assert [answer[:3] for answer in in_bulk[0][1]] == [answer[:3] for answer in one_by_one[0][1]]
    assert in_bulk[0][0] == one_by_one[0][0]


class StatementCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1

    def __enter__(self) -> "StatementCounter":
        sa.event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *args: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self)


@pytest.fixture
def counting(engine: AsyncEngine) -> Iterator[StatementCounter]:
    with StatementCounter(engine) as counter:
        yield counter


SIZE = 300


@pytest.mark.parametrize(
    ("entity", "make"),
    [
        ("accounts", lambda n, v: account(100 + n, segment="smb" if v else "enterprise", updated_at=at(v))),
        ("contacts", lambda n, v: {"external_id": f"c{n}", "account_external_id": f"a{n % 50}",
                                   "email": f"p{n}@a.example", "title": f"v{v}"}),
        ("contracts", lambda n, v: contract(n, {"account_external_id": f"a{n % 50}"}, auto_renew=bool(v))),
        ("tickets", lambda n, v: ticket(n, {"account_external_id": f"a{n % 50}"}, priority=["normal", "high"][v])),
    ],
)  # fmt: skip
async def test_a_batch_of_new_or_updated_records_takes_a_fixed_number_of_statements(
    engine: AsyncEngine, counting: StatementCounter, entity: str, make: Any
) -> None:
    """Record by record, a batch took about four statements per record; set-based, the count does not grow
    with the batch."""
    await ingest(engine, "crm", "accounts", [account(n) for n in range(50)])
    for version in (0, 1):  # created, then updated
        counting.count = 0
        batch = await ingest(engine, "crm", entity, [make(n, version) for n in range(SIZE)])
        assert set(statuses(batch)) == {"updated" if version else "created"}
        assert counting.count <= 25, f"{entity}: {counting.count} statements for {SIZE} records"
