"""The demo company: deterministic, valid for the ingest service, realistic in the ways the hub cares about,
and loaded through the real ingest path (identity resolution, unmatched queue, usage rollups)."""

import datetime as dt
import random
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.accounts.web_domains import normalize_domain
from service.cli import main
from service.ingest.service import MODELS
from service.ingest.validation import validate_record
from service.seed.company import CORE, Fate, plan_company
from service.seed.generator import BATCH_SIZE, ORDER, Batch, generate_demo
from service.seed.loader import seed_demo
from tests.ingesting import rows

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def demo() -> list[Batch]:
    return generate_demo(accounts=300, seed=7, today=TODAY, usage_events_per_account=60)


def records(batches: list[Batch], entity: str, source: str | None = None) -> list[dict[str, object]]:
    return [r for b in batches if b.entity == entity and source in (None, b.source) for r in b.records]


def test_same_arguments_give_the_same_company_and_another_seed_another(demo: list[Batch]) -> None:
    assert generate_demo(accounts=300, seed=7, today=TODAY, usage_events_per_account=60) == demo
    assert generate_demo(accounts=300, seed=8, today=TODAY, usage_events_per_account=60) != demo


def test_batches_fit_the_published_limit_come_in_dependency_order_and_all_validate(demo: list[Batch]) -> None:
    assert all(0 < len(batch.records) <= BATCH_SIZE for batch in demo)
    positions = [ORDER.index(batch.entity) for batch in demo]
    assert positions == sorted(positions), "accounts first, then contacts, contracts, ..., usage last"
    assert {batch.source for batch in demo} == {"crm", "support", "product"}
    for batch in demo:
        for record in batch.records:
            checked = validate_record(MODELS[batch.entity], record)
            assert not isinstance(checked, tuple), (batch.entity, record, checked)
    keys = [(b.source, b.entity, r.get("external_id") or r.get("event_id")) for b in demo for r in b.records]
    assert len(keys) == len(set(keys)), "every record has its own id within its source"


def test_the_customer_base_has_segments_renewals_upsells_cross_sells_contractions_and_churn() -> None:
    customers = plan_company(300, random.Random(7), TODAY)
    assert {c.segment for c in customers} == {"enterprise", "mid_market", "smb", "startup"}
    assert all(TODAY - dt.timedelta(days=24 * 31) <= c.since <= TODAY for c in customers)
    churned = [c for c in customers if c.fate is Fate.CHURNED]
    assert 0.05 <= len(churned) / len(customers) <= 0.2
    assert all(c.churned_on is not None and c.churned_on <= TODAY for c in churned)

    def core_seats(term_lines: tuple[object, ...]) -> int:
        return sum(line.quantity for line in term_lines if line.product == CORE and line.start_date is None)  # type: ignore[attr-defined]

    renewals = [(c, a, b) for c in customers for a, b in zip(c.terms, c.terms[1:], strict=False)]
    assert sum(b.start_date == a.end_date for _, a, b in renewals) == len(renewals), "renewals follow on"
    assert any(core_seats(b.lines) > core_seats(a.lines) for _, a, b in renewals), "upsell at renewal"
    assert any(core_seats(b.lines) < core_seats(a.lines) for _, a, b in renewals), "contraction at renewal"
    mid_term = [line for c in customers for t in c.terms for line in t.lines if line.start_date is not None]
    assert any(line.product == CORE for line in mid_term), "mid-term seat upsell"
    assert any(line.product != CORE for line in mid_term), "mid-term add-on cross-sell"


def test_usage_fades_before_churn_and_grows_for_growing_customers(demo: list[Batch]) -> None:
    customers = {f"ws-{c.number:05d}": c for c in plan_company(300, random.Random(7), TODAY)}
    halves: dict[Fate, Counter[str]] = {}
    for event in records(demo, "usage-events"):
        customer = customers[str(event["account_external_id"])]
        end = customer.active_until or TODAY
        start = max(customer.since, end - dt.timedelta(days=90))
        middle = dt.datetime.combine(start + (end - start) / 2, dt.time(), tzinfo=dt.UTC)
        late = dt.datetime.fromisoformat(str(event["occurred_at"])) >= middle
        halves.setdefault(customer.fate, Counter())["late" if late else "early"] += 1
    assert halves[Fate.CHURNED]["late"] < 0.5 * halves[Fate.CHURNED]["early"]
    assert halves[Fate.AT_RISK]["late"] < 0.5 * halves[Fate.AT_RISK]["early"]
    assert halves[Fate.GROWING]["late"] > 1.5 * halves[Fate.GROWING]["early"]


def test_some_tickets_name_their_account_only_by_a_messy_or_unknown_domain(demo: list[Batch]) -> None:
    tickets = records(demo, "tickets")
    by_domain = [t for t in tickets if "account_domain" in t]
    assert 0.05 <= len(by_domain) / len(tickets) <= 0.3
    known = {str(r["domain"]) for r in records(demo, "accounts", "crm")}
    messy = [t for t in by_domain if normalize_domain(str(t["account_domain"])) in known]
    assert any(str(t["account_domain"]) != normalize_domain(str(t["account_domain"])) for t in messy)
    assert any(normalize_domain(str(t["account_domain"])) not in known for t in by_domain), "unknown domains"


async def test_seeding_goes_through_ingest_one_account_per_customer_and_is_idempotent(engine: AsyncEngine) -> None:
    batches = generate_demo(accounts=25, seed=3, today=TODAY)
    first = await seed_demo(engine, accounts=25, seed=3, today=TODAY)
    assert "rejected" not in {status for counts in first.values() for status in +counts}
    # Three sources know each customer; domain matching makes them one account each.
    assert await rows(engine, "SELECT count(*) FROM accounts") == [(25,)]
    assert await rows(engine, "SELECT count(DISTINCT source) FROM source_links WHERE object_type = 'account'") == [(3,)]
    unknown = {
        str(t["external_id"])
        for t in records(batches, "tickets")
        if str(t.get("account_domain", "")).startswith("unknown-")
    }
    waiting = await rows(engine, "SELECT external_id FROM unmatched_records WHERE entity = 'tickets'")
    assert {row[0] for row in waiting} == unknown, "only tickets for domains nobody knows wait unmatched"
    events = len(records(batches, "usage-events"))
    assert await rows(engine, "SELECT count(*) FROM usage_events") == [(events,)]
    assert await rows(engine, "SELECT sum(events)::int FROM usage_daily") == [(events,)], "rollups match"
    contracts = await rows(engine, "SELECT count(*) FROM contracts")
    assert contracts == [(len(records(batches, "contracts")),)]

    # The newest deals are handed over, in every workflow state, through the workflow itself.
    assert set(first["handoffs"]) == {
        "DRAFT", "SUBMITTED", "RETURNED", "ACCEPTED", "KICKOFF_HELD", "FIRST_VALUE_REACHED", "CANCELLED"
    }  # fmt: skip
    assert await rows(engine, "SELECT state, count(*) FROM handoffs GROUP BY state ORDER BY state") == sorted(
        first["handoffs"].items()
    )
    assert await rows(
        engine,
        "SELECT count(*) FROM handoffs h WHERE state <> (SELECT to_state FROM handoff_events e "
        "WHERE e.handoff_id = h.id ORDER BY occurred_at DESC, from_state IS NULL LIMIT 1)",
    ) == [(0,)], "every handoff's state is its last event's"
    latest = f"'{TODAY.isoformat()}'::date + 1"
    assert await rows(engine, f"SELECT count(*) FROM handoff_events WHERE occurred_at >= {latest}") == [(0,)]
    assert await rows(
        engine,
        "SELECT count(*) FROM handoffs WHERE state IN ('ACCEPTED', 'KICKOFF_HELD', 'FIRST_VALUE_REACHED') AND NOT "
        "EXISTS (SELECT 1 FROM goals g WHERE g.handoff_id = handoffs.id) ",
    ) == [(0,)], "accepted handoffs became success plans"
    assert await rows(
        engine,
        f"SELECT count(*) FROM handoffs WHERE first_value_on < contract_start_date OR first_value_on >= {latest}",
    ) == [(0,)]

    again = await seed_demo(engine, accounts=25, seed=3, today=TODAY)
    statuses = {status for counts in again.values() for status in +counts}
    assert statuses <= {"unchanged", "unmatched"}, again
    assert await rows(engine, "SELECT count(*) FROM accounts") == [(25,)]
    assert await rows(engine, "SELECT count(*) FROM handoffs") == [(sum(first["handoffs"].values()),)]


def test_seed_command_prints_a_summary_by_entity(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    engine: AsyncEngine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CSHUB_DATABASE_URL", database_url)
    assert main(["seed", "--demo", "--accounts", "4", "--seed", "11"]) == 0
    out = capsys.readouterr().out
    assert "accounts: created 4" in out
    assert "usage-events: created" in out
    assert main(["seed", "--demo", "--accounts", "0"]) == 2
    assert "--accounts must be between 1 and 100000" in capsys.readouterr().err
