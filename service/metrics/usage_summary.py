"""The ``usageSummary`` metric: product adoption over a period, from the rollups ingest maintains.

- active accounts: accounts with at least one event in ``[from, to)`` (``usage_daily``); events: their sum.
- active users: distinct users seen in the period (``usage_daily_users``; a user belongs to one account).
- mean daily active users: Σ over the period's days of that day's distinct users / days in the period (days
  without usage count as 0). Stickiness = mean daily active users / active users: for a one-month period it is
  DAU/MAU; null when nobody was active.
- license utilization (docs/kpis.md, as ``Account.licenseUtilization`` and the health measure): per account, distinct
  users active in the 30 days ending with the period's last day (``[to − 30, to)``) / seats licensed on active
  lines on that last day, ``to − 1`` (the single rules, ``contracts.queries.active_lines`` and
  ``seats_by_account``), averaged over the accounts that have seats that day; null when none has. The users come
  from the daily rollup, so any ``to`` can be asked; with ``to`` = tomorrow it is today's utilization (in whole
  UTC days, where ``Account.licenseUtilization`` counts the last 30 × 24 hours).
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.contracts.queries import seats_by_account
from service.metrics.activity import Group, as_float, group_columns, group_of, group_order, ratio
from service.metrics.dimensions import Dimension
from service.metrics.periods import Period
from service.usage.tables import usage_daily, usage_daily_users

UTILIZATION_DAYS = 30


@dataclass(frozen=True, slots=True)
class UsageFigures:
    group: Group
    accounts: int
    active_accounts: int
    events: int
    active_users: int
    user_days: int  # Σ over days of that day's distinct users
    days: int
    accounts_with_seats: int
    licensed_seats: int  # on the period's last day, over the accounts with seats
    licensed_active_users: int  # active in the last 30 days, over the accounts with seats
    mean_license_utilization: float | None

    @property
    def mean_daily_active_users(self) -> float:
        return self.user_days / self.days

    @property
    def stickiness(self) -> float | None:
        return ratio(self.mean_daily_active_users, self.active_users)


async def usage_summary(conn: AsyncConnection, period: Period, dimensions: Sequence[Dimension]) -> list[UsageFigures]:
    d, u = usage_daily.c, usage_daily_users.c
    events = (
        sa.select(d.account_id, sa.func.sum(d.events).label("events"))
        .where(period.holds_day(d.day))
        .group_by(d.account_id)
        .cte("events")
    )
    daily_users = sa.select(u.account_id, u.day, u.user_ref).where(period.holds_day(u.day)).distinct().subquery()
    users = (
        sa.select(
            daily_users.c.account_id,
            sa.func.count(sa.distinct(daily_users.c.user_ref)).label("users"),
            sa.func.count().label("user_days"),
        )
        .group_by(daily_users.c.account_id)
        .cte("users")
    )
    window_start = period.end - dt.timedelta(days=UTILIZATION_DAYS)
    recent = (
        sa.select(u.account_id, sa.func.count(sa.distinct(u.user_ref)).label("users"))
        .where(u.day >= window_start, u.day < period.end)
        .group_by(u.account_id)
        .cte("recent")
    )
    seats = seats_by_account(period.end - dt.timedelta(days=1)).cte("seats")
    per_account = (
        sa.select(
            *group_columns(dimensions),
            sa.func.coalesce(events.c.events, 0).label("events"),
            sa.func.coalesce(users.c.users, 0).label("users"),
            sa.func.coalesce(users.c.user_days, 0).label("user_days"),
            seats.c.seats,
            sa.case((seats.c.seats > 0, sa.func.coalesce(recent.c.users, 0))).label("seated_users"),
            sa.case(
                (seats.c.seats > 0, sa.cast(sa.func.coalesce(recent.c.users, 0), sa.Numeric) / seats.c.seats)
            ).label("utilization"),
        )
        .select_from(
            accounts.outerjoin(events, events.c.account_id == accounts.c.id)
            .outerjoin(users, users.c.account_id == accounts.c.id)
            .outerjoin(recent, recent.c.account_id == accounts.c.id)
            .outerjoin(seats, seats.c.account_id == accounts.c.id)
        )
        .subquery("per_account")
    )
    p = per_account.c
    keys = [p[f"group_{i}"] for i in range(len(dimensions))]
    statement = (
        sa.select(
            *keys,
            sa.func.count().label("accounts"),
            sa.func.count().filter(p.events > 0).label("active_accounts"),
            sa.func.coalesce(sa.func.sum(p.events), 0).label("events"),
            sa.func.coalesce(sa.func.sum(p.users), 0).label("active_users"),
            sa.func.coalesce(sa.func.sum(p.user_days), 0).label("user_days"),
            sa.func.count(p.utilization).label("accounts_with_seats"),
            sa.func.coalesce(sa.func.sum(p.seats).filter(p.seats > 0), 0).label("licensed_seats"),
            sa.func.coalesce(sa.func.sum(p.seated_users), 0).label("licensed_active_users"),
            sa.func.avg(p.utilization).label("mean_license_utilization"),
        )
        .group_by(*keys)
        .order_by(*group_order(keys))
    )
    return [
        UsageFigures(
            group=group_of(row._mapping, dimensions),
            accounts=row.accounts,
            active_accounts=row.active_accounts,
            events=int(row.events),
            active_users=int(row.active_users),
            user_days=int(row.user_days),
            days=period.days,
            accounts_with_seats=row.accounts_with_seats,
            licensed_seats=int(row.licensed_seats),
            licensed_active_users=int(row.licensed_active_users),
            mean_license_utilization=as_float(row.mean_license_utilization),
        )
        for row in await conn.execute(statement)
    ]
