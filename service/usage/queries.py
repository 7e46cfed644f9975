"""Set-based reads of product usage: time series, active users, feature adoption, last-seen spread.

Everything is computed in PostgreSQL from the rollups ingest maintains (``usage_daily``,
``usage_daily_users``, ``user_last_seen``) for many accounts in one statement. Active users of a bucket
are the distinct users seen in that bucket (MAU for a month), never a sum of daily counts. Days and
buckets are UTC; weeks start on Monday.
"""

import asyncio
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db_rows import uuid_array

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


_SERIES = sa.text("""
WITH buckets AS (
  SELECT a.account_id, b.period_start::date AS period_start
  FROM unnest(CAST(:ids AS uuid[])) AS a(account_id)
  CROSS JOIN generate_series(date_trunc(:interval, CAST(:start AS date)),
                             CAST(:end AS date) - 1, CAST('1 ' || :interval AS interval)) AS b(period_start)
),
events AS (
  SELECT account_id, date_trunc(:interval, day)::date AS period_start, sum(events) AS events
  FROM usage_daily
  WHERE account_id = ANY(:ids) AND day >= :start AND day < :end AND (CAST(:event AS text) IS NULL OR feature = :event)
  GROUP BY 1, 2
),
users AS (
  SELECT account_id, date_trunc(:interval, day)::date AS period_start, count(DISTINCT user_ref) AS users
  FROM usage_daily_users
  WHERE account_id = ANY(:ids) AND day >= :start AND day < :end AND (CAST(:event AS text) IS NULL OR feature = :event)
  GROUP BY 1, 2
)
SELECT b.account_id, b.period_start, coalesce(e.events, 0) AS events, coalesce(u.users, 0) AS active_users
FROM buckets b
LEFT JOIN events e USING (account_id, period_start)
LEFT JOIN users u USING (account_id, period_start)
ORDER BY b.account_id, b.period_start
""")


async def usage_series(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], request: SeriesRequest
) -> dict[uuid.UUID, list[UsagePointRow]]:
    """Per account one point per bucket of ``request`` (empty buckets included, as zeros)."""
    rows = await conn.execute(
        _SERIES.bindparams(uuid_array(account_ids)),
        {"interval": request.interval, "start": request.start, "end": request.end, "event": request.event},
    )
    grouped: dict[uuid.UUID, list[UsagePointRow]] = defaultdict(list)
    for index, (account_id, period_start, events, users) in enumerate(rows):
        if index and index % ROWS_PER_STEP == 0:
            await asyncio.sleep(0)  # a page of accounts × 1,000 buckets is tens of thousands of rows: let others run
        grouped[account_id].append(UsagePointRow(period_start, int(events), int(users)))
    return grouped


async def active_users(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], since: dt.datetime
) -> dict[uuid.UUID, int]:
    """Distinct users seen at or after ``since``, per account (from each user's last-seen time)."""
    rows = await conn.execute(
        sa.text(
            "SELECT account_id, count(*) FROM user_last_seen"
            " WHERE account_id = ANY(:ids) AND last_seen_at >= :since GROUP BY account_id"
        ).bindparams(uuid_array(account_ids)),
        {"since": since},
    )
    return {row[0]: int(row[1]) for row in rows}


async def feature_adoption(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], window: tuple[dt.date, dt.date]
) -> dict[uuid.UUID, list[FeatureUsageRow]]:
    """Per account and feature, events and distinct users over the days [start, end), most used first."""
    rows = await conn.execute(
        sa.text("""
            SELECT e.account_id, e.feature, e.events, coalesce(u.users, 0)
            FROM (SELECT account_id, feature, sum(events) AS events FROM usage_daily
                  WHERE account_id = ANY(:ids) AND day >= :start AND day < :end GROUP BY 1, 2) e
            LEFT JOIN (SELECT account_id, feature, count(DISTINCT user_ref) AS users FROM usage_daily_users
                       WHERE account_id = ANY(:ids) AND day >= :start AND day < :end GROUP BY 1, 2) u
              USING (account_id, feature)
            ORDER BY e.account_id, e.events DESC, e.feature
        """).bindparams(uuid_array(account_ids)),
        {"start": window[0], "end": window[1]},
    )
    grouped: dict[uuid.UUID, list[FeatureUsageRow]] = defaultdict(list)
    for account_id, feature, events, users in rows:
        grouped[account_id].append(FeatureUsageRow(feature, int(events), int(users)))
    return grouped


async def last_seen_distribution(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], now: dt.datetime
) -> dict[uuid.UUID, tuple[int, ...]]:
    """Per account, users by time since last seen: ≤1 day, 1–7 days, 7–30 days, more than 30 days."""
    one, seven, thirty = (now - dt.timedelta(days=days) for days in LAST_SEEN_BUCKETS)
    rows = await conn.execute(
        sa.text("""
            SELECT account_id,
                   count(*) FILTER (WHERE last_seen_at >= :one),
                   count(*) FILTER (WHERE last_seen_at < :one AND last_seen_at >= :seven),
                   count(*) FILTER (WHERE last_seen_at < :seven AND last_seen_at >= :thirty),
                   count(*) FILTER (WHERE last_seen_at < :thirty)
            FROM user_last_seen WHERE account_id = ANY(:ids) GROUP BY account_id
        """).bindparams(uuid_array(account_ids)),
        {"one": one, "seven": seven, "thirty": thirty},
    )
    return {row[0]: tuple(int(count) for count in row[1:]) for row in rows}
