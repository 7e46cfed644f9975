"""What subscriptions read: events from the outbox (with the account's CSM owner, for filtering) and alerts."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.events.commit_order import IN_ORDER, Position, after, below
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
    tx_id: int  # with sequence, the event's place in commit order (service.events.commit_order)

    @property
    def position(self) -> Position:
        return Position(self.tx_id, self.sequence)


def _select() -> sa.Select[Any]:
    e = events.c
    return (
        sa.select(
            e.id, e.sequence, e.type, e.occurred_at, e.account_id, e.subject_id, e.actor, e.payload,
            accounts.c.csm_owner, e.tx_id,
        )
        .select_from(events.outerjoin(accounts, accounts.c.id == e.account_id))
        .order_by(*IN_ORDER)
    )  # fmt: skip


async def events_after(
    conn: AsyncConnection,
    position: Position,
    horizon: int,
    *,
    prefixes: Sequence[str],
    account_id: uuid.UUID | None = None,
    csm_owner: str | None = None,
    limit: int = CATCH_UP_PAGE,
) -> list[EventRow]:
    """Up to ``limit`` events after ``position`` and below ``horizon`` (``commit_order.horizon``, read in an
    earlier statement) whose type starts with one of ``prefixes``, of the account and CSM owner when given, in
    commit order."""
    e = events.c
    query = _select().where(after(position), below(horizon), sa.or_(*(e.type.startswith(p) for p in prefixes)))
    if account_id is not None:
        query = query.where(e.account_id == account_id)
    if csm_owner is not None:
        query = query.where(accounts.c.csm_owner == csm_owner)
    return [EventRow(*row) for row in await conn.execute(query.limit(limit))]


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
