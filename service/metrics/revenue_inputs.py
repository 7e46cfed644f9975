"""What a revenue metric call asks for, validated: the period [from, to), the currency, the bucket size.

Limits keep one call's statement bounded: a period of at most 20 years, at most 240 buckets. Buckets are
calendar months or quarters (UTC dates) intersected with the period, so the first and last bucket may be
partial: their boundaries are ``from``, every calendar month (quarter) start strictly inside the period,
and ``to``.
"""

import datetime as dt
from enum import StrEnum

from service.errors import InvalidInput
from service.metrics.periods import Period

MAX_BUCKETS = 240


class BucketSize(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


def _calendar_index(day: dt.date, size: BucketSize) -> int:
    months = day.year * 12 + day.month - 1
    return months if size is BucketSize.MONTH else months // 3


def _starts_period(day: dt.date, size: BucketSize) -> bool:
    return day.day == 1 and (size is BucketSize.MONTH or (day.month - 1) % 3 == 0)


def bucket_count(within: Period, size: BucketSize) -> int:
    """How many buckets the period splits into: one more than the calendar period starts inside it."""
    first_inside = _calendar_index(within.start, size) + 1
    last_inside = _calendar_index(within.end, size) - (1 if _starts_period(within.end, size) else 0)
    return max(0, last_inside - first_inside + 1) + 1


def bucketed(within: Period, size: BucketSize) -> Period:
    buckets = bucket_count(within, size)
    if buckets > MAX_BUCKETS:
        raise InvalidInput(f"the period holds {buckets} {size.value} buckets, more than {MAX_BUCKETS}")
    return within
