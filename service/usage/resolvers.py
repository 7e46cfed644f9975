"""The fields the usage domain adds to ``Account``: the usage series, active users, license utilization, feature
adoption and the last-seen spread."""

from datetime import date
from typing import Annotated

import strawberry

from service.contracts import queries as contract_queries
from service.graphql.context import Context
from service.graphql.relay import OfAccount
from service.usage import queries
from service.usage.queries import utilization
from service.usage.types import (
    FeatureUsage,
    LastSeenDistribution,
    UsageInterval,
    UsagePoint,
    active_since,
    adoption_window,
    series_request,
)

Days = Annotated[int, strawberry.argument(description="Window length in days, ending now (1 to 3660).")]


async def account_usage(
    root: OfAccount,
    info: strawberry.Info[Context],
    from_: Annotated[date, strawberry.argument(name="from", description="First day of the series (UTC).")],
    to: Annotated[date, strawberry.argument(description="First day after the series (exclusive, UTC).")],
    interval: Annotated[UsageInterval, strawberry.argument(description="Bucket size.")] = UsageInterval.DAY,
    event: Annotated[str | None, strawberry.argument(description="Only this event (feature); default all.")] = None,
) -> list[UsagePoint]:
    request = series_request(from_, to, interval, event)
    rows = await info.context.batch(queries.usage_series, list).load((root.account_id, request))
    return [UsagePoint.from_row(row) for row in rows]


async def account_active_users(root: OfAccount, info: strawberry.Info[Context], days: Days = 30) -> int:
    return await info.context.batch(queries.active_users, int).load(
        (root.account_id, active_since(days, info.context.loaders.now))
    )


async def account_license_utilization(root: OfAccount, info: strawberry.Info[Context], days: Days = 30) -> float | None:
    seats = await info.context.batch(contract_queries.licensed_seats, int).load(
        (root.account_id, info.context.loaders.today)
    )
    if seats == 0:
        return None
    active = await account_active_users(root, info, days)
    return utilization(active, seats)


async def account_feature_adoption(
    root: OfAccount, info: strawberry.Info[Context], days: Days = 30
) -> list[FeatureUsage]:
    window = adoption_window(days, info.context.loaders.today)
    rows = await info.context.batch(queries.feature_adoption, list).load((root.account_id, window))
    return [FeatureUsage.from_row(row) for row in rows]


async def account_last_seen_distribution(root: OfAccount, info: strawberry.Info[Context]) -> LastSeenDistribution:
    day, week, month, older = await info.context.batch(queries.last_seen_distribution, lambda: (0, 0, 0, 0)).load(
        (root.account_id, info.context.loaders.now)
    )
    return LastSeenDistribution(within_1_day=day, within_7_days=week, within_30_days=month, over_30_days=older)
