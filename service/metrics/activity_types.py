"""GraphQL fields of the activity metrics (filled in by the activity work)."""

import strawberry


@strawberry.type(description="Activity metrics.")
class ActivityMetrics:
    pass
