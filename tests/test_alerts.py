"""Alert rules evaluated with each recompute: each rule fires on a fixture built for it, exactly once while the
alert is unresolved, and again after it is resolved; acknowledge/resolve transitions keep actor and time."""

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.db.pool import in_transaction
from service.errors import Conflict
from service.health_scores.alerts import AlertQuery, acknowledge_alert, alert_page, resolve_alert
from service.health_scores.compute import Recomputed
from service.health_scores.scorecards import create_scorecard
from service.health_scores.service import recompute_health
from tests.ingesting import ingest, statuses

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
NPS_ONLY = {
    "measures": [{"key": "nps", "weight": 1, "scale": {"kind": "linear", "zero_at": -50, "full_at": 50}}],
    "tiers": [{"name": "all", "touch_model": "low"}],
}


def ago(days: float) -> str:
    return (NOW - dt.timedelta(days=days)).isoformat()


def events(account: str, users: range, days_ago: float) -> list[dict[str, Any]]:
    return [{"event_id": f"{account}-{user}-{days_ago}", "account_external_id": account, "user_id": f"u{user}",
             "event": "dashboards", "occurred_at": ago(days_ago)} for user in users]  # fmt: skip


def nps(account: str, number: int, score: int, days_ago: float) -> dict[str, Any]:
    return {"external_id": f"{account}-n{number}", "account_external_id": account, "kind": "nps", "score": score,
            "responded_at": ago(days_ago)}  # fmt: skip


async def load(engine: AsyncEngine) -> None:
    names = {"drop": "Dropping", "quiet": "Quiet", "spiky": "Spiky", "red": "Red Renewal", "steady": "Steady"}
    accounts = [{"external_id": key, "name": name, "segment": "smb"} for key, name in names.items()]
    assert statuses(await ingest(engine, "crm", "accounts", accounts)) == ["created"] * 5
    usage = [
        *events("drop", range(10), 40),  # 10 users the 30 days before, 3 in the last 30: down 70%
        *events("drop", range(3), 2),
        *events("quiet", range(2), 20),  # nobody for 20 days
        *events("steady", range(4), 40),
        *events("steady", range(4), 1),
    ]
    assert set(statuses(await ingest(engine, "crm", "usage-events", usage))) == {"created"}
    tickets = [{"external_id": f"t{i}", "account_external_id": "spiky", "status": "open", "opened_at": ago(d)}
               for i, d in enumerate([1, 2, 3, 5, 30])]  # fmt: skip  # 4 this week vs 1 in the 8 weeks before
    assert statuses(await ingest(engine, "crm", "tickets", tickets)) == ["created"] * 5
    contract = {"external_id": "k", "account_external_id": "red", "status": "active", "start_date": ago(300)[:10],
                "renewal_date": (NOW + dt.timedelta(days=30)).date().isoformat(),
                "lines": [{"product": "Hub", "quantity": 5, "mrr": "100"}]}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "contracts", [contract])) == ["created"]
    surveys = [nps("red", 1, 0, 10), nps("steady", 1, 10, 10), *(nps(k, 1, 8, 10) for k in ("drop", "quiet", "spiky"))]
    assert statuses(await ingest(engine, "crm", "survey-responses", surveys)) == ["created"] * 5

    async def scorecard(conn: AsyncConnection) -> None:
        await create_scorecard(conn, name="overall", segment="smb", config=NPS_ONLY, by="test")

    await in_transaction(engine, scorecard)


async def run(engine: AsyncEngine, now: dt.datetime = NOW) -> Recomputed:
    return await in_transaction(engine, lambda conn: recompute_health(conn, now))


async def open_alerts(engine: AsyncEngine) -> dict[str, set[str]]:
    rows = await in_transaction(engine, lambda conn: alert_page(conn, AlertQuery(statuses=("open", "acknowledged"))))
    found: dict[str, set[str]] = {}
    names = await in_transaction(engine, _names)
    for row in rows:
        found.setdefault(names[row.account_id], set()).add(row.rule)
    return found


async def _names(conn: AsyncConnection) -> dict[Any, str]:
    return {row.id: row.name for row in await conn.execute(sa.text("SELECT id, name FROM accounts"))}


async def test_each_rule_fires_on_its_case_and_only_once_while_unresolved(engine: AsyncEngine) -> None:
    await load(engine)
    first = await run(engine)
    assert first.alerts_opened == 4
    assert await open_alerts(engine) == {
        "Dropping": {"usage_drop"},
        "Quiet": {"no_logins"},
        "Spiky": {"ticket_spike"},
        "Red Renewal": {"renewal_while_red"},  # NPS 0 -> -100 -> score 0: red, renewing in 30 days
    }
    again = await run(engine, NOW + dt.timedelta(hours=1))
    assert again.alerts_opened == 0  # the conditions persist, the alerts are already open

    # Steady falls from green to red: band_dropped (and nothing else for it).
    await ingest(engine, "crm", "survey-responses", [nps("steady", 2, 0, 0.5), nps("steady", 3, 0, 0.4)])
    third = await run(engine, NOW + dt.timedelta(hours=2))
    assert third.alerts_opened == 1
    assert (await open_alerts(engine))["Steady"] == {"band_dropped"}


async def test_acknowledge_then_resolve_and_the_rule_may_fire_again(engine: AsyncEngine) -> None:
    await load(engine)
    await run(engine)
    (alert,) = await in_transaction(engine, lambda conn: alert_page(conn, AlertQuery(rules=("ticket_spike",))))
    assert (alert.status, alert.details) == ("open", {"last_week": 4, "weekly_before": 0.13})
    assert alert.message == "4 tickets in the last 7 days (0.1 a week before)"

    later = NOW + dt.timedelta(minutes=5)
    acknowledged = await in_transaction(
        engine, lambda conn: acknowledge_alert(conn, alert.id, by="Aiko", now=later, note="calling them")
    )
    assert (acknowledged.status, acknowledged.acknowledged_by, acknowledged.note) == (
        "acknowledged",
        "Aiko",
        "calling them",
    )
    with pytest.raises(Conflict, match="the alert is acknowledged; only an alert that is open"):
        await in_transaction(engine, lambda conn: acknowledge_alert(conn, alert.id, by="Ben", now=later))
    resolved = await in_transaction(engine, lambda conn: resolve_alert(conn, alert.id, by="Ben", now=later))
    assert (resolved.status, resolved.resolved_by, resolved.resolved_at) == ("resolved", "Ben", later)
    with pytest.raises(Conflict, match="the alert is resolved"):
        await in_transaction(engine, lambda conn: resolve_alert(conn, alert.id, by="Ben", now=later))

    rerun = await run(engine, NOW + dt.timedelta(hours=1))
    assert rerun.alerts_opened == 1  # the spike still holds: a new alert once the old one is resolved
