"""Input checks of the success plan (goals and action items), with messages a person can act on.

Each failure names the input field at fault (the API's camelCase name), so a mutation can report it in
``MutationError.field`` and a form can put the message beside the right box. Checks run before anything
is written; a mutation's transaction then has nothing to roll back but is rolled back all the same.
"""

import datetime as dt
from decimal import Decimal

from service.errors import InvalidInput, NotFound

# numeric(18, 4): 14 digits before the point, 4 after.
NUMBER_PLACES = 4
NUMBER_LIMIT = Decimal(10) ** 14
EARLIEST_DAY = dt.date(2000, 1, 1)
MAX_YEARS_AHEAD = 10
# A client's clock may run a little ahead of ours; a measurement this far "in the future" is still now.
CLOCK_SKEW = dt.timedelta(minutes=5)


class InvalidField(InvalidInput):
    """BAD_USER_INPUT about one input field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)


class UnknownReference(NotFound):
    """NOT_FOUND: an id given in one input field names nothing (or nothing this caller may link to)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)


def text(value: str, field: str, *, limit: int) -> str:
    """Required text, stripped: not blank, at most ``limit`` characters."""
    stripped = value.strip()
    if not stripped:
        raise InvalidField(field, "must not be blank")
    if len(stripped) > limit:
        raise InvalidField(field, f"at most {limit} characters, got {len(stripped)}")
    return stripped


def optional_text(value: str | None, field: str, *, limit: int) -> str | None:
    """Optional text, stripped; blank counts as not given."""
    if value is None or not value.strip():
        return None
    return text(value, field, limit=limit)


def number(value: Decimal | None, field: str) -> Decimal | None:
    """A value that fits the database's numeric(18, 4) as given, rather than being rounded silently."""
    if value is None:
        return None
    if not value.is_finite():
        raise InvalidField(field, f"must be a finite number, got {value}")
    if abs(value) >= NUMBER_LIMIT:
        raise InvalidField(field, f"must be between -{NUMBER_LIMIT} and {NUMBER_LIMIT} (exclusive), got {value}")
    exponent = value.normalize().as_tuple().exponent  # 1.50000 has two places, not five
    if isinstance(exponent, int) and exponent < -NUMBER_PLACES:
        raise InvalidField(field, f"at most {NUMBER_PLACES} decimal places, got {value}")
    return value


def due_day(value: dt.date | None, field: str, today: dt.date) -> dt.date | None:
    """A due date: past ones are allowed (a goal already overdue), absurd ones are not."""
    if value is None:
        return None
    latest = dt.date(today.year + MAX_YEARS_AHEAD, 12, 31)
    if not EARLIEST_DAY <= value <= latest:
        raise InvalidField(field, f"must be between {EARLIEST_DAY} and {latest}, got {value}")
    return value


def past_day(value: dt.date, field: str, today: dt.date) -> dt.date:
    """A day something already happened on: not in the future (UTC), not before the hub's earliest day."""
    if value > today:
        raise InvalidField(field, f"must not be in the future (today is {today} UTC), got {value}")
    if value < EARLIEST_DAY:
        raise InvalidField(field, f"must not be before {EARLIEST_DAY}, got {value}")
    return value


def past_moment(value: dt.datetime, field: str, now: dt.datetime) -> dt.datetime:
    """A time something was measured: with a time zone, not in the future, not before the earliest day."""
    if value.tzinfo is None:
        raise InvalidField(field, "give a time zone (e.g. 2026-03-01T09:00:00Z)")
    if value > now + CLOCK_SKEW:
        raise InvalidField(field, f"must not be in the future (now is {now:%Y-%m-%dT%H:%M:%SZ}), got {value}")
    if value.date() < EARLIEST_DAY:
        raise InvalidField(field, f"must not be before {EARLIEST_DAY}, got {value}")
    return value
