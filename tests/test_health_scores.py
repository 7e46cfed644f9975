"""Health scores computed set-based in SQL on fixtures with hand-computed answers: every measure of the default
scorecard, the weighted total, missing data and renormalisation, the coverage rule, bands, tiers, trend and
the choice of a segment's scorecard over the default."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.db.pool import in_transaction
from service.health_scores.compute import Recomputed
from service.health_scores.scorecards import create_scorecard, update_scorecard
from service.health_scores.service import recompute_health
from tests.ingesting import ingest, rows, statuses

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def ago(days: float) -> str:
    return (NOW - dt.timedelta(days=days)).isoformat()


def day(offset: int) -> str:
    return (NOW.date() + dt.timedelta(days=offset)).isoformat()


def event(number: int, user: str, feature: str, days_ago: float, account: str = "a") -> dict[str, Any]:
    return {"event_id": f"e{number}", "account_external_id": account, "user_id": user, "event": feature,
            "occurred_at": ago(days_ago)}  # fmt: skip


async def load_acme_and_beta(engine: AsyncEngine) -> None:
    accounts = [
        {"external_id": "a", "name": "Acme", "segment": "enterprise"},
        {"external_id": "b", "name": "Beta", "segment": "smb"},
    ]
    assert statuses(await ingest(engine, "crm", "accounts", accounts)) == ["created", "created"]
    contract = {"external_id": "k", "account_external_id": "a", "status": "active", "start_date": day(-300),
                "end_date": day(60), "renewal_date": day(60),
                "lines": [{"product": "Hub", "quantity": 10, "mrr": "1000"}]}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "contracts", [contract])) == ["created"]
    # Last 30 days: u1..u6 (u1..u3 within 7 days), on reports and dashboards. The 30 days before: u5..u8, on
    # exports and admin; u7 and u8 were last seen 40 days ago. Known users 8, active 6, seen in 7 days 3.
    events = [event(1, "u1", "reports", 1), event(2, "u1", "dashboards", 2), event(3, "u2", "dashboards", 3),
              event(4, "u3", "dashboards", 6), event(5, "u4", "dashboards", 10), event(6, "u5", "dashboards", 20),
              event(7, "u6", "dashboards", 25), event(8, "u5", "exports", 35), event(9, "u6", "exports", 45),
              event(10, "u7", "exports", 40), event(11, "u8", "admin", 40)]  # fmt: skip
    assert statuses(await ingest(engine, "crm", "usage-events", events)) == ["created"] * len(events)
    tickets = [
        {"external_id": "t1", "account_external_id": "a", "status": "open", "priority": "high", "opened_at": ago(3)},
        {"external_id": "t2", "account_external_id": "a", "status": "solved", "priority": "urgent",
         "opened_at": ago(20), "solved_at": ago(19)},
        {"external_id": "t3", "account_external_id": "a", "status": "new", "priority": "low", "opened_at": ago(2)},
    ]  # fmt: skip
    assert statuses(await ingest(engine, "crm", "tickets", tickets)) == ["created"] * 3
    surveys = [
        # NPS over 180 days: promoters 10 and 9, passive 8, detractor 3 -> 25; the 200-day-old 0 is too old.
        *({"external_id": f"n{i}", "account_external_id": "a", "kind": "nps", "score": score, "responded_at": ago(d)}
          for i, (score, d) in enumerate([(10, 5), (9, 50), (8, 100), (3, 170), (0, 200)])),
        # CSAT over 90 days: 4 and 5 -> 4.5; the 1 from 120 days ago is too old.
        *({"external_id": f"c{i}", "account_external_id": "a", "kind": "csat", "score": score, "responded_at": ago(d)}
          for i, (score, d) in enumerate([(4, 10), (5, 80), (1, 120)])),
        {"external_id": "nb", "account_external_id": "b", "kind": "nps", "score": 10, "responded_at": ago(30)},
    ]  # fmt: skip
    assert statuses(await ingest(engine, "crm", "survey-responses", surveys)) == ["created"] * 9


async def run(engine: AsyncEngine, now: dt.datetime = NOW) -> Recomputed:
    return await in_transaction(engine, lambda conn: recompute_health(conn, now))


async def latest(engine: AsyncEngine, name: str) -> dict[str, Any]:
    (row,) = await rows(
        engine,
        "SELECT h.score, h.band, h.previous_band, h.tier, h.touch_model, h.trend, h.coverage, h.measures, s.version,"
        " s.segment "
        "FROM health_scores h JOIN accounts a ON a.id = h.account_id JOIN scorecards s ON s.id = h.scorecard_id "
        "WHERE a.name = :name AND h.score_name = 'overall' ORDER BY h.computed_at DESC LIMIT 1",
        name=name,
    )
    keys = (
        "score",
        "band",
        "previous_band",
        "tier",
        "touch_model",
        "trend",
        "coverage",
        "measures",
        "version",
        "segment",
    )
    return dict(zip(keys, row, strict=True))


def by_key(measures: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {measure["key"]: measure for measure in measures}


async def test_every_measure_and_the_weighted_total_match_hand_computed_values(engine: AsyncEngine) -> None:
    await load_acme_and_beta(engine)
    result = await run(engine)
    assert (result.accounts, result.scores, result.scored) == (2, 2, 1)

    acme = await latest(engine, "Acme")
    measures = by_key(acme["measures"])
    expected = {  # key: (raw value, score 0-100, weight)
        "license_utilization": (0.6, 66.67, 25),  # 6 active / 10 seats; 0.2 -> 0, 0.8 -> 100
        "active_user_trend": (0.5, 100, 15),  # (6 - 4) / 4, clamped at 100
        "feature_breadth": (0.5, 80, 10),  # 2 features of the 4 anyone used in 90 days
        "login_recency": (0.375, 55, 15),  # 3 of 8 known users seen in 7 days
        "open_high_priority_tickets": (1, 50, 10),  # t1; band "below 3" -> 50
        "nps": (25, 75, 10),  # (2 promoters - 1 detractor) / 4 responses
        "csat": (4.5, 100, 5),
        "renewal_proximity": (60, 70, 5),  # band "below 90"
    }
    for key, (raw, score, weight) in expected.items():
        measure = measures[key]
        assert (float(measure["raw_value"]), float(measure["score"]), float(measure["weight"])) == pytest.approx(
            (raw, score, weight), abs=0.01
        ), key
        assert measure["missing"] is False
    manual = measures["manual"]
    assert (manual["missing"], manual["raw_value"], manual["score"], manual["reason"]) == (
        True,
        None,
        None,
        "no current manual score",
    )
    # Weighted mean over the present measures (95 of 100 weight): (25 × 66.667 + 5225) / 95 = 72.544.
    assert acme["score"] == Decimal("72.54")
    assert acme["coverage"] == Decimal("0.9500")
    assert sum(float(m["contribution"]) for m in measures.values() if not m["missing"]) == pytest.approx(
        float(acme["score"]), abs=0.05
    )
    assert (acme["band"], acme["tier"], acme["touch_model"], acme["trend"]) == ("green", "scale", "tech", None)


async def test_too_little_data_gives_no_score_and_says_why(engine: AsyncEngine) -> None:
    await load_acme_and_beta(engine)
    await run(engine)
    beta = await latest(engine, "Beta")
    assert (beta["score"], beta["band"]) == (None, None)
    assert beta["coverage"] == Decimal("0.1000")  # only NPS (weight 10 of 100) has data; 0.5 is required
    measures = by_key(beta["measures"])
    assert measures["nps"]["missing"] is False
    assert measures["license_utilization"]["reason"] == "no licensed seats today"
    assert measures["login_recency"]["reason"] == "no product users on record"
    assert measures["renewal_proximity"]["reason"] == "no upcoming renewal date"
    assert beta["tier"] == "scale"  # every account gets a tier


async def add_scorecard(engine: AsyncEngine, segment: str | None, config: dict[str, Any]) -> uuid.UUID:
    async def create(conn: AsyncConnection) -> uuid.UUID:
        return (await create_scorecard(conn, name="overall", segment=segment, config=config, by="test")).id

    return await in_transaction(engine, create)


async def change_scorecard(
    engine: AsyncEngine, scorecard_id: uuid.UUID, config: dict[str, Any] | None, active: bool | None = None
) -> None:
    async def update(conn: AsyncConnection) -> None:
        await update_scorecard(conn, scorecard_id, config=config, active=active, expected_version=None, by="test")

    await in_transaction(engine, update)


NPS_ONLY = {
    "measures": [{"key": "nps", "weight": 1, "scale": {"kind": "linear", "zero_at": -50, "full_at": 50}}],
    "bands": {"red_below": 40, "yellow_below": 70},
    "tiers": [{"name": "vip", "touch_model": "high", "min_score": 90}, {"name": "rest", "touch_model": "low"}],
}


async def test_a_segment_scorecard_wins_over_the_default_and_trend_follows_the_previous_score(
    engine: AsyncEngine,
) -> None:
    await load_acme_and_beta(engine)
    await add_scorecard(engine, "smb", NPS_ONLY)
    await run(engine)
    beta = await latest(engine, "Beta")
    assert (beta["segment"], beta["score"], beta["band"], beta["tier"], beta["touch_model"]) == (
        "smb",
        Decimal("100.00"),
        "green",
        "vip",
        "high",
    )
    acme = await latest(engine, "Acme")
    assert acme["segment"] is None  # enterprise has no scorecard of its own: the default applies

    # A detractor arrives: NPS (1 - 1) / 2 = 0 -> 50; the trend is the change since the last score.
    detractor = {"external_id": "nb2", "account_external_id": "b", "kind": "nps", "score": 2, "responded_at": ago(1)}
    await ingest(engine, "crm", "survey-responses", [detractor])
    await run(engine, NOW + dt.timedelta(hours=1))
    beta = await latest(engine, "Beta")
    assert (beta["score"], beta["trend"], beta["band"], beta["previous_band"], beta["tier"]) == (
        Decimal("50.00"),
        Decimal("-50.00"),
        "yellow",
        "green",  # the band change the timeline shows
        "rest",
    )
    await run(engine, NOW + dt.timedelta(hours=2))
    assert (await latest(engine, "Beta"))["previous_band"] == "yellow"  # no change: not a band change


async def test_a_newer_version_replaces_the_scorecard_and_an_inactive_one_scores_nothing(engine: AsyncEngine) -> None:
    await load_acme_and_beta(engine)
    smb = await add_scorecard(engine, "smb", NPS_ONLY)
    stricter = {
        **NPS_ONLY,
        "measures": [{"key": "nps", "weight": 1, "scale": {"kind": "linear", "zero_at": -50, "full_at": 250}}],
    }
    await change_scorecard(engine, smb, stricter)
    await run(engine)
    beta = await latest(engine, "Beta")
    assert (beta["version"], beta["score"], beta["band"]) == (2, Decimal("50.00"), "yellow")  # (100 + 50) / 300

    await change_scorecard(engine, smb, None, active=False)  # version 3, inactive: the default applies again
    await run(engine, NOW + dt.timedelta(minutes=5))
    beta = await latest(engine, "Beta")
    assert (beta["segment"], beta["version"], beta["score"]) == (None, 1, None)


async def test_tickets_per_seat_counts_tickets_of_90_days_per_licensed_seat(engine: AsyncEngine) -> None:
    await load_acme_and_beta(engine)
    per_seat = {
        "measures": [{"key": "tickets_per_seat", "weight": 1,
                      "scale": {"kind": "linear", "zero_at": 1, "full_at": 0}}],  # fewer is better
        "tiers": [{"name": "all", "touch_model": "low"}],
    }  # fmt: skip
    await add_scorecard(engine, "enterprise", per_seat)
    await run(engine)
    acme = await latest(engine, "Acme")
    (measure,) = acme["measures"]
    assert (float(measure["raw_value"]), float(measure["score"])) == (0.3, 70.0)  # 3 tickets / 10 seats
    assert acme["score"] == Decimal("70.00")


async def test_days_are_utc_whatever_zone_now_comes_in(engine: AsyncEngine) -> None:
    await load_acme_and_beta(engine)
    kiritimati = dt.timezone(dt.timedelta(hours=14))  # 12:00 UTC is already the next day there
    await run(engine, NOW.astimezone(kiritimati))
    measures = by_key((await latest(engine, "Acme"))["measures"])
    assert float(measures["renewal_proximity"]["raw_value"]) == 60  # days from the UTC day, not the local one
    assert (await latest(engine, "Acme"))["score"] == Decimal("72.54")
