"""SQL of the audit log: append a row, read a newest-first page."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.audit.tables import audit_log
from service.db.rows import row_into

a = audit_log.c


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: uuid.UUID
    occurred_at: dt.datetime
    key_id: uuid.UUID | None
    person_id: uuid.UUID | None
    actor: str
    role: str | None
    action: str
    target: str | None
    outcome: str
    details: dict[str, Any]
    request_id: str | None


@dataclass(frozen=True, slots=True)
class AuditQuery:
    key_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    action: str | None = None
    outcome: str | None = None
    occurred_from: dt.datetime | None = None
    occurred_to: dt.datetime | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = []
        if self.key_id is not None:
            found.append(a.key_id == self.key_id)
        if self.person_id is not None:
            found.append(a.person_id == self.person_id)
        if self.action is not None:
            found.append(a.action == self.action)
        if self.outcome is not None:
            found.append(a.outcome == self.outcome)
        if self.occurred_from is not None:
            found.append(a.occurred_at >= self.occurred_from)
        if self.occurred_to is not None:
            found.append(a.occurred_at < self.occurred_to)
        return found


async def insert_entry(conn: AsyncConnection, values: dict[str, Any]) -> None:
    # clock_timestamp(), not now(): entries of one long transaction keep their real order.
    await conn.execute(sa.insert(audit_log).values(occurred_at=sa.func.clock_timestamp(), **values))


async def audit_page(
    conn: AsyncConnection, query: AuditQuery, *, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
) -> list[AuditRow]:
    """Entries newest first, keyset-paginated on (occurred_at, id); ``limit`` rows."""
    page = sa.select(*(audit_log.c[name] for name in AuditRow.__slots__)).where(*query.conditions())
    if after is not None:
        page = page.where(sa.tuple_(a.occurred_at, a.id) < sa.tuple_(*after))
    rows = await conn.execute(page.order_by(a.occurred_at.desc(), a.id.desc()).limit(limit))
    return [row_into(AuditRow, row) for row in rows]
