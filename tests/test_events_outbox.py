"""The outbox: each write appends its event in its own transaction, a rolled-back or refused write appends none,
and every payload validates against its catalogue schema (tests/event_log.py checks each event it reads)."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.acceptance import service as acceptance
from service.api_keys.roles import Role
from service.customer360.merge import merge_accounts
from service.errors import IllegalTransition
from service.events.outbox import append_event, append_health_events
from service.goals import service as goals
from service.handoffs import service
from service.handoffs.workflow import Action
from service.health_scores import alerts, overrides
from service.health_scores.service import recompute_health
from service.health_scores.tables import health_scores, scorecards
from tests.event_log import emitted, emitted_types
from tests.factories import insert_accounts
from tests.handoff_factories import T0, create, principal
from tests.ingesting import ingest, statuses

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


class Boom(Exception):
    pass


async def test_every_handoff_step_appends_its_event_with_the_step(engine: AsyncEngine) -> None:
    sales, csm = principal(Role.SALES, "Sato"), principal(Role.CSM, "Aiko")
    row = await create(engine, sales)
    assert await emitted_types(engine) == []  # a draft is not news
    steps = [
        (Action.SUBMIT, sales, None),
        (Action.RETURN, csm, "add the DPA"),
        (Action.SUBMIT, sales, None),
        (Action.ACCEPT, csm, None),
        (Action.HOLD_KICKOFF, csm, None),
        (Action.REACH_FIRST_VALUE, csm, None),
    ]
    for action, by, comment in steps:
        async with engine.begin() as conn:
            if action is Action.ACCEPT:
                await acceptance.accept_handoff(conn, row.id, by=by, now=T0)
            else:
                await service.transition(conn, row.id, action, by=by, now=T0, comment=comment)
    cancelled = await create(engine, sales)
    async with engine.begin() as conn:
        await service.transition(conn, cancelled.id, Action.CANCEL, by=sales, now=T0)

    found = await emitted(engine)
    assert [event.type for event in found] == [
        "handoff.submitted",
        "handoff.returned",
        "handoff.submitted",
        "handoff.accepted",
        "handoff.kickoff_held",
        "handoff.first_value_reached",
        "handoff.cancelled",
    ]
    returned = found[1]
    assert returned.account_id == row.account_id
    assert returned.subject_id == row.id
    assert returned.payload["comment"] == "add the DPA"
    assert (returned.payload["fromState"], returned.payload["toState"]) == ("SUBMITTED", "RETURNED")
    assert returned.actor == csm.actor
    assert [event.sequence for event in found] == sorted(event.sequence for event in found)


async def test_a_rolled_back_or_refused_step_appends_nothing(engine: AsyncEngine) -> None:
    sales = principal(Role.SALES)
    row = await create(engine, sales)

    async def submit_then_fail() -> None:
        async with engine.begin() as conn:
            await service.transition(conn, row.id, Action.SUBMIT, by=sales, now=T0)
            raise Boom  # whatever fails after the step, in the same unit of work

    with pytest.raises(Boom):
        await submit_then_fail()
    with pytest.raises(IllegalTransition):
        async with engine.begin() as conn:
            await service.transition(conn, row.id, Action.HOLD_KICKOFF, by=principal(Role.CSM), now=T0)
    assert await emitted_types(engine) == []


async def test_alert_steps_and_overrides_append_their_events(engine: AsyncEngine) -> None:
    (account_id,) = await insert_accounts(engine, "Acme")
    async with engine.begin() as conn:
        alert_id = (
            await conn.execute(
                sa.text(
                    "INSERT INTO alerts (account_id, rule, message, details, opened_at) "
                    "VALUES (:a, 'no_logins', 'Nobody for 20 days', '{}', :t) RETURNING id"
                ),
                {"a": account_id, "t": NOW},
            )
        ).scalar_one()
    async with engine.begin() as conn:
        await alerts.acknowledge_alert(conn, alert_id, by="Aiko", now=NOW, note="calling them")
    async with engine.begin() as conn:
        await alerts.resolve_alert(conn, alert_id, by="Aiko", now=NOW)
    async with engine.begin() as conn:
        override = await overrides.override_score(
            conn, account_id=account_id, name="overall", score=Decimal("80"), reason="renewal signed",
            expires_at=NOW + dt.timedelta(days=30), by="Aiko", now=NOW,
        )  # fmt: skip
    async with engine.begin() as conn:
        await overrides.lift_override(conn, override.id, by="Aiko", now=NOW + dt.timedelta(hours=1))

    async def override_then_fail() -> None:
        async with engine.begin() as conn:
            await overrides.override_score(
                conn, account_id=account_id, name="overall", score=Decimal("10"), reason="x",
                expires_at=NOW + dt.timedelta(days=3), by="Aiko", now=NOW,
            )  # fmt: skip
            raise Boom

    with pytest.raises(Boom):
        await override_then_fail()

    found = await emitted(engine)
    assert [event.type for event in found] == [
        "alert.acknowledged",
        "alert.resolved",
        "health.override_set",
        "health.override_lifted",
    ]
    assert found[0].payload == {"alertId": str(alert_id), "rule": "no_logins", "note": "calling them"}
    assert found[2].payload["score"] == 80


async def _score(engine: AsyncEngine, account_id: uuid.UUID, band: str | None, at: dt.datetime) -> None:
    async with engine.begin() as conn:
        scorecard_id = await conn.scalar(sa.select(scorecards.c.id).limit(1))
        if scorecard_id is None:
            scorecard_id = await conn.scalar(
                sa.insert(scorecards)
                .values(name="default", version=1, config={}, created_by="test")
                .returning(scorecards.c.id)
            )
        await conn.execute(
            sa.insert(health_scores).values(
                account_id=account_id, scorecard_id=scorecard_id, score_name="overall",
                score=Decimal("30") if band == "red" else Decimal("80"), band=band, measures={}, coverage=1,
                computed_at=at,
            )
        )  # fmt: skip


async def test_band_changes_are_appended_set_based_once_per_changed_score(engine: AsyncEngine) -> None:
    falling, steady = await insert_accounts(engine, "Falling", "Steady")
    earlier = NOW - dt.timedelta(days=1)
    await _score(engine, falling, "green", earlier)
    await _score(engine, steady, "green", earlier)
    await _score(engine, falling, "red", NOW)
    await _score(engine, steady, "green", NOW)
    async with engine.begin() as conn:
        assert await append_health_events(conn, NOW) == 1
    (event,) = await emitted(engine)
    assert event.type == "health.band_changed"
    assert event.account_id == falling
    assert (event.payload["fromBand"], event.payload["toBand"], event.payload["score"]) == ("green", "red", 30)


async def test_a_recompute_appends_the_alerts_it_opens(engine: AsyncEngine) -> None:
    accounts = [{"external_id": "quiet", "name": "Quiet", "segment": "smb"}]
    assert statuses(await ingest(engine, "crm", "accounts", accounts)) == ["created"]
    usage = [
        {"event_id": f"e{user}", "account_external_id": "quiet", "user_id": f"u{user}", "event": "dashboards",
         "occurred_at": (NOW - dt.timedelta(days=20)).isoformat()}
        for user in range(2)
    ]  # fmt: skip
    assert set(statuses(await ingest(engine, "crm", "usage-events", usage))) == {"created"}
    async with engine.begin() as conn:
        recomputed = await recompute_health(conn, NOW)
    opened = await emitted(engine, "alert.opened")
    assert recomputed.alerts_opened == len(opened) >= 1
    assert "no_logins" in {event.payload["rule"] for event in opened}


async def test_ingested_contracts_say_created_and_ended_once_each(engine: AsyncEngine) -> None:
    assert statuses(await ingest(engine, "crm", "accounts", [{"external_id": "a", "name": "Acme"}])) == ["created"]
    contract: dict[str, Any] = {
        "external_id": "k1", "account_external_id": "a", "status": "active", "start_date": "2026-01-01",
        "kind": "renewal", "lines": [{"product": "Hub", "quantity": 5, "mrr": "100"}],
    }  # fmt: skip
    assert statuses(await ingest(engine, "crm", "contracts", [contract])) == ["created"]
    assert statuses(await ingest(engine, "crm", "contracts", [contract | {"renewal_date": "2027-01-01"}])) == [
        "updated"
    ]
    ended = contract | {"status": "ended", "end_date": "2026-06-01"}
    assert statuses(await ingest(engine, "crm", "contracts", [ended])) == ["updated"]
    assert statuses(await ingest(engine, "crm", "contracts", [ended | {"renewal_date": None}])) == ["updated"]
    found = await emitted(engine)
    assert [event.type for event in found] == ["contract.created", "contract.ended"]
    assert (found[0].payload["kind"], found[0].payload["startDate"]) == ("renewal", "2026-01-01")
    assert found[1].payload["endDate"] == "2026-06-01"


async def test_a_ticket_escalates_once_per_priority_level_it_reaches(engine: AsyncEngine) -> None:
    assert statuses(await ingest(engine, "crm", "accounts", [{"external_id": "a", "name": "Acme"}])) == ["created"]
    ticket: dict[str, Any] = {
        "external_id": "t1", "account_external_id": "a", "status": "open", "priority": "normal",
        "opened_at": NOW.isoformat(),
    }  # fmt: skip
    for priority in ("normal", "high", "high", "low", "high", "urgent", "urgent"):
        assert statuses(await ingest(engine, "crm", "tickets", [ticket | {"priority": priority}])) in (
            ["created"],
            ["updated"],
            ["unchanged"],
        )
    found = await emitted(engine)
    assert [(event.type, event.payload["priority"]) for event in found] == [
        ("ticket.escalated", "high"),
        ("ticket.escalated", "urgent"),
    ]
    assert found[1].payload["previouslyAnnounced"] == "high"
    urgent_from_the_start = ticket | {"external_id": "t2", "priority": "urgent"}
    assert statuses(await ingest(engine, "crm", "tickets", [urgent_from_the_start])) == ["created"]
    assert [event.payload["previouslyAnnounced"] for event in await emitted(engine)][-1] is None


async def test_unmatched_records_merges_and_goal_statuses_append_events(engine: AsyncEngine) -> None:
    ticket = {"external_id": "t1", "account_external_id": "nobody", "status": "open", "opened_at": NOW.isoformat()}
    assert statuses(await ingest(engine, "zendesk", "tickets", [ticket])) == ["unmatched"]
    merged, into = await insert_accounts(engine, "Acme Old", "Acme")
    async with engine.begin() as conn:
        await merge_accounts(conn, merged_id=merged, into_id=into, merged_by="admin (k)")
    async with engine.begin() as conn:
        (goal,) = await goals.add_goals(conn, into, [goals.NewGoal("Halve response time")], by="Aiko")
    async with engine.begin() as conn:
        await goals.set_status(conn, goal.id, "at_risk", now=NOW, by="Aiko", note="champion left")
    async with engine.begin() as conn:
        await goals.set_status(conn, goal.id, "at_risk", now=NOW, by="Aiko")  # no change, no event

    found = await emitted(engine)
    assert [event.type for event in found] == ["ingest.unmatched", "account.merged", "goal.status_changed"]
    unmatched, merge, status = found
    assert unmatched.account_id is None
    assert unmatched.payload["accountExternalId"] == "nobody"
    assert merge.account_id == into
    assert merge.payload["mergedAccountId"] == str(merged)
    assert (status.payload["toStatus"], status.payload["note"]) == ("at_risk", "champion left")


async def test_a_merge_keeps_the_merged_accounts_events_as_they_were(engine: AsyncEngine) -> None:
    merged, into = await insert_accounts(engine, "Old", "New")
    async with engine.begin() as conn:
        await append_event(conn, "goal.status_changed", _goal_payload(), account_id=merged)
    async with engine.begin() as conn:
        await merge_accounts(conn, merged_id=merged, into_id=into, merged_by="admin")
    first, _ = await emitted(engine)
    assert first.account_id == merged  # history is not rewritten; account.merged says where it went


def _goal_payload() -> dict[str, Any]:
    return {"goalId": uuid.uuid4(), "fromStatus": "on_track", "toStatus": "at_risk", "achievedOn": None, "note": None}


async def test_an_unknown_event_type_is_refused(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        with pytest.raises(ValueError, match="not in the event catalogue"):
            await append_event(conn, "handoff.teleported", {}, account_id=None)
