"""The clock's events: renewal.upcoming, action_item.overdue and ticket.escalated on a breached SLA, appended by
the sweep at a ``now`` each test chooses — once per subject and key, never for a rolled-back write or sweep, and
never twice when sweeps run at once (the outbox's unique index, not the advisory lock, is what guarantees it)."""

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.action_items.tables import action_items
from service.api_keys.roles import Role
from service.cli import main
from service.clock.sweep import LOCK_KEY, SweepConfig, SweepResult, locked_sweep, sweep
from service.clock.sweeper import ClockSweeper
from service.contracts.tables import contracts
from service.settings import Settings
from tests.app_client import app_client
from tests.conftest import make_key
from tests.event_log import emitted
from tests.factories import insert_accounts
from tests.graphql_client import gql
from tests.ingesting import ingest, statuses

T0 = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
TODAY = T0.date()
CONFIG = SweepConfig(renewal_windows=(90, 60, 30))


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


async def swept(engine: AsyncEngine, now: dt.datetime = T0, config: SweepConfig = CONFIG) -> SweepResult:
    async with engine.begin() as conn:
        return await sweep(conn, now, config)


def counts(result: SweepResult | None) -> tuple[int, int, int]:
    assert result is not None
    return result.renewals_upcoming, result.action_items_overdue, result.tickets_escalated


async def insert_contract(engine: AsyncEngine, account_id: uuid.UUID, **columns: Any) -> uuid.UUID:
    values = {"account_id": account_id, "status": "active", "start_date": days(-300)} | columns
    async with engine.begin() as conn:
        inserted: uuid.UUID = (
            await conn.execute(sa.insert(contracts).values(values).returning(contracts.c.id))
        ).scalar_one()
        return inserted


async def insert_action_item(engine: AsyncEngine, account_id: uuid.UUID, **columns: Any) -> uuid.UUID:
    values = {"account_id": account_id, "title": "Send the QBR deck", "owner": "Aiko"} | columns
    async with engine.begin() as conn:
        inserted: uuid.UUID = (
            await conn.execute(sa.insert(action_items).values(values).returning(action_items.c.id))
        ).scalar_one()
        return inserted


async def test_a_renewal_is_announced_once_per_contract_and_window_it_enters(engine: AsyncEngine) -> None:
    (account,) = await insert_accounts(engine, "Acme")
    far = await insert_contract(engine, account, renewal_date=days(100))
    in_90 = await insert_contract(engine, account, renewal_date=days(75), auto_renew=True)
    ends_in_60 = await insert_contract(engine, account, end_date=days(45))
    in_30 = await insert_contract(engine, account, renewal_date=days(20), end_date=days(20))
    await insert_contract(engine, account, status="draft", renewal_date=days(20))  # not a contract yet
    await insert_contract(engine, account, status="ended", end_date=days(10), start_date=days(-400))  # over
    await insert_contract(engine, account, renewal_date=days(-1))  # passed

    assert counts(await swept(engine)) == (3, 0, 0)
    assert counts(await swept(engine)) == (0, 0, 0)  # said once
    first = await emitted(engine, "renewal.upcoming")
    by_contract = {event.subject_id: event for event in first}
    assert set(by_contract) == {in_90, ends_in_60, in_30}
    assert by_contract[in_90].payload | {"contractId": None} == {
        "contractId": None, "renewsOn": days(75).isoformat(), "dateKind": "renewal", "windowDays": 90,
        "daysLeft": 75, "status": "active", "autoRenew": True,
    }  # fmt: skip
    assert (by_contract[ends_in_60].payload["dateKind"], by_contract[ends_in_60].payload["windowDays"]) == ("end", 60)
    # entering 30 days with no notice before: only the narrowest window, not 90 and 60 late
    assert by_contract[in_30].payload["windowDays"] == 30
    assert all(event.occurred_at == T0 and event.account_id == account and event.actor is None for event in first)

    # 16 days later: 84 days left (the 90-day window), 59 (the 60-day one), 29 (the 30-day one); 4 left is still
    # the 30-day window
    assert counts(await swept(engine, T0 + dt.timedelta(days=16))) == (3, 0, 0)
    later = (await emitted(engine, "renewal.upcoming"))[3:]
    assert {(event.subject_id, event.payload["windowDays"]) for event in later} == {
        (far, 90), (in_90, 60), (ends_in_60, 30),
    }  # fmt: skip
    # a renewal moved a year on is a new date: its windows are announced again when they come
    async with engine.begin() as conn:
        await conn.execute(sa.update(contracts).where(contracts.c.id == in_30).values(renewal_date=days(20 + 365)))
        await conn.execute(sa.update(contracts).where(contracts.c.id == far).values(status="cancelled"))
    assert counts(await swept(engine, T0 + dt.timedelta(days=300))) == (1, 0, 0)  # 85 days left
    assert (await emitted(engine, "renewal.upcoming"))[-1].payload["renewsOn"] == days(385).isoformat()


async def test_an_open_action_item_past_its_due_date_is_announced_once(engine: AsyncEngine) -> None:
    (account,) = await insert_accounts(engine, "Acme")
    late = await insert_action_item(engine, account, due_on=days(-1))
    started = await insert_action_item(engine, account, due_on=days(-3), status="in_progress", owner=None)
    await insert_action_item(engine, account, due_on=days(-3), status="done")
    await insert_action_item(engine, account, due_on=days(-3), status="cancelled")
    due_today = await insert_action_item(engine, account, due_on=TODAY)
    await insert_action_item(engine, account)  # no due date

    assert counts(await swept(engine)) == (0, 2, 0)
    assert counts(await swept(engine)) == (0, 0, 0)
    found = await emitted(engine, "action_item.overdue")
    assert [event.subject_id for event in found] == [started, late]  # the longest overdue first
    assert found[0].payload["daysOverdue"] == 3
    assert (found[0].payload["status"], found[0].payload["owner"]) == ("in_progress", None)
    assert found[1].payload["dueOn"] == days(-1).isoformat()

    # the next day, the one due today is overdue; a new due date that passes is announced again
    async with engine.begin() as conn:
        await conn.execute(sa.update(action_items).where(action_items.c.id == late).values(due_on=TODAY))
    assert counts(await swept(engine, T0 + dt.timedelta(days=1))) == (0, 2, 0)
    assert {event.subject_id for event in (await emitted(engine, "action_item.overdue"))[2:]} == {late, due_today}


async def test_a_ticket_breaching_its_sla_while_open_escalates_once_per_breach_kind(engine: AsyncEngine) -> None:
    assert statuses(await ingest(engine, "support", "accounts", [{"external_id": "a", "name": "Acme"}])) == ["created"]

    def ago(hours: int) -> str:
        return (T0 - dt.timedelta(hours=hours)).isoformat()

    tickets = [
        # urgent: first response due 1 h after opening, resolution 24 h
        {"external_id": "unanswered", "priority": "urgent", "status": "new", "opened_at": ago(2)},
        # normal (also: no priority): first response 24 h, resolution 7 days
        {"external_id": "slow", "status": "open", "opened_at": ago(8 * 24), "first_response_at": ago(8 * 24 - 1)},
        {"external_id": "in time", "priority": "high", "status": "open", "opened_at": ago(1)},
        {"external_id": "late but solved", "priority": "low", "status": "solved", "opened_at": ago(900),
         "solved_at": ago(10)},
    ]  # fmt: skip
    batch = [ticket | {"account_external_id": "a"} for ticket in tickets]
    assert statuses(await ingest(engine, "support", "tickets", batch)) == ["created"] * 4
    priority_escalations = await emitted(engine, "ticket.escalated")  # urgent and high: the priority rule
    assert [event.payload["trigger"] for event in priority_escalations] == ["priority", "priority"]

    assert counts(await swept(engine)) == (0, 0, 2)
    assert counts(await swept(engine, T0 + dt.timedelta(minutes=5))) == (0, 0, 0)
    breaches = (await emitted(engine, "ticket.escalated"))[2:]
    assert [(event.payload["externalId"], event.payload["breach"]) for event in breaches] == [
        ("slow", "resolution"),  # due 7 days after opening: a day ago
        ("unanswered", "first_response"),  # due an hour ago
    ]
    assert breaches[1].payload | {"ticketId": None} == {
        "ticketId": None, "externalId": "unanswered", "priority": "urgent", "previouslyAnnounced": None,
        "status": "new", "trigger": "sla_breach", "breach": "first_response",
        "dueAt": (T0 - dt.timedelta(hours=1)).isoformat(),
    }  # fmt: skip
    assert breaches[0].payload["priority"] is None

    # a day on, the urgent ticket also misses its resolution (the second kind, once) and the high one, still
    # unanswered, its first response (due 4 h after opening)
    assert counts(await swept(engine, T0 + dt.timedelta(days=1))) == (0, 0, 2)
    assert [(event.payload["externalId"], event.payload["breach"]) for event in await emitted(engine)][-2:] == [
        ("in time", "first_response"),
        ("unanswered", "resolution"),
    ]

    # the priority rule is unchanged by SLA events: raising "slow" to high is its first priority escalation
    raised = batch[1] | {"priority": "high"}
    assert statuses(await ingest(engine, "support", "tickets", [raised])) == ["updated"]
    last = (await emitted(engine, "ticket.escalated"))[-1]
    assert (last.payload["trigger"], last.payload["priority"], last.payload["previouslyAnnounced"]) == (
        "priority", "high", None,
    )  # fmt: skip


async def test_nothing_is_announced_for_a_rolled_back_write_or_sweep(engine: AsyncEngine) -> None:
    (account,) = await insert_accounts(engine, "Acme")
    async with engine.connect() as conn:  # an overdue item written and rolled back
        await conn.execute(sa.insert(action_items).values(account_id=account, title="never", due_on=days(-5)))
        await conn.rollback()
    assert counts(await swept(engine)) == (0, 0, 0)

    await insert_action_item(engine, account, due_on=days(-5))
    async with engine.connect() as conn:  # a sweep whose transaction rolls back
        assert counts(await sweep(conn, T0, CONFIG)) == (0, 1, 0)
        await conn.rollback()
    assert await emitted(engine) == []
    assert counts(await swept(engine)) == (0, 1, 0)  # the next sweep says it, once
    assert len(await emitted(engine, "action_item.overdue")) == 1


async def _blocked(engine: AsyncEngine, conn: AsyncConnection) -> None:
    """Wait until ``conn``'s backend waits for a lock another transaction holds."""
    pid = (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
    async with engine.connect() as observer:
        for _ in range(500):
            waiting = await observer.execute(
                sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
            if waiting.scalar_one_or_none() == "Lock":
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the second sweep never waited for the first")


async def test_two_sweeps_at_once_announce_each_event_once(engine: AsyncEngine) -> None:
    """Without the advisory lock: the second sweep inserts the same keys, waits on the unique index for the first
    transaction, and inserts nothing once it committed."""
    (account,) = await insert_accounts(engine, "Acme")
    await insert_contract(engine, account, renewal_date=days(10))
    for n in range(3):
        await insert_action_item(engine, account, due_on=days(-1 - n))
    async with engine.connect() as first, engine.connect() as second:
        await second.execute(sa.text("SELECT 1"))  # its backend, to watch
        assert counts(await sweep(first, T0, CONFIG)) == (1, 3, 0)
        racing = asyncio.create_task(sweep(second, T0, CONFIG))
        await _blocked(engine, second)
        await first.commit()
        assert counts(await racing) == (0, 0, 0)
        await second.commit()
    assert [event.type for event in await emitted(engine)] == ["renewal.upcoming"] + ["action_item.overdue"] * 3


async def test_the_sweepers_of_two_processes_take_turns(engine: AsyncEngine) -> None:
    (account,) = await insert_accounts(engine, "Acme")
    await insert_action_item(engine, account, due_on=dt.date(2020, 1, 1))
    one, two = ClockSweeper(engine, CONFIG, interval=60), ClockSweeper(engine, CONFIG, interval=60)
    async with engine.connect() as holder:  # another process is sweeping: this round is skipped
        await holder.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        assert await one.run_once() is None
        await holder.rollback()
    results = await asyncio.gather(one.run_once(), two.run_once(), one.run_once())
    assert sum(result.action_items_overdue for result in results if result is not None) == 1
    assert len(await emitted(engine, "action_item.overdue")) == 1
    assert one.sweeps + two.sweeps >= 1


async def test_a_sweep_waiting_for_the_lock_runs_after_the_other_at_the_databases_time(engine: AsyncEngine) -> None:
    (account,) = await insert_accounts(engine, "Acme")
    await insert_action_item(engine, account, due_on=dt.date(2020, 1, 1))
    async with engine.connect() as holder:
        await holder.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        async with engine.connect() as waiting:
            later = asyncio.create_task(locked_sweep(waiting, CONFIG))
            await _blocked(engine, waiting)
            await holder.rollback()
            result = await later
            database_now = (await waiting.execute(sa.text("SELECT now()"))).scalar_one()
            await waiting.commit()
    assert result is not None
    assert result.at == database_now
    assert counts(result) == (0, 1, 0)


async def test_run_clock_sweep_is_an_admin_mutation(
    client: httpx.AsyncClient, admin_key: str, engine: AsyncEngine
) -> None:
    (account,) = await insert_accounts(engine, "Acme")
    await insert_action_item(engine, account, due_on=dt.date(2020, 1, 1))
    query = """mutation { runClockSweep {
      ... on ClockSweep { sweptAt renewalsUpcoming actionItemsOverdue ticketsEscalated }
      ... on MutationError { code message }
    } }"""
    csm = await make_key(engine, Role.CSM, "a csm")
    refused = await gql(client, csm, query)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await emitted(engine) == []
    first = (await gql(client, admin_key, query))["data"]["runClockSweep"]
    assert (first["renewalsUpcoming"], first["actionItemsOverdue"], first["ticketsEscalated"]) == (0, 1, 0)
    again = (await gql(client, admin_key, query))["data"]["runClockSweep"]
    assert again["actionItemsOverdue"] == 0
    (event,) = await emitted(engine, "action_item.overdue")
    assert event.occurred_at == dt.datetime.fromisoformat(first["sweptAt"])


async def test_serve_sweeps_in_the_background_unless_switched_off(engine: AsyncEngine, settings: Settings) -> None:
    (account,) = await insert_accounts(engine, "Acme")
    await insert_action_item(engine, account, due_on=dt.date(2020, 1, 1))
    async with app_client(settings, clock_sweep=False):
        pass
    assert await emitted(engine) == []
    async with app_client(settings, clock_sweep=True, clock_sweep_interval_seconds=3600):
        for _ in range(500):  # the first sweep runs as the process starts
            if await emitted(engine):
                break
            await asyncio.sleep(0.01)
    assert [event.type for event in await emitted(engine)] == ["action_item.overdue"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [("30,90,60", [90, 60, 30]), ("14", [14]), ("", []), ([7, 7, 1], [7, 1])],
)
def test_renewal_notice_days_setting(settings: Settings, given: Any, expected: list[int]) -> None:
    assert Settings(**settings.model_dump() | {"renewal_notice_days": given}).renewal_notice_days == expected


@pytest.mark.parametrize("given", ["0", "731", "ninety", "30,x"])
def test_renewal_notice_days_refused(settings: Settings, given: str) -> None:
    with pytest.raises(ValueError, match="days"):
        Settings(**settings.model_dump() | {"renewal_notice_days": given})


async def test_cshub_events_sweep_runs_one_sweep_now(
    engine: AsyncEngine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (account,) = await insert_accounts(engine, "Acme")
    await insert_action_item(engine, account, due_on=dt.date(2020, 1, 1))
    monkeypatch.setenv("CSHUB_DATABASE_URL", database_url)
    assert await asyncio.to_thread(main, ["events", "sweep"]) == 0
    assert "events: 0 renewal.upcoming, 1 action_item.overdue, 0 ticket.escalated" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["events", "sweep"]) == 0
    assert "0 action_item.overdue" in capsys.readouterr().out
    assert [event.type for event in await emitted(engine)] == ["action_item.overdue"]
