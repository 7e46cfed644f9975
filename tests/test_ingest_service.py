"""The ingest service on a real PostgreSQL: statuses, identity resolution, provenance, rollups."""

import asyncio
import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.contracts.queries import mrr_of_accounts
from service.ingest import account_records
from service.ingest import service as ingest_service
from tests.databases import empty_all_tables
from tests.ingesting import ingest, rows, snapshot, statuses

ACME = {"external_id": "001", "name": "Acme", "domain": "acme.example", "updated_at": "2026-01-01T00:00:00Z"}


def event(event_id: str, user: str, at: str, name: str = "login", account: str = "ws-1") -> dict[str, object]:
    return {"event_id": event_id, "account_external_id": account, "user_id": user, "event": name, "occurred_at": at}


async def test_every_status_of_an_account_record(engine: AsyncEngine) -> None:
    first = await ingest(engine, "crm", "accounts", [ACME])
    assert statuses(first) == ["created"]
    replay = await ingest(engine, "crm", "accounts", [ACME])
    assert statuses(replay) == ["unchanged"]
    assert replay.results[0].id == first.results[0].id
    newer = {**ACME, "name": "Acme Corp", "updated_at": "2026-02-01T00:00:00Z"}
    older = {**ACME, "name": "Acme Old", "updated_at": "2025-12-01T00:00:00Z"}
    assert statuses(await ingest(engine, "crm", "accounts", [newer, older, {"external_id": "x"}])) == [
        "updated",
        "stale",
        "rejected",
    ]
    assert await rows(engine, "SELECT name FROM accounts") == [("Acme Corp",)]


async def test_rejected_records_say_which_field_and_why_and_the_rest_proceed(engine: AsyncEngine) -> None:
    batch = await ingest(
        engine,
        "crm",
        "contracts",
        [
            "not an object",
            {"external_id": "c1", "account_domain": "acme.example", "status": "live", "start_date": "2026-01-01"},
            {"external_id": "c2", "account_external_id": "001", "status": "active", "start_date": "2026-01-01",
             "lines": [{"product": "Hub", "quantity": 2, "mrr": "-5"}], "colour": "red"},
        ],
    )  # fmt: skip
    assert statuses(batch) == ["rejected", "rejected", "rejected"]
    assert batch.results[0].errors[0].message.startswith("each record must be a JSON object")
    assert [(e.path, e.message) for e in batch.results[1].errors] == [
        ("status", "Input should be 'draft', 'active', 'ended' or 'cancelled'")
    ]
    paths = sorted(e.path for e in batch.results[2].errors)
    assert paths == ["colour", "lines[0].mrr"]


async def test_records_resolve_through_the_sources_link_then_the_normalised_domain(engine: AsyncEngine) -> None:
    (acme_id,) = [r.id for r in (await ingest(engine, "crm", "accounts", [ACME])).results]
    batch = await ingest(
        engine,
        "support",
        "tickets",
        [
            {"external_id": "t1", "account_domain": "https://www.ACME.example/help", "status": "open",
             "opened_at": "2026-03-01T10:00:00+09:00"},
            {"external_id": "t2", "account_external_id": "001", "status": "open", "opened_at": "2026-03-01T10:00:00Z"},
        ],
    )  # fmt: skip
    # t2 names the CRM's id, but this is the support desk: its own links know no "001".
    assert statuses(batch) == ["created", "unmatched"]
    assert await rows(engine, "SELECT account_id FROM tickets") == [(acme_id,)]


async def test_unmatched_records_are_kept_and_resolved_when_the_account_arrives(engine: AsyncEngine) -> None:
    waiting = await ingest(
        engine,
        "support",
        "tickets",
        [{"external_id": "t1", "account_external_id": "org-9", "status": "new", "opened_at": "2026-03-01T10:00:00Z"}],
    )
    assert statuses(waiting) == ["unmatched"]
    assert await rows(engine, "SELECT count(*) FROM tickets") == [(0,)]
    assert await rows(engine, "SELECT external_id, resolved_at IS NULL FROM unmatched_records") == [("t1", True)]
    events = await ingest(engine, "product", "usage-events", [event("e1", "u1", "2026-03-02T00:00:00Z")])
    assert statuses(events) == ["unmatched"]

    await ingest(engine, "support", "accounts", [{"external_id": "org-9", "name": "Nine", "domain": "nine.example"}])
    assert await rows(engine, "SELECT subject, status FROM tickets") == [(None, "new")]
    assert await rows(engine, "SELECT count(*) FROM usage_events") == [(0,)]  # product has no link to Nine yet
    await ingest(engine, "product", "accounts", [{"external_id": "ws-1", "name": "nine", "domain": "nine.example"}])
    assert await rows(engine, "SELECT count(*), min(active_users) FROM usage_daily") == [(1, 1)]
    assert await rows(engine, "SELECT external_id, resolved_at IS NOT NULL FROM unmatched_records ORDER BY 1") == [
        ("e1", True),
        ("t1", True),
    ]
    # With no priority configured, sources rank by name: "product" before "support".
    assert await rows(engine, "SELECT name FROM accounts") == [("nine",)]


async def test_source_priority_decides_profile_fields_whatever_the_arrival_order(engine: AsyncEngine) -> None:
    crm = {"external_id": "001", "name": "Acme Corp", "domain": "acme.example", "csm_owner": "Aiko"}
    support = {"external_id": "org-1", "name": "ACME", "domain": "acme.example", "industry": "robots"}
    for order in ([("crm", crm), ("support", support)], [("support", support), ("crm", crm)]):
        await empty_all_tables(engine)
        for source, record in order:
            await ingest(engine, source, "accounts", [record], source_priority=("support", "crm"))
        assert await rows(engine, "SELECT name, csm_owner, industry FROM accounts") == [("ACME", "Aiko", "robots")]


@pytest.mark.parametrize("one_by_one", [False, True], ids=["in bulk", "record by record"])
async def test_a_change_the_profile_does_not_take_leaves_the_account_unwritten(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, one_by_one: bool
) -> None:
    if one_by_one:
        monkeypatch.setattr(ingest_service, "write_accounts_in_bulk", account_records.write_accounts)
    crm = {"external_id": "001", "name": "Acme Corp", "domain": "acme.example", "segment": "enterprise"}
    support = {"external_id": "org-1", "name": "ACME", "domain": "acme.example", "segment": "smb"}
    for source, record in (("crm", crm), ("support", support)):
        await ingest(engine, source, "accounts", [record], source_priority=("crm", "support"))
    profile = "SELECT name, segment, industry, updated_at FROM accounts"
    before = await rows(engine, profile)
    assert [row[:3] for row in before] == [("Acme Corp", "enterprise", None)]
    # The support desk's segment changes: the CRM's still ranks first, so the account stays as it is, unwritten.
    outranked = await ingest(engine, "support", "accounts", [{**support, "segment": "startup"}], ("crm", "support"))
    assert statuses(outranked) == ["updated"]  # the support desk's record did change
    assert await rows(engine, profile) == before
    # A field the CRM leaves empty is the support desk's to fill: now the account is written.
    await ingest(engine, "support", "accounts", [{**support, "industry": "robots"}], ("crm", "support"))
    after = await rows(engine, profile)
    assert after[0][:3] == ("Acme Corp", "enterprise", "robots")
    assert after[0][3] > before[0][3]


async def test_provenance_is_kept_per_record(engine: AsyncEngine) -> None:
    await ingest(engine, "crm", "accounts", [ACME])
    await ingest(engine, "support", "accounts", [{"external_id": "org-1", "name": "ACME", "domain": "acme.example"}])
    links = await rows(
        engine,
        "SELECT source, external_id, source_updated_at IS NOT NULL, first_seen_at <= last_synced_at"
        " FROM source_links ORDER BY source",
    )
    assert links == [("crm", "001", True, True), ("support", "org-1", False, True)]
    assert await rows(engine, "SELECT count(*) FROM accounts") == [(1,)]


async def test_parents_resolve_within_and_across_batches(engine: AsyncEngine) -> None:
    await ingest(engine, "crm", "accounts", [{"external_id": "child", "name": "Child", "parent_external_id": "parent"}])
    assert await rows(engine, "SELECT parent_account_id FROM accounts") == [(None,)]
    await ingest(engine, "crm", "accounts", [{"external_id": "parent", "name": "Parent"}])
    assert await rows(
        engine, "SELECT c.name, p.name FROM accounts c JOIN accounts p ON p.id = c.parent_account_id"
    ) == [("Child", "Parent")]
    assert await rows(engine, "SELECT count(*) FROM pending_parent_links") == [(0,)]


async def test_a_domain_owned_by_another_sources_account_is_rejected_with_advice(engine: AsyncEngine) -> None:
    # (Two accounts of one source may share a domain: the source says they are two; tests/test_ingest_identity.py.)
    await ingest(engine, "crm", "accounts", [ACME])
    await ingest(engine, "billing", "accounts", [{"external_id": "002", "name": "Other", "domain": "other.example"}])
    batch = await ingest(
        engine, "billing", "accounts", [{"external_id": "002", "name": "Other", "domain": "acme.example"}]
    )
    assert statuses(batch) == ["rejected"]
    assert batch.results[0].errors[0].path == "domain"
    assert "mergeAccounts" in batch.results[0].errors[0].message


async def test_contract_lines_are_replaced_and_mrr_derived(engine: AsyncEngine) -> None:
    await ingest(engine, "crm", "accounts", [ACME])
    contract = {
        "external_id": "k1",
        "account_external_id": "001",
        "status": "active",
        "start_date": "2026-01-01",
        "end_date": "2027-01-01",
        "lines": [{"product": "Hub Core", "quantity": 10, "unit_price": "30.00"}, {"product": "Insights", "mrr": "99"}],
    }
    assert statuses(await ingest(engine, "crm", "contracts", [contract])) == ["created"]
    assert await rows(engine, "SELECT sum(mrr) FROM contract_lines") == [(399,)]
    # Lines without dates run with the contract (end exclusive).
    assert await rows(engine, "SELECT DISTINCT start_date::text, end_date::text FROM contract_lines") == [
        ("2026-01-01", "2027-01-01")
    ]
    fewer = {**contract, "lines": [{"product": "Hub Core", "quantity": 5, "unit_price": "30.00"}]}
    assert statuses(await ingest(engine, "crm", "contracts", [fewer])) == ["updated"]
    assert await rows(engine, "SELECT quantity, mrr FROM contract_lines") == [(5, 150)]


async def test_lines_stored_exactly_so_already_stay_and_come_back_with_a_contract_the_hub_deleted(
    engine: AsyncEngine,
) -> None:
    await ingest(engine, "crm", "accounts", [ACME])
    two_lines = [{"product": "Hub Core", "quantity": 10, "unit_price": "30.00"}, {"product": "Insights", "mrr": "99"}]
    contract = {"external_id": "k1", "account_external_id": "001", "status": "active", "start_date": "2026-01-01",
                "lines": two_lines}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "contracts", [contract])) == ["created"]
    lines = "SELECT id, created_at, quantity, mrr FROM contract_lines ORDER BY mrr"
    before = await rows(engine, lines)
    # The stage changes, the lines do not: the same rows, ids and all.
    assert statuses(await ingest(engine, "crm", "contracts", [{**contract, "status": "cancelled"}])) == ["updated"]
    assert await rows(engine, lines) == before
    # A line's dates run with its contract's: a new end date is a change of the lines.
    ended = {**contract, "status": "cancelled", "end_date": "2026-09-01"}
    assert statuses(await ingest(engine, "crm", "contracts", [ended])) == ["updated"]
    assert await rows(engine, "SELECT DISTINCT end_date::text FROM contract_lines") == [("2026-09-01",)]
    assert {row[0] for row in await rows(engine, lines)}.isdisjoint({row[0] for row in before})
    # Deleted in the hub (its lines with it): the next change stores the contract and its lines again.
    async with engine.begin() as conn:
        await conn.execute(sa.text("DELETE FROM contracts"))
    assert statuses(await ingest(engine, "crm", "contracts", [{**ended, "status": "active"}])) == ["updated"]
    assert await rows(engine, "SELECT quantity, mrr FROM contract_lines ORDER BY mrr") == [(1, 99), (10, 300)]


async def test_a_contract_moved_to_another_account_takes_its_kept_lines_and_their_revenue_along(
    engine: AsyncEngine,
) -> None:
    globex = {"external_id": "002", "name": "Globex", "domain": "globex.example"}
    await ingest(engine, "crm", "accounts", [ACME, globex])
    contract = {"external_id": "k1", "account_external_id": "001", "status": "active", "start_date": "2026-01-01",
                "lines": [{"product": "Hub Core", "quantity": 10, "unit_price": "30.00"}]}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "contracts", [contract])) == ["created"]
    moved = {key: value for key, value in contract.items() if key != "lines"} | {"account_external_id": "002"}
    assert statuses(await ingest(engine, "crm", "contracts", [moved])) == ["updated"]  # no lines key: lines kept
    assert await rows(
        engine, "SELECT a.name, l.quantity FROM contract_lines l JOIN accounts a ON a.id = l.account_id"
    ) == [("Globex", 10)]
    acme_id, globex_id = (row[0] for row in await rows(engine, "SELECT id FROM accounts ORDER BY name"))
    async with engine.connect() as conn:
        mrr = await mrr_of_accounts(conn, [acme_id, globex_id], dt.date(2026, 6, 1))
    assert (mrr.get(acme_id), mrr.get(globex_id)) == (None, [("USD", Decimal("300.00"))])


async def test_usage_rollups_are_exact_under_replays_and_duplicates(engine: AsyncEngine) -> None:
    await ingest(engine, "product", "accounts", [{"external_id": "ws-1", "name": "Acme"}])
    events = [
        event("e1", "u1", "2026-03-01T08:00:00Z"),
        event("e2", "u1", "2026-03-01T09:00:00Z"),
        event("e3", "u2", "2026-03-01T23:30:00-05:00"),  # 04:30 UTC on 2 March
        event("e4", "u2", "2026-03-01T10:00:00Z", name="report.view"),
        event("e1", "u1", "2026-03-01T08:00:00Z"),  # duplicate inside the batch
    ]
    assert statuses(await ingest(engine, "product", "usage-events", events)) == [
        "created",
        "created",
        "created",
        "created",
        "unchanged",
    ]
    assert statuses(await ingest(engine, "product", "usage-events", events[:2])) == ["unchanged", "unchanged"]
    changed = {**events[0], "user_id": "someone-else"}
    rejected = await ingest(engine, "product", "usage-events", [changed])
    assert statuses(rejected) == ["rejected"]
    assert "immutable" in rejected.results[0].errors[0].message
    daily = await rows(engine, "SELECT day::text, feature, events, active_users FROM usage_daily ORDER BY 1, 2")
    assert daily == [("2026-03-01", "login", 2, 1), ("2026-03-01", "report.view", 1, 1), ("2026-03-02", "login", 1, 1)]
    seen = await rows(engine, "SELECT user_ref, first_seen_at::text, last_seen_at::text FROM user_last_seen ORDER BY 1")
    assert [(user, first[:16], last[:16]) for user, first, last in seen] == [
        ("u1", "2026-03-01 08:00", "2026-03-01 09:00"),
        ("u2", "2026-03-01 10:00", "2026-03-02 04:30"),
    ]


async def test_shuffled_and_duplicated_delivery_ends_in_the_same_state(engine: AsyncEngine) -> None:
    batches: list[tuple[str, str, list[Any]]] = [
        ("crm", "accounts", [ACME, {"external_id": "002", "name": "Beta", "domain": "beta.example"}]),
        ("crm", "accounts", [{**ACME, "name": "Acme Corp", "updated_at": "2026-05-01T00:00:00Z"}]),
        ("product", "accounts", [{"external_id": "ws-1", "name": "acme", "domain": "acme.example"}]),
        ("product", "usage-events", [event(f"e{i}", f"u{i % 3}", f"2026-03-0{1 + i % 5}T1{i % 7}:00:00Z")
                                     for i in range(12)]),
        ("support", "tickets", [{"external_id": "t1", "account_domain": "beta.example", "status": "open",
                                 "opened_at": "2026-03-01T10:00:00Z", "subject": "help"}]),
        ("crm", "contacts", [{"external_id": "p1", "account_external_id": "002", "email": "Bo@Beta.example"}]),
        ("product", "survey-responses", [{"external_id": "s1", "account_domain": "beta.example", "kind": "nps",
                                          "score": 9, "contact_email": "bo@beta.example",
                                          "responded_at": "2026-03-02T10:00:00Z"}]),
    ]  # fmt: skip
    for source, entity, records in batches:
        await ingest(engine, source, entity, records)
    in_order = await snapshot(engine)
    assert in_order["surveys"] == [("Beta", "nps", 9, "bo@beta.example")]

    shuffler = random.Random(42)
    for _ in range(2):
        await empty_all_tables(engine)
        deliveries = [(s, e, [r]) for s, e, records in batches for r in records] * 2
        shuffler.shuffle(deliveries)
        for source, entity, records in deliveries:
            await ingest(engine, source, entity, records)
        shuffled = await snapshot(engine)
        assert {k: v for k, v in shuffled.items() if k != "unmatched"} == {
            k: v for k, v in in_order.items() if k != "unmatched"
        }
        assert all(resolved for *_, resolved in shuffled["unmatched"])


async def test_a_survey_response_that_arrives_before_its_contact_is_linked_when_the_contact_arrives(
    engine: AsyncEngine,
) -> None:
    await ingest(engine, "crm", "accounts", [ACME])
    response = {"external_id": "s1", "account_domain": "acme.example", "kind": "csat", "score": 4,
                "contact_email": "Kim@Acme.example", "responded_at": "2026-03-02T10:00:00Z"}  # fmt: skip
    assert statuses(await ingest(engine, "product", "survey-responses", [response])) == ["created"]
    assert await rows(engine, "SELECT contact_id FROM survey_responses") == [(None,)]
    contact = {"external_id": "p9", "account_domain": "acme.example", "email": "kim@acme.example"}
    assert statuses(await ingest(engine, "crm", "contacts", [contact])) == ["created"]
    linked = await rows(engine, "SELECT c.email FROM survey_responses s JOIN contacts c ON c.id = s.contact_id")
    assert linked == [("kim@acme.example",)]


ROLLUPS_MATCH_EVENTS = """
SELECT
  (SELECT coalesce(array_agg(r ORDER BY r), '{}') FROM (
     SELECT row(account_id, day, feature, events, active_users)::text AS r FROM usage_daily) AS stored)
  = (SELECT coalesce(array_agg(r ORDER BY r), '{}') FROM (
       SELECT row(account_id, (occurred_at AT TIME ZONE 'UTC')::date, event_name, count(*),
                  count(DISTINCT user_ref))::text AS r
       FROM usage_events GROUP BY account_id, (occurred_at AT TIME ZONE 'UTC')::date, event_name) AS recomputed),
  (SELECT coalesce(array_agg(r ORDER BY r), '{}') FROM (
     SELECT row(account_id, user_ref, first_seen_at, last_seen_at)::text AS r FROM user_last_seen) AS stored)
  = (SELECT coalesce(array_agg(r ORDER BY r), '{}') FROM (
       SELECT row(account_id, user_ref, min(occurred_at), max(occurred_at))::text AS r
       FROM usage_events WHERE user_ref IS NOT NULL GROUP BY account_id, user_ref) AS recomputed)
"""


async def test_concurrent_batches_on_the_same_accounts_stay_consistent(engine: AsyncEngine) -> None:
    domains = [f"c{i}.example" for i in range(12)]
    rng = random.Random(7)

    def accounts_from(source: str) -> list[Any]:
        return [{"external_id": f"{source}-{d}", "name": d, "domain": d} for d in rng.sample(domains, len(domains))]

    def events(offset: int) -> list[Any]:
        # Overlapping event ids between the tasks: each event must be stored and counted once.
        return [
            {"event_id": f"e{i}", "account_domain": domains[i % 12], "user_id": f"u{i % 5}", "event": "login",
             "occurred_at": f"2026-03-0{1 + i % 3}T1{i % 10}:00:00Z"}
            for i in range(offset, offset + 300)
        ]  # fmt: skip

    work = [ingest(engine, source, "accounts", accounts_from(source)) for source in ("crm", "support", "product")]
    work += [ingest(engine, "product", "usage-events", events(offset)) for offset in (0, 100, 200, 0)]
    batches = await asyncio.gather(*work)
    assert all(r.status.value != "rejected" for batch in batches for r in batch.results)
    assert await rows(engine, "SELECT count(*), count(DISTINCT domain) FROM accounts") == [(12, 12)]
    assert await rows(engine, "SELECT count(*) FROM source_links WHERE object_type = 'account'") == [(36,)]
    # Events that raced ahead of their account wait as unmatched; re-sending lands them all.
    await ingest(engine, "product", "usage-events", events(0) + events(300)[:200])
    assert await rows(engine, "SELECT count(*), count(DISTINCT source_event_id) FROM usage_events") == [(500, 500)]
    assert await rows(engine, ROLLUPS_MATCH_EVENTS) == [(True, True)]
