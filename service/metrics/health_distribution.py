"""The ``healthDistribution`` metric: how the portfolio's health scores spread over bands and tiers on a day.

Each account's score of the given name is its latest ``health_scores`` row of that name computed on or before
``asOf`` (``computed_at < asOf + 1 day``, UTC; ties broken by id). The computed score is used: CSM overrides are
not applied. Every account of today's portfolio is counted once: in its band (red, yellow, green), or as
unscored when it has no such row or its latest row has no score (not enough data); and once in the tiers list,
under the latest row's tier (null: no row, or no tier matched). So red + yellow + green + unscored = accounts,
and the tier counts add up to accounts too.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.health_scores.tables import health_scores
from service.metrics.activity import Group, group_columns, group_of, group_order
from service.metrics.dimensions import Dimension


@dataclass(frozen=True, slots=True)
class TierFigures:
    tier: str | None
    accounts: int


@dataclass(frozen=True, slots=True)
class HealthFigures:
    group: Group
    accounts: int
    red: int
    yellow: int
    green: int
    unscored: int
    tiers: tuple[TierFigures, ...]  # by tier name, no tier last


async def health_distribution(
    conn: AsyncConnection, as_of: dt.date, name: str, dimensions: Sequence[Dimension]
) -> list[HealthFigures]:
    hs = health_scores.c
    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    latest = (
        sa.select(hs.account_id, hs.score, hs.band, hs.tier)
        .where(hs.score_name == name, hs.computed_at < until)
        .order_by(hs.account_id, hs.computed_at.desc(), hs.id.desc())
        .ext(distinct_on(hs.account_id))
        .subquery("latest")
    )
    inner_keys = group_columns(dimensions)
    per_tier = (
        sa.select(
            *inner_keys,
            latest.c.tier,
            sa.func.count().label("accounts"),
            *(sa.func.count().filter(latest.c.band == band).label(band) for band in ("red", "yellow", "green")),
            sa.func.count().filter(latest.c.score.is_(None)).label("unscored"),
        )
        .select_from(accounts.outerjoin(latest, latest.c.account_id == accounts.c.id))
        .group_by(*inner_keys, latest.c.tier)
        .subquery("per_tier")
    )
    keys = [per_tier.c[key.name] for key in inner_keys]
    tier_order: list[Any] = [per_tier.c.tier.asc().nulls_last()]
    statement = (
        sa.select(
            *keys,
            sa.cast(sa.func.sum(per_tier.c.accounts), sa.BigInteger).label("accounts"),
            *(sa.cast(sa.func.sum(per_tier.c[band]), sa.BigInteger).label(band) for band in ("red", "yellow", "green")),
            sa.cast(sa.func.sum(per_tier.c.unscored), sa.BigInteger).label("unscored"),
            sa.func.array_agg(aggregate_order_by(per_tier.c.tier, *tier_order), type_=ARRAY(sa.Text)).label("names"),
            sa.func.array_agg(aggregate_order_by(per_tier.c.accounts, *tier_order), type_=ARRAY(sa.BigInteger)).label(
                "counts"
            ),
        )
        .group_by(*keys)
        .order_by(*group_order(keys))
    )
    return [
        HealthFigures(
            group=group_of(row._mapping, dimensions),
            accounts=row.accounts or 0,
            red=row.red or 0,
            yellow=row.yellow or 0,
            green=row.green or 0,
            unscored=row.unscored or 0,
            tiers=tuple(TierFigures(*pair) for pair in zip(row.names or (), row.counts or (), strict=True)),
        )
        for row in await conn.execute(statement)
    ]
