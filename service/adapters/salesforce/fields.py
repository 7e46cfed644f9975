"""Reading Salesforce field values: dotted relationship names (``Product2.Name``), its timestamps
(``2026-11-02T09:14:51.000+0000``, a change event's epoch milliseconds), its ids and numbers."""

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")
_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")


def value(record: Mapping[str, Any], name: str) -> Any:
    """``name`` of ``record``, following relationships: ``Product2.Name`` is ``record["Product2"]["Name"]``."""
    current: Any = record
    for part in name.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def has(record: Mapping[str, Any], name: str) -> bool:
    head, _, rest = name.partition(".")
    if head not in record:
        return False
    return not rest or (isinstance(record[head], Mapping) and has(record[head], rest))


def salesforce_id(raw: Any) -> str | None:
    """An id as Salesforce writes it (15 or 18 characters); None for none."""
    return raw.strip() if isinstance(raw, str) and _ID.match(raw.strip()) else None


def timestamp(raw: Any) -> Any:
    """Salesforce's ``+0000`` offsets as ISO 8601 (``+00:00``), epoch milliseconds as UTC; anything else as it is
    (the ingest service refuses it, naming the field)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        try:
            return dt.datetime.fromtimestamp(raw / 1000, dt.UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return raw
    if isinstance(raw, str):
        return _OFFSET.sub(r"\1:\2", raw.strip())
    return raw


def latest(*stamps: Any) -> Any:
    """The latest of the timestamps given (ISO text); the first present when they cannot be compared."""
    present = [timestamp(stamp) for stamp in stamps if stamp not in (None, "")]
    try:
        return max(present, key=dt.datetime.fromisoformat) if present else None
    except (TypeError, ValueError):
        return present[0]


def day(raw: Any) -> dt.date | None:
    """A date field: ``2026-01-15`` as the REST API and Bulk CSV write it, or epoch milliseconds (midnight UTC) as
    Bulk API JSON does — what dlt's verified Salesforce source passes on for ``date`` fields."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        try:
            return dt.datetime.fromtimestamp(raw / 1000, dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(raw, str):
        return None
    try:
        return dt.date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return None


def add_months(start: dt.date, months: int) -> dt.date:
    """``months`` later, on the same day or the month's last; the calendar's last day at most."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if year > dt.MAXYEAR:
        return dt.date.max
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def number(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or raw is None or raw == "":
        return None
    try:
        parsed = Decimal(str(raw))
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


def flag(raw: Any) -> bool | None:
    """A checkbox: JSON's true/false, or Bulk CSV's ``true``/``false``."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return None
