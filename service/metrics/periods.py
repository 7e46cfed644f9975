"""The period a metric covers and the currency it counts, checked the same way for every metric.

Periods are ``[from, to)`` in UTC days: a timestamp counts when ``from 00:00 UTC <= t < to 00:00 UTC``, a
day when ``from <= d < to``; revenue reads MRR on ``from`` and on ``to``. At most 20 years keep one call's
statement bounded.
"""

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from service.errors import InvalidInput

MAX_YEARS = 20


@dataclass(frozen=True, slots=True)
class Period:
    """The days ``[start, end)`` (UTC)."""

    start: dt.date
    end: dt.date

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), dt.UTC)

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(), dt.UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def holds(self, moment: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """A timestamp column inside the period."""
        return sa.and_(moment >= self.start_at, moment < self.end_at)

    def holds_day(self, day: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """A date column inside the period."""
        return sa.and_(day >= self.start, day < self.end)


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def period(start: dt.date, end: dt.date) -> Period:
    """The checked period: ``to`` after ``from`` (it is exclusive) and at most 20 years later."""
    if end <= start:
        raise InvalidInput(f"to ({end.isoformat()}) must be after from ({start.isoformat()}); to is exclusive")
    if end > _years_later(start, MAX_YEARS):
        raise InvalidInput(f"the period {start.isoformat()} to {end.isoformat()} spans more than {MAX_YEARS} years")
    return Period(start, end)


def currency_code(currency: str) -> str:
    """An ISO 4217 code as contracts store it (three capital letters); other currencies are not converted."""
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise InvalidInput(f"currency: {currency[:20]!r} is not an ISO 4217 currency code such as USD")
    return currency
