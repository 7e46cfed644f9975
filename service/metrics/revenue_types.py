"""GraphQL fields of the revenue metrics (filled in by the revenue work)."""

import strawberry


@strawberry.type(description="Revenue metrics.")
class RevenueMetrics:
    pass
