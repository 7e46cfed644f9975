"""GraphQL vocabulary shared by every metric: the dimensions, the group a row belongs to, time buckets."""

from enum import Enum

import strawberry

from service.metrics.dimensions import Dimension


@strawberry.enum(description="What a metric can be grouped by (the account's current attributes, or a line's product).")
class MetricDimension(Enum):
    SEGMENT = strawberry.enum_value(Dimension.SEGMENT.value, description="The account's segment.")
    INDUSTRY = strawberry.enum_value(Dimension.INDUSTRY.value, description="The account's industry.")
    CSM_OWNER = strawberry.enum_value(Dimension.CSM_OWNER.value, description="The account's CSM.")
    LIFECYCLE_STAGE = strawberry.enum_value(Dimension.LIFECYCLE_STAGE.value, description="The lifecycle stage.")
    PRODUCT = strawberry.enum_value(
        Dimension.PRODUCT.value, description="The contract line's product (revenue metrics only: MRR split by line)."
    )
    TOUCH_MODEL = strawberry.enum_value(Dimension.TOUCH_MODEL.value, description="The account's touch model.")


@strawberry.enum(description="Size of a time bucket (UTC).")
class MetricInterval(Enum):
    MONTH = strawberry.enum_value("month", description="Calendar months.")
    QUARTER = strawberry.enum_value("quarter", description="Calendar quarters.")


@strawberry.type(description="One dimension's value for a metric row (null: accounts without a value).")
class GroupValue:
    dimension: MetricDimension = strawberry.field(description="The dimension.")
    value: str | None = strawberry.field(description="Its value for this row; null for accounts that have none.")


def dimensions_of(given: list[MetricDimension] | None) -> list[Dimension] | None:
    return None if given is None else [Dimension(str(value.value)) for value in given]
