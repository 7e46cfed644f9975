"""What subscriptions read: events from the outbox (with the account's CSM owner, for filtering) and alerts."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.events.tables import events
from service.health_scores.alerts import AlertRow
from service.health_scores.tables import alerts

CATCH_UP_PAGE = 500  # events read per statement when replaying the outbox


@dataclass(frozen=True, slots=True)
class EventRow:
    id: uuid.UUID
    sequence: int
    type: str
    occurred_at: dt.datetime
    account_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    actor: str | None
    payload: dict[str, Any]
    csm_owner: str | None  # the account's, when the event was read


def _select() -> sa.Select[Any]:
    e = events.c
    return (
        sa.select(
            e.id, e.sequence, e.type, e.occurred_at, e.account_id, e.subject_id, e.actor, e.payload,
            accounts.c.csm_owner,
        )
        .select_from(events.outerjoin(accounts, accounts.c.id == e.account_id))
        .order_by(e.sequence)
    )  # fmt: skip


async def events_by_id(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[EventRow]:
    """The events of ``ids`` that exist, in sequence order."""
    rows = await conn.execute(_select().where(events.c.id.in_(ids)))
    return [EventRow(*row) for row in rows]


async def events_after(
    conn: AsyncConnection,
    after: int,
    *,
    prefixes: Sequence[str],
    account_id: uuid.UUID | None = None,
    csm_owner: str | None = None,
    limit: int = CATCH_UP_PAGE,
) -> list[EventRow]:
    """Up to ``limit`` events after sequence ``after`` whose type starts with one of ``prefixes``, of the account
    and CSM owner when given, in sequence order."""
    e = events.c
    query = _select().where(e.sequence > after, sa.or_(*(e.type.startswith(p) for p in prefixes)))
    if account_id is not None:
        query = query.where(e.account_id == account_id)
    if csm_owner is not None:
        query = query.where(accounts.c.csm_owner == csm_owner)
    return [EventRow(*row) for row in await conn.execute(query.limit(limit))]


async def latest_sequence(conn: AsyncConnection) -> int:
    return int((await conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.sequence), 0)))).scalar_one())


async def alert_by_id(conn: AsyncConnection, alert_id: uuid.UUID) -> AlertRow | None:
    a = alerts.c
    row = (
        await conn.execute(
            sa.select(
                a.id, a.account_id, a.rule, a.status, a.message, a.details, a.opened_at, a.acknowledged_at,
                a.acknowledged_by, a.resolved_at, a.resolved_by, a.note,
            ).where(a.id == alert_id)
        )
    ).first()  # fmt: skip
    return AlertRow(**row._mapping) if row is not None else None
