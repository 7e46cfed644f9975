"""Zendesk ticket metric events — the incremental export ``GET /api/v2/incremental/ticket_metric_events``, which
dlt's verified Zendesk source loads as its ``ticket_metric_events`` table — → the first response and solved times
of the tickets cshub has. A ticket's first response is its earliest ``reply_time`` ``fulfill`` event; it was solved
at its latest ``resolution_time`` ``fulfill`` (a reopened ticket solved again: the later one). The other events
(``activate``, ``pause``, ``apply_sla``, ``measure``…, other metrics) say nothing of these and are passed over.

Each ticket the events name is one partial ticket record with only these fields and no ``updated_at`` (an
event's time is no newer version of the ticket, and must not make its next delivery stale), answered under the
item of its first event that times one. It is written when cshub has the ticket and skipped when it does not
(``known_only``).
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from service.adapters.writing import ItemResult, Pending, refused
from service.adapters.zendesk.tickets import TicketItem, zendesk_id

KEY = "ticket_metric_events"
# (metric, type) → the ticket field it times, and whether the earliest (first reply) or the latest (solve) counts.
TIMED: dict[tuple[Any, Any], tuple[str, Any]] = {
    ("reply_time", "fulfill"): ("first_response_at", min),
    ("resolution_time", "fulfill"): ("solved_at", max),
}


def read_metric_events(events: Sequence[Any]) -> tuple[list[TicketItem], list[ItemResult]]:
    """The tickets' records from their events, in the order the tickets first appear; malformed events refused."""
    found: dict[str, dict[str, tuple[dt.datetime, str]]] = {}  # ticket → field → (time, the event's item)
    items: dict[str, str] = {}
    answered: list[ItemResult] = []
    for index, event in enumerate(events):
        item = f"{KEY}[{index}]"
        if not isinstance(event, Mapping):
            answered.append(refused(item, None, "tickets", item, "not a Zendesk ticket metric event object"))
            continue
        ticket_id = zendesk_id(event.get("ticket_id"))
        if ticket_id is None:
            answered.append(refused(item, None, "tickets", f"{item}.ticket_id", "a metric event names its ticket"))
            continue
        timed = TIMED.get((event.get("metric"), event.get("type")))
        if timed is None:
            continue
        at = _time(event.get("time"))
        if at is None:
            message = f"not an ISO 8601 time with its offset: {event.get('time')!r}"
            answered.append(refused(item, ticket_id, "tickets", f"{item}.time", message))
            continue
        field, pick = timed
        items.setdefault(ticket_id, item)
        fields = found.setdefault(ticket_id, {})
        before = fields.get(field)
        if before is None or pick(before[0], at) == at:
            fields[field] = (at, item)
    tickets = []
    for ticket_id, fields in found.items():
        record: dict[str, Any] = {
            "external_id": ticket_id,
            **{name: at.isoformat() for name, (at, _) in fields.items()},
        }
        paths = {"external_id": "ticket_id", **dict.fromkeys(fields, "time")}
        tickets.append(
            TicketItem(Pending(items[ticket_id], ticket_id, "tickets", record, paths), None, False, None, True)
        )
    return tickets, answered


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return at if at.tzinfo is not None else None
