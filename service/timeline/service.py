"""Recording a touchpoint by hand: what people add to a timeline from the hub (``addTimelineEntry``).

Only the recorded kinds (meeting, call, note…) may be written: the derived kinds are computed from the
hub's own records and would contradict them if they could also be typed in. The entry is stored as a
``timeline_events`` row with source ``cshub`` and the caller as actor, so it reads like an ingested one, and
announced as ``timeline.entry_added`` in the same transaction.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.queries import accounts_by_ids
from service.errors import InvalidInput, NotFound
from service.events import emit
from service.timeline.derived import HUB_SOURCE
from service.timeline.queries import TimelineRow, insert_timeline_event
from service.timeline.tables import TIMELINE_KINDS

MAX_SUMMARY = 2000
# Clocks differ and people log a meeting set for tomorrow morning; anything later is a typo.
MAX_AHEAD = dt.timedelta(days=1)
# Long before any customer; near year 1 the UTC time PostgreSQL stores would not even fit a datetime.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class NewEntry:
    account_id: uuid.UUID
    kind: str
    occurred_at: dt.datetime
    summary: str
    actor: str


def _checked_summary(entry: NewEntry, now: dt.datetime) -> str:
    """The trimmed summary, once every field has passed (each error names the GraphQL field at fault)."""
    if entry.kind not in TIMELINE_KINDS:
        allowed = ", ".join(kind.upper() for kind in TIMELINE_KINDS)
        raise InvalidInput(
            f"kind: {entry.kind.upper()} entries are derived from the hub's records; record one of {allowed}",
            field="kind",
        )
    if entry.occurred_at.tzinfo is None:
        raise InvalidInput("occurredAt: give a time zone (e.g. 2026-03-01T10:00:00Z)", field="occurredAt")
    if entry.occurred_at > now + MAX_AHEAD:
        raise InvalidInput(f"occurredAt: at most a day ahead (now is {now:%Y-%m-%dT%H:%M:%SZ})", field="occurredAt")
    if entry.occurred_at < EARLIEST:
        raise InvalidInput(f"occurredAt: not before {EARLIEST:%Y-%m-%d}", field="occurredAt")
    summary = entry.summary.strip()
    if not summary:
        raise InvalidInput("summary: say what was said or done (it is blank)", field="summary")
    if len(summary) > MAX_SUMMARY:
        raise InvalidInput(f"summary: at most {MAX_SUMMARY} characters, got {len(summary)}", field="summary")
    return summary


async def add_entry(conn: AsyncConnection, entry: NewEntry, *, now: dt.datetime, by: str) -> TimelineRow:
    """Record the entry; ``by`` is the caller as events name it (``Principal.actor``)."""
    summary = _checked_summary(entry, now)
    if not await accounts_by_ids(conn, [entry.account_id]):
        raise NotFound(f"accountId: no account {entry.account_id}", field="accountId")
    values = {
        "account_id": entry.account_id,
        "kind": entry.kind,
        "occurred_at": entry.occurred_at,
        "summary": summary,
        "actor": entry.actor,
        "source": HUB_SOURCE,
    }
    row = await insert_timeline_event(conn, values)
    added = emit.TimelineEntryAdded(
        row.id, row.account_id, row.kind, row.occurred_at, row.summary, row.actor, HUB_SOURCE, actor=by
    )
    await emit.timeline_entries_added(conn, [added])
    return row
