"""The activity metrics on seeded random portfolios: nps, ticketStats and onboarding agree with a straightforward
Python recomputation of their definitions over the inserted rows, for the whole portfolio and for every group, and
the groups of two dimensions add up to the ungrouped totals."""

import datetime as dt
import random
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.handoffs.tables import handoffs
from service.surveys.tables import survey_responses
from service.tickets.tables import tickets
from tests.factories import insert_accounts
from tests.test_metrics_activity import (
    ONBOARDING_FIELDS,
    TICKET_FIELDS,
    at,
    day,
    groups,
    insert,
    metric,
    response,
    strip_groups,
    ticket,
)

SEGMENTS = ("enterprise", "mid_market", "smb", None)
OWNERS = ("Aiko", "Ben", None)
WINDOW = (day("2026-01-01"), day("2026-03-01"))


def _moment(rng: random.Random) -> dt.datetime:
    """Around the window (so boundaries are crossed), sometimes exactly on a boundary."""
    if rng.random() < 0.15:
        return at(rng.choice(["2026-01-01", "2026-03-01"]))
    return at("2025-12-15") + dt.timedelta(seconds=rng.randrange(0, 95 * 86400))


@dataclass
class Random:
    account_groups: dict[uuid.UUID, tuple[str | None, str | None]]
    responses: list[dict[str, Any]]
    tickets: list[dict[str, Any]]
    handoffs: list[dict[str, Any]]


async def random_portfolio(engine: AsyncEngine, seed: int) -> Random:
    rng = random.Random(seed)
    account_groups: dict[uuid.UUID, tuple[str | None, str | None]] = {}
    for number in range(rng.randint(1, 7)):
        segment, owner = rng.choice(SEGMENTS), rng.choice(OWNERS)
        (account,) = await insert_accounts(engine, f"A{number}", segment=segment, csm_owner=owner)
        account_groups[account] = (segment, owner)
    ids = list(account_groups)
    kinds = [rng.choice(["nps", "nps", "csat"]) for _ in range(rng.randint(0, 25))]
    responses = [
        response(rng.choice(ids), rng.randint(0, 10) if kind == "nps" else rng.randint(1, 5), _moment(rng), kind)
        for kind in kinds
    ]
    ticket_rows = []
    for _ in range(rng.randint(0, 25)):
        opened = _moment(rng)
        responded = opened + dt.timedelta(minutes=rng.randrange(1, 5000)) if rng.random() < 0.7 else None
        solved = opened + dt.timedelta(minutes=rng.randrange(1, 90000)) if rng.random() < 0.6 else None
        csat = rng.randint(1, 5) if solved and rng.random() < 0.5 else None
        ticket_rows.append(ticket(rng.choice(ids), "bug", opened, responded, solved, csat))
    handoff_rows = []
    for _ in range(rng.randint(0, 12)):
        start = _moment(rng).date()
        reached = rng.random() < 0.5
        state = "FIRST_VALUE_REACHED" if reached else rng.choice(["ACCEPTED", "CANCELLED", "DRAFT"])
        first = start + dt.timedelta(days=rng.randrange(0, 120)) if reached else None
        handoff_rows.append({"account_id": rng.choice(ids), "state": state, "contract_start_date": start,
                             "first_value_on": first})  # fmt: skip
    await insert(engine, survey_responses, responses)
    await insert(engine, tickets, ticket_rows)
    await insert(engine, handoffs, handoff_rows)
    return Random(account_groups, responses, ticket_rows, handoff_rows)


def _in(moment: dt.datetime | dt.date | None) -> bool:
    if moment is None:
        return False
    if isinstance(moment, dt.datetime):
        return at("2026-01-01") <= moment < at("2026-03-01")
    return WINDOW[0] <= moment < WINDOW[1]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def python_nps(rows: list[dict[str, Any]]) -> dict[str, Any]:
    scores = [row["score"] for row in rows if row["kind"] == "nps" and _in(row["responded_at"])]
    promoters, detractors = sum(s >= 9 for s in scores), sum(s <= 6 for s in scores)
    return {"responses": len(scores), "promoters": promoters, "passives": sum(7 <= s <= 8 for s in scores),
            "detractors": detractors,
            "nps": round(100 * (promoters - detractors) / len(scores), 2) if scores else None}  # fmt: skip


def python_tickets(rows: list[dict[str, Any]]) -> dict[str, Any]:
    opened = [row for row in rows if _in(row["opened_at"])]
    solved = [row for row in rows if _in(row["solved_at"])]

    def hours(row: dict[str, Any], stamp: str) -> float:
        return float((row[stamp] - row["opened_at"]).total_seconds() / 3600)

    responses = [hours(row, "first_response_at") for row in opened if row["first_response_at"]]
    resolutions = [hours(row, "solved_at") for row in opened if row["solved_at"]]
    ratings = [row["csat"] for row in solved if row["csat"] is not None]
    return {"opened": len(opened), "solved": len(solved), "firstResponses": len(responses),
            "resolved": len(resolutions), "medianFirstResponseHours": _median(responses),
            "medianResolutionHours": _median(resolutions), "csatRatings": len(ratings),
            "meanCsat": _mean(ratings)}  # fmt: skip


def python_onboarding(rows: list[dict[str, Any]]) -> dict[str, Any]:
    started = [row for row in rows if _in(row["contract_start_date"])]
    cohort = [row for row in started if row["state"] != "CANCELLED"]
    days = [float((row["first_value_on"] - row["contract_start_date"]).days) for row in cohort if row["first_value_on"]]
    return {"cohort": len(cohort), "completed": len(days), "cancelled": len(started) - len(cohort),
            "completionRate": len(days) / len(cohort) if cohort else None,
            "medianTimeToValueDays": _median(days), "meanTimeToValueDays": _mean(days)}  # fmt: skip


def close(sql: dict[str, Any], python: dict[str, Any]) -> bool:
    return sql.keys() == python.keys() and all(
        sql[k] == python[k] if not isinstance(python[k], float) else sql[k] == pytest.approx(python[k], rel=1e-9)
        for k in python
    )


CROSS_CHECKED = {
    "nps": ("responses promoters passives detractors nps", "responses", python_nps),
    "ticketStats": (TICKET_FIELDS, "tickets", python_tickets),
    "onboarding": (ONBOARDING_FIELDS, "handoffs", python_onboarding),
}
SUMMED = {"nps": ("responses", "promoters", "passives", "detractors"), "ticketStats": ("opened", "solved",
          "firstResponses", "resolved", "csatRatings"), "onboarding": ("cohort", "completed", "cancelled")}  # fmt: skip


@pytest.mark.parametrize("seed", range(8))
async def test_random_portfolios_agree_with_python_and_groups_add_up(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str, seed: int
) -> None:
    data = await random_portfolio(engine, seed)
    window = {"from": WINDOW[0].isoformat(), "to": WINDOW[1].isoformat()}
    for field, (selection, source, recompute) in CROSS_CHECKED.items():
        rows: list[dict[str, Any]] = getattr(data, source)
        (total,) = strip_groups(await metric(client, admin_key, field, selection, **window))
        assert close(total, recompute(rows)), (field, total, recompute(rows))
        grouped = await metric(client, admin_key, field, selection, **window, groupBy=["SEGMENT", "CSM_OWNER"])
        by_group: dict[tuple[str | None, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_group[data.account_groups[row["account_id"]]].append(row)
        assert {tuple(group) for group in groups(grouped)} == set(data.account_groups.values())
        for row in grouped:
            expected = recompute(by_group[tuple(value["value"] for value in row["group"])])
            assert close(strip_groups([row])[0], expected), (field, row, expected)
        for name in SUMMED[field]:
            assert sum(row[name] for row in grouped) == total[name], (field, name)
