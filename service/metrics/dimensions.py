"""What metrics group by: account attributes (as they are today) and, for revenue, the contract line's product.

Grouping uses the account's current segment, industry, owner, lifecycle stage and touch model — not their
value at the start of the period — so a regrouped history reads as "today's portfolio, looked back on".
"""

from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from service.errors import InvalidInput


class Dimension(StrEnum):
    SEGMENT = "segment"
    INDUSTRY = "industry"
    CSM_OWNER = "csm_owner"
    LIFECYCLE_STAGE = "lifecycle_stage"
    PRODUCT = "product"  # a contract line's product: revenue metrics only
    TOUCH_MODEL = "touch_model"


ACCOUNT_DIMENSIONS = (
    Dimension.SEGMENT,
    Dimension.INDUSTRY,
    Dimension.CSM_OWNER,
    Dimension.LIFECYCLE_STAGE,
    Dimension.TOUCH_MODEL,
)


def chosen(dimensions: list[Dimension] | None, *, product: bool) -> tuple[Dimension, ...]:
    """The distinct dimensions asked for, in the order given; PRODUCT only where the metric has products."""
    picked = tuple(dict.fromkeys(dimensions or ()))
    if Dimension.PRODUCT in picked and not product:
        raise InvalidInput(
            "groupBy: PRODUCT applies to revenue metrics (arr, revenueRetention, mrrMovements, expansion)"
        )
    return picked


def account_column(accounts: sa.FromClause, dimension: Dimension) -> sa.ColumnElement[Any]:
    """The account attribute a dimension groups by (text; null when the account has none)."""
    if dimension is Dimension.PRODUCT:
        raise ValueError("PRODUCT is a contract-line dimension")
    return sa.cast(accounts.c[dimension.value], sa.Text)
