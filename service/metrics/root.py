"""The ``metrics`` root field: every BI metric under one object, readable by roles bi, csm and admin.

The metric families live in their own modules (``RevenueMetrics``, ``ActivityMetrics``); ``Metrics`` is
their union, so each family's fields stay next to its SQL.
"""

import strawberry

from service.graphql.context import Context
from service.metrics.activity_types import ActivityMetrics
from service.metrics.revenue_types import RevenueMetrics
from service.metrics.types import MetricDimension


def _dimensions() -> list[MetricDimension]:
    return list(MetricDimension)


@strawberry.type(
    description="BI metrics with exact definitions (see the README and docs/kpis.md), each computed in one SQL "
    "statement and returned with its inputs. Ratios with an empty denominator are null."
)
class Metrics(RevenueMetrics, ActivityMetrics):
    dimensions: list[MetricDimension] = strawberry.field(
        resolver=_dimensions, description="Every dimension a metric can be grouped by."
    )


async def metrics(info: strawberry.Info[Context]) -> Metrics:
    return Metrics()
