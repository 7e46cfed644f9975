"""SQL reads of the outbox and the webhook tables, and the statements the webhook service and worker write with."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.rows import row_into
from service.events.outbox import endpoint_wants
from service.events.tables import events, webhook_attempts, webhook_deliveries, webhook_endpoints


@dataclass(frozen=True, slots=True)
class EventRow:
    id: uuid.UUID
    sequence: int
    type: str
    version: int
    occurred_at: dt.datetime
    account_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    actor: str | None
    payload: dict[str, Any]


_EVENT_COLUMNS = tuple(events.c[name] for name in EventRow.__slots__)


async def events_in_order(
    conn: AsyncConnection, *, after_sequence: int = 0, limit: int = 1000, types: Sequence[str] | None = None
) -> list[EventRow]:
    """Events appended after ``after_sequence``, in append order."""
    select = sa.select(*_EVENT_COLUMNS).where(events.c.sequence > after_sequence)
    if types is not None:
        select = select.where(events.c.type.in_(list(types)))
    rows = await conn.execute(select.order_by(events.c.sequence).limit(limit))
    return [row_into(EventRow, row) for row in rows]


@dataclass(frozen=True, slots=True)
class EndpointRow:
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    segments: list[str] | None
    csm_owners: list[str] | None
    enabled: bool
    disabled_reason: str | None
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: dt.datetime | None
    failing_since: dt.datetime | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


ENDPOINT_COLUMNS = tuple(webhook_endpoints.c[name] for name in EndpointRow.__slots__)


async def endpoints(conn: AsyncConnection, ids: Sequence[uuid.UUID] | None = None) -> list[EndpointRow]:
    select = sa.select(*ENDPOINT_COLUMNS)
    if ids is not None:
        select = select.where(webhook_endpoints.c.id.in_(list(ids)))
    rows = await conn.execute(select.order_by(webhook_endpoints.c.created_at, webhook_endpoints.c.id))
    return [row_into(EndpointRow, row) for row in rows]


async def locked_endpoint(conn: AsyncConnection, endpoint_id: uuid.UUID) -> EndpointRow | None:
    select = sa.select(*ENDPOINT_COLUMNS).where(webhook_endpoints.c.id == endpoint_id).with_for_update()
    found = (await conn.execute(select)).one_or_none()
    return row_into(EndpointRow, found) if found is not None else None


async def insert_endpoint(conn: AsyncConnection, values: dict[str, Any]) -> EndpointRow:
    inserted = await conn.execute(sa.insert(webhook_endpoints).values(**values).returning(*ENDPOINT_COLUMNS))
    return row_into(EndpointRow, inserted.one())


async def update_endpoint(conn: AsyncConnection, endpoint_id: uuid.UUID, values: dict[str, Any]) -> EndpointRow:
    updated = await conn.execute(
        sa.update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(**values, updated_at=sa.func.now())
        .returning(*ENDPOINT_COLUMNS)
    )
    return row_into(EndpointRow, updated.one())


async def delete_endpoint(conn: AsyncConnection, endpoint_id: uuid.UUID) -> bool:
    deleted = await conn.execute(sa.delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))
    return bool(deleted.rowcount)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_attempt_at: dt.datetime | None
    response_status: int | None
    latency_ms: int | None
    last_error: str | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    event_type: str


DELIVERY_COLUMNS = (
    *(webhook_deliveries.c[name] for name in DeliveryRow.__slots__ if name != "event_type"),
    events.c.type.label("event_type"),
)
_DELIVERIES = webhook_deliveries.join(events, events.c.id == webhook_deliveries.c.event_id)


async def deliveries_of_endpoint(
    conn: AsyncConnection, endpoint_id: uuid.UUID, *, statuses: Sequence[str] | None, limit: int
) -> list[DeliveryRow]:
    """An endpoint's deliveries, newest first."""
    d = webhook_deliveries.c
    select = sa.select(*DELIVERY_COLUMNS).select_from(_DELIVERIES).where(d.endpoint_id == endpoint_id)
    if statuses is not None:
        select = select.where(d.status.in_(list(statuses)))
    rows = await conn.execute(select.order_by(d.created_at.desc(), d.id.desc()).limit(limit))
    return [row_into(DeliveryRow, row) for row in rows]


async def delivery_by_id(conn: AsyncConnection, delivery_id: uuid.UUID) -> DeliveryRow | None:
    select = sa.select(*DELIVERY_COLUMNS).select_from(_DELIVERIES).where(webhook_deliveries.c.id == delivery_id)
    found = (await conn.execute(select)).one_or_none()
    return row_into(DeliveryRow, found) if found is not None else None


@dataclass(frozen=True, slots=True)
class AttemptRow:
    delivery_id: uuid.UUID
    attempt: int
    attempted_at: dt.datetime
    response_status: int | None
    latency_ms: int
    error: str | None


_ATTEMPT_COLUMNS = tuple(webhook_attempts.c[name] for name in AttemptRow.__slots__)


async def attempts_of_deliveries(conn: AsyncConnection, delivery_ids: Sequence[uuid.UUID]) -> list[AttemptRow]:
    a = webhook_attempts.c
    rows = await conn.execute(
        sa.select(*_ATTEMPT_COLUMNS).where(a.delivery_id.in_(list(delivery_ids))).order_by(a.delivery_id, a.attempt)
    )
    return [row_into(AttemptRow, row) for row in rows]


async def events_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, EventRow]:
    rows = await conn.execute(sa.select(*_EVENT_COLUMNS).where(events.c.id.in_(list(ids))))
    return {row.id: row_into(EventRow, row) for row in rows}


# Every event of the window the endpoint wants (as fan-out decides, accounts read as they are now) gets its
# delivery queued at once: a new one, or the existing one (same id, so the same webhook-id) made pending again.
_REPLAY = sa.text(f"""
INSERT INTO webhook_deliveries AS d (endpoint_id, event_id, next_attempt_at)
SELECT w.id, e.id, CAST(:now AS timestamptz)
FROM events AS e
JOIN webhook_endpoints AS w ON w.id = :endpoint_id
LEFT JOIN accounts AS a ON a.id = e.account_id
WHERE e.occurred_at >= :start AND e.occurred_at < :end AND {endpoint_wants("e")}
ON CONFLICT (endpoint_id, event_id) DO UPDATE
SET status = 'pending', next_attempt_at = excluded.next_attempt_at, delivered_at = NULL
RETURNING (xmax = 0) AS created
""")  # noqa: S608


@dataclass(frozen=True, slots=True)
class Replayed:
    queued: int  # deliveries due now
    created: int  # of which new (events the endpoint had no delivery of: before it existed, or filtered then)


async def replay_window(
    conn: AsyncConnection, endpoint_id: uuid.UUID, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> Replayed:
    statement = _REPLAY.bindparams(sa.bindparam("endpoint_id", type_=sa.Uuid))
    rows = (await conn.execute(statement, {"endpoint_id": endpoint_id, "start": start, "end": end, "now": now})).all()
    return Replayed(queued=len(rows), created=sum(1 for row in rows if row.created))
