"""Reads of health scores: each account's latest score per name, and its history over a window."""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.rows import row_into, uuid_array
from service.health_scores.tables import health_scores, scorecards


@dataclass(frozen=True, slots=True)
class HealthScoreRow:
    id: uuid.UUID
    account_id: uuid.UUID
    scorecard_id: uuid.UUID
    scorecard_version: int
    score_name: str
    score: Decimal | None
    band: str | None
    tier: str | None
    touch_model: str | None
    trend: Decimal | None
    coverage: Decimal
    measures: list[dict[str, Any]]
    computed_at: dt.datetime


def _scores() -> sa.Select[Any]:
    h = health_scores.c
    return sa.select(
        h.id,
        h.account_id,
        h.scorecard_id,
        scorecards.c.version.label("scorecard_version"),
        h.score_name,
        h.score,
        h.band,
        h.tier,
        h.touch_model,
        h.trend,
        h.coverage,
        h.measures,
        h.computed_at,
    ).join_from(health_scores, scorecards, scorecards.c.id == h.scorecard_id)


def latest_bands(name: str) -> sa.Select[Any]:
    """(account_id, band) of each account's latest score named ``name``."""
    h = health_scores.c
    return (
        sa.select(h.account_id, h.band)
        .ext(distinct_on(h.account_id))
        .where(h.score_name == name)
        .order_by(h.account_id, h.computed_at.desc())
    )


def latest_scores_named(name: str) -> sa.Select[Any]:
    """Each account's latest score named ``name`` (the compiled read path narrows it to its account row)."""
    h = health_scores.c
    return (
        _scores()
        .ext(distinct_on(h.account_id))
        .where(h.score_name == name)
        .order_by(h.account_id, h.computed_at.desc())
    )


def scores_in(name: str, start: dt.datetime, end: dt.datetime) -> sa.Select[Any]:
    """Every account's scores named ``name`` computed in [start, end)."""
    h = health_scores.c
    return _scores().where(h.score_name == name, h.computed_at >= start, h.computed_at < end)


async def latest_scores(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], name: str
) -> dict[uuid.UUID, HealthScoreRow]:
    query = latest_scores_named(name).where(health_scores.c.account_id == sa.any_(uuid_array(account_ids)))
    return {row.account_id: row_into(HealthScoreRow, row) for row in await conn.execute(query)}


async def score_histories(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], request: tuple[str, dt.datetime, dt.datetime]
) -> dict[uuid.UUID, list[HealthScoreRow]]:
    """Each account's scores named ``name`` computed in [start, end), newest first."""
    h = health_scores.c
    query = (
        scores_in(*request)
        .where(h.account_id == sa.any_(uuid_array(account_ids)))
        .order_by(h.account_id, h.computed_at.desc())
    )
    grouped: dict[uuid.UUID, list[HealthScoreRow]] = defaultdict(list)
    for row in await conn.execute(query):
        grouped[row.account_id].append(row_into(HealthScoreRow, row))
    return grouped
