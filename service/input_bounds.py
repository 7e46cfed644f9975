"""The one range every date and time input must fall in, and the bounds of decimal inputs, wherever they enter.

Dates are accepted from 1900-01-01 to 2199-12-31; a time (DateTime) when the instant it names, in whatever
offset it is written, falls on one of those days in UTC (a time without an offset is read as UTC) — the UTC
instant, not the day as written, so a time read back from PostgreSQL (in UTC) passes the same check. Outside
it things break far from the input: asyncpg sends ``date(1, 1, 1)`` to PostgreSQL as ``-infinity`` (a series
"from year 1" never ends), a UTC time near year 1 or 9999 does not fit a Python datetime, arithmetic near
9999 overflows. Decimals must be finite with at most ``DECIMAL_DIGITS`` digits before the point and as many
after: more than any column stores (numeric(18, 4) at most; domains refuse what does not fit with their own
message), less than what overflows PostgreSQL's numeric or a float.

The GraphQL scalars (``service.graphql.scalars``) hold every argument and input field to these bounds,
cursor decoding holds the values a cursor carries to them, and ingest holds record fields to them
(``service.ingest.records``); each names its input in the error.
"""

import datetime as dt
from decimal import Decimal
from typing import TypeVar

from service.errors import InvalidInput

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
CALENDAR = f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
FIRST_MOMENT = dt.datetime.combine(FIRST_DAY, dt.time(), dt.UTC)
END_MOMENT = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time(), dt.UTC)  # the first instant after
DECIMAL_DIGITS = 30

Dated = TypeVar("Dated", bound=dt.date)


def outside_calendar(value: dt.date) -> str | None:
    """Why a date or time (a ``datetime`` is a ``date``) is refused, or None when it is in the range."""
    if FIRST_DAY.year < value.year < LAST_DAY.year:
        return None  # in whatever offset: no offset moves an instant a whole year (and comparing times costs more)
    if isinstance(value, dt.datetime):
        # Aware datetimes in different offsets compare without converting, so this cannot overflow.
        if FIRST_MOMENT <= (value if value.tzinfo else value.replace(tzinfo=dt.UTC)) < END_MOMENT:
            return None
        return f"{value.isoformat()} is outside the supported dates, {CALENDAR} (in UTC)"
    if FIRST_DAY <= value <= LAST_DAY:
        return None
    return f"{value.isoformat()} is outside the supported dates, {CALENDAR}"


def unusable_decimal(value: Decimal) -> str | None:
    """Why a decimal is refused (not finite, too large, too many places), or None when it can be used."""
    if not value.is_finite():
        return f"must be a finite number, got {value}"
    if value.adjusted() >= DECIMAL_DIGITS:
        return f"must have at most {DECIMAL_DIGITS} digits before the decimal point, got {value.adjusted() + 1}"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -DECIMAL_DIGITS:
        return f"must have at most {DECIMAL_DIGITS} digits after the decimal point, got {-exponent}"
    return None


def within_calendar(value: Dated) -> Dated:
    """``value`` itself, or a ValueError saying why it is outside the calendar (a pydantic ``AfterValidator``)."""
    reason = outside_calendar(value)
    if reason:
        raise ValueError(reason)
    return value


def in_calendar(value: Dated, name: str) -> Dated:
    """``value`` itself, or a BAD_USER_INPUT naming the input ``name`` when it is outside the calendar."""
    reason = outside_calendar(value)
    if reason:
        raise InvalidInput(f"{name}: {reason}", field=name)
    return value
