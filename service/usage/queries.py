"""Set-based reads of product usage: time series, active users, feature adoption, last-seen spread.

Everything is computed in PostgreSQL from the rollups ingest maintains (``usage_daily``,
``usage_daily_users``, ``user_last_seen``) for many accounts in one statement. Active users of a bucket
are the distinct users seen in that bucket (MAU for a month), never a sum of daily counts. Days and
buckets are UTC; weeks start on Monday.

Each rule is a Core builder over all accounts, grouped by ``account_id`` (``events_by_bucket``,
``active_users_since``, ``feature_usage``, ``last_seen_counts``…): the batched reads here narrow it with
``account_id = ANY(ids)``, the compiled read path (``service.compiled.usage``) to the row's account.
"""

import asyncio
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.rows import Moment, uuid_array
from service.usage.tables import usage_daily, usage_daily_users, user_last_seen

INTERVALS = ("day", "week", "month")
ROWS_PER_STEP = 2000  # series rows turned into points between two turns of the event loop (a few ms)
LAST_SEEN_BUCKETS = (1, 7, 30)  # upper bounds in days; a last bucket holds everyone seen longer ago


@dataclass(frozen=True, slots=True)
class SeriesRequest:
    start: dt.date  # first day counted
    end: dt.date  # first day not counted
    interval: str  # one of INTERVALS
    event: str | None  # only this event (feature), or all


@dataclass(frozen=True, slots=True)
class UsagePointRow:
    period_start: dt.date
    events: int
    active_users: int


@dataclass(frozen=True, slots=True)
class FeatureUsageRow:
    feature: str
    events: int
    users: int


def _bucket(interval: str, day: sa.ColumnElement[Any]) -> sa.ColumnElement[dt.date]:
    """The first day of the ``interval`` bucket holding ``day`` (weeks from Monday, months from the 1st): a
    day's bucket is the day itself (so a daily series groups by the indexed column, in its order)."""
    if interval == "day":
        return day
    return sa.cast(sa.func.date_trunc(sa.bindparam(None, interval, sa.Text), sa.cast(day, sa.DateTime)), sa.Date)


def _in_series(table: sa.Table, request: SeriesRequest) -> list[sa.ColumnElement[bool]]:
    where = [table.c.day >= request.start, table.c.day < request.end]
    if request.event is not None:
        where.append(table.c.feature == request.event)
    return where


def bucket_starts(request: SeriesRequest) -> sa.FromClause:
    """Every bucket of the series, one row each (``period_start``): empty buckets are points too."""
    step = sa.cast(sa.bindparam(None, f"1 {request.interval}", sa.Text), sa.Interval)
    first = sa.func.date_trunc(sa.bindparam(None, request.interval, sa.Text), sa.cast(request.start, sa.Date))
    last = sa.cast(request.end, sa.Date) - 1
    return sa.func.generate_series(first, last, step).table_valued("period_start").render_derived()


def events_by_bucket(request: SeriesRequest) -> sa.Select[Any]:
    """The rule for a point's events, for all accounts: (``account_id``, ``period_start``, ``events``)."""
    u = usage_daily.c
    period = _bucket(request.interval, u.day)
    return (
        sa.select(u.account_id, period.label("period_start"), sa.func.sum(u.events).label("events"))
        .where(*_in_series(usage_daily, request))
        .group_by(u.account_id, period)
    )


def users_by_bucket(request: SeriesRequest) -> sa.Select[Any]:
    """The rule for a point's active users, for all accounts: distinct users of the bucket (never a sum of days)."""
    u = usage_daily_users.c
    period = _bucket(request.interval, u.day)
    return (
        sa.select(
            u.account_id, period.label("period_start"), sa.func.count(sa.distinct(u.user_ref)).label("active_users")
        )
        .where(*_in_series(usage_daily_users, request))
        .group_by(u.account_id, period)
    )


def series_points(
    request: SeriesRequest,
    account_key: sa.ColumnElement[uuid.UUID],
    among: sa.FromClause | None = None,
    narrow: Callable[[sa.ColumnElement[uuid.UUID]], sa.ColumnElement[bool]] | None = None,
) -> sa.Select[Any]:
    """The zero-filled points (``period_start``, ``events``, ``active_users``) of the account ``account_key``:
    a column of ``among`` (the accounts of a batch, joined first) or of an enclosing statement's row.

    The rules are derived tables that never name the account: it is matched in their join conditions, and
    ``narrow`` (``account_id = ANY(ids)``) adds the batch's accounts there, which PostgreSQL pushes down into
    the grouped scans."""
    buckets = bucket_starts(request)
    events = events_by_bucket(request).subquery()
    users = users_by_bucket(request).subquery()

    def matches(found: sa.Subquery) -> sa.ColumnElement[bool]:
        conditions = [
            found.c.account_id == account_key,
            found.c.period_start == sa.cast(buckets.c.period_start, sa.Date),
        ]
        if narrow is not None:
            conditions.append(narrow(found.c.account_id))
        return sa.and_(*conditions)

    source = buckets if among is None else among.join(buckets, sa.true())
    columns: list[sa.ColumnElement[Any]] = [
        sa.cast(buckets.c.period_start, sa.Date).label("period_start"),
        sa.cast(sa.func.coalesce(events.c.events, 0), sa.BigInteger).label("events"),
        sa.func.coalesce(users.c.active_users, 0).label("active_users"),
    ]
    return sa.select(*columns).select_from(source.outerjoin(events, matches(events)).outerjoin(users, matches(users)))


async def usage_series(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], request: SeriesRequest
) -> dict[uuid.UUID, list[UsagePointRow]]:
    """Per account one point per bucket of ``request`` (empty buckets included, as zeros)."""
    batch = sa.func.unnest(uuid_array(account_ids)).table_valued(sa.column("account_id", sa.Uuid)).render_derived("a")
    points = series_points(request, batch.c.account_id, batch, lambda key: key == sa.any_(uuid_array(account_ids)))
    points = points.add_columns(batch.c.account_id).order_by(batch.c.account_id, points.selected_columns.period_start)
    rows = await conn.execute(points)
    grouped: dict[uuid.UUID, list[UsagePointRow]] = defaultdict(list)
    for index, (period_start, events, users, account_id) in enumerate(rows):
        if index and index % ROWS_PER_STEP == 0:
            await asyncio.sleep(0)  # a page of accounts × 1,000 buckets is tens of thousands of rows: let others run
        grouped[account_id].append(UsagePointRow(period_start, int(events), int(users)))
    return grouped


def active_users_since(since: Moment) -> sa.Select[Any]:
    """The rule for active users, for all accounts: (``account_id``, ``users``) seen at or after ``since``."""
    seen = user_last_seen.c
    return (
        sa.select(seen.account_id, sa.func.count().label("users"))
        .where(seen.last_seen_at >= since)
        .group_by(seen.account_id)
    )


async def active_users(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], since: dt.datetime
) -> dict[uuid.UUID, int]:
    """Distinct users seen at or after ``since``, per account (from each user's last-seen time)."""
    found = active_users_since(since).subquery()
    rows = await conn.execute(sa.select(found).where(found.c.account_id == sa.any_(uuid_array(account_ids))))
    return {row[0]: int(row[1]) for row in rows}


def utilization(active: int, seats: int) -> float | None:
    """License utilization: ``active / seats`` rounded half up to 4 decimals (exact decimal arithmetic), None
    without seats. ``utilization_sql`` is the same rule in SQL (``numeric`` is exact too)."""
    if seats == 0:
        return None
    return float((Decimal(active) / Decimal(seats)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def utilization_sql(active: sa.ColumnElement[Any], seats: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``utilization`` in SQL: ``round(active::numeric / seats, 4)::float8``, null without seats."""
    ratio = sa.func.round(sa.cast(active, sa.Numeric) / sa.func.nullif(seats, 0), 4)
    return sa.cast(ratio, sa.Float)


Narrow = Callable[[sa.ColumnElement[uuid.UUID]], sa.ColumnElement[bool]]  # account_id -> the accounts asked for


def feature_usage(window: tuple[dt.date, dt.date], narrow: Narrow | None = None) -> sa.Select[Any]:
    """The rule for feature adoption, for all accounts: per account and feature used in the days [start, end),
    (``account_id``, ``feature``, ``events``, ``users``: distinct users of the window). Two aggregates joined, each
    one pass over its rollup (a count per feature as a subquery ran once for every feature). An equality with the
    account (the compiled path's row) reaches both; ``narrow`` (``account_id = ANY(ids)``), which PostgreSQL does not
    carry across the join, is put on both."""
    d, u = usage_daily.c, usage_daily_users.c
    events = (
        sa.select(d.account_id, d.feature, sa.func.sum(d.events).label("events"))
        .where(d.day >= window[0], d.day < window[1])
        .group_by(d.account_id, d.feature)
        .subquery("feature_events")
    )
    users = (
        sa.select(u.account_id, u.feature, sa.func.count(sa.distinct(u.user_ref)).label("users"))
        .where(u.day >= window[0], u.day < window[1])
        .group_by(u.account_id, u.feature)
        .subquery("feature_users")
    )
    same = sa.and_(users.c.account_id == events.c.account_id, users.c.feature == events.c.feature)
    found = sa.select(
        events.c.account_id,
        events.c.feature,
        events.c.events,
        sa.func.coalesce(users.c.users, 0).label("users"),
    )
    if narrow is None:
        return found.select_from(events.outerjoin(users, same))
    return found.select_from(events.outerjoin(users, sa.and_(same, narrow(users.c.account_id)))).where(
        narrow(events.c.account_id)
    )


def feature_order(found: sa.FromClause) -> tuple[sa.ColumnElement[Any], ...]:
    """Most used first, then by name."""
    return (found.c.events.desc(), found.c.feature)


async def feature_adoption(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], window: tuple[dt.date, dt.date]
) -> dict[uuid.UUID, list[FeatureUsageRow]]:
    """Per account and feature, events and distinct users over the days [start, end), most used first."""
    ids = uuid_array(account_ids)
    found = feature_usage(window, lambda account_id: account_id == sa.any_(ids)).subquery()
    rows = await conn.execute(
        sa.select(found.c.account_id, found.c.feature, found.c.events, found.c.users).order_by(
            found.c.account_id, *feature_order(found)
        )
    )
    grouped: dict[uuid.UUID, list[FeatureUsageRow]] = defaultdict(list)
    for account_id, feature, events, users in rows:
        grouped[account_id].append(FeatureUsageRow(feature, int(events), int(users)))
    return grouped


def last_seen_counts(now: Moment) -> sa.Select[Any]:
    """The rule for the last-seen spread, for all accounts with users: (``account_id``, ``within_1_day``,
    ``within_7_days``, ``within_30_days``, ``over_30_days``) by time since last seen, measured from ``now``."""
    one, seven, thirty = (now - dt.timedelta(days=days) for days in LAST_SEEN_BUCKETS)
    seen = user_last_seen.c.last_seen_at
    return sa.select(
        user_last_seen.c.account_id,
        sa.func.count().filter(seen >= one).label("within_1_day"),
        sa.func.count().filter(seen < one, seen >= seven).label("within_7_days"),
        sa.func.count().filter(seen < seven, seen >= thirty).label("within_30_days"),
        sa.func.count().filter(seen < thirty).label("over_30_days"),
    ).group_by(user_last_seen.c.account_id)


LAST_SEEN_PARTS = ("within_1_day", "within_7_days", "within_30_days", "over_30_days")


async def last_seen_distribution(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], now: dt.datetime
) -> dict[uuid.UUID, tuple[int, ...]]:
    """Per account, users by time since last seen: ≤1 day, 1–7 days, 7–30 days, more than 30 days."""
    found = last_seen_counts(now).subquery()
    rows = await conn.execute(sa.select(found).where(found.c.account_id == sa.any_(uuid_array(account_ids))))
    return {row[0]: tuple(int(count) for count in row[1:]) for row in rows}
