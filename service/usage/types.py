"""GraphQL types of product usage, and the argument checks of the usage fields on ``Account``."""

import datetime as dt
from enum import Enum

import strawberry

from service.errors import InvalidInput
from service.usage.queries import FeatureUsageRow, SeriesRequest, UsagePointRow

MAX_BUCKETS = 1000
MAX_WINDOW_DAYS = 3660


@strawberry.enum(description="Bucket size of a usage series; buckets are UTC, weeks start on Monday.")
class UsageInterval(Enum):
    DAY = strawberry.enum_value("day", description="One bucket per UTC day.")
    WEEK = strawberry.enum_value("week", description="One bucket per ISO week (Monday to Sunday, UTC).")
    MONTH = strawberry.enum_value("month", description="One bucket per calendar month (UTC); active users are the MAU.")


@strawberry.type(description="Usage in one bucket of a series.")
class UsagePoint:
    period_start: dt.date = strawberry.field(description="First day of the bucket (UTC).")
    events: int = strawberry.field(description="Events in the bucket (only days inside the requested range).")
    active_users: int = strawberry.field(
        description="Distinct users seen in the bucket (a month's value is its MAU, not a sum of daily counts)."
    )

    @classmethod
    def from_row(cls, row: UsagePointRow) -> "UsagePoint":
        return cls(period_start=row.period_start, events=row.events, active_users=row.active_users)


@strawberry.type(description="How much one feature (event name) was used in a window.")
class FeatureUsage:
    feature: str = strawberry.field(description="The event name as product analytics sends it.")
    events: int = strawberry.field(description="Events in the window.")
    users: int = strawberry.field(description="Distinct users who used it in the window.")

    @classmethod
    def from_row(cls, row: FeatureUsageRow) -> "FeatureUsage":
        return cls(feature=row.feature, events=row.events, users=row.users)


@strawberry.type(description="Users grouped by how long ago they were last seen (measured from now).")
class LastSeenDistribution:
    within_1_day: int = strawberry.field(name="within1Day", description="Seen in the last 24 hours.")
    within_7_days: int = strawberry.field(name="within7Days", description="Last seen 1 to 7 days ago.")
    within_30_days: int = strawberry.field(name="within30Days", description="Last seen 7 to 30 days ago.")
    over_30_days: int = strawberry.field(name="over30Days", description="Last seen more than 30 days ago.")


def bucket_count(start: dt.date, end: dt.date, interval: UsageInterval) -> int:
    """How many buckets the series of [start, end) has: the buckets holding its first and its last day, and those
    between (weeks from Monday, months from the 1st), as the statement's ``generate_series`` makes them."""
    last = end - dt.timedelta(days=1)
    if interval is UsageInterval.DAY:
        return (last - start).days + 1
    if interval is UsageInterval.WEEK:
        return (last - (start - dt.timedelta(days=start.weekday()))).days // 7 + 1
    return (last.year - start.year) * 12 + last.month - start.month + 1


def series_request(start: dt.date, end: dt.date, interval: UsageInterval, event: str | None) -> SeriesRequest:
    if end <= start:
        raise InvalidInput(f"to ({end.isoformat()}) must be after from ({start.isoformat()}); to is exclusive")
    buckets = bucket_count(start, end, interval)
    if buckets > MAX_BUCKETS:
        raise InvalidInput(
            f"from {start.isoformat()} to {end.isoformat()} holds {buckets} {interval.name} buckets, more than "
            f"{MAX_BUCKETS}; use a larger interval or a shorter range"
        )
    return SeriesRequest(start, end, str(interval.value), event)


def window_days(days: int) -> int:
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_WINDOW_DAYS}, got {days}")
    return days


def active_since(days: int, now: dt.datetime) -> dt.datetime:
    """The start of ``activeUsers(days)``: ``days`` days before the request's ``now``."""
    return now - dt.timedelta(days=window_days(days))


def adoption_window(days: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days [start, end) of ``featureAdoption(days)``: the last ``days`` days, today included."""
    return today - dt.timedelta(days=window_days(days) - 1), today + dt.timedelta(days=1)
