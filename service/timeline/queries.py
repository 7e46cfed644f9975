"""SQL reads over ``timeline_events``: per-account keyset pages, newest first."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db_paging import PageRequest, pages_per_account
from service.timeline.tables import timeline_events


@dataclass(frozen=True, slots=True)
class TimelineRow:
    id: uuid.UUID
    account_id: uuid.UUID
    kind: str
    occurred_at: dt.datetime
    summary: str
    actor: str | None
    source: str | None


@dataclass(frozen=True, slots=True)
class TimelineQuery:
    page: PageRequest
    kinds: tuple[str, ...] | None = None


async def timeline_pages(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: TimelineQuery
) -> dict[uuid.UUID, list[TimelineRow]]:
    where: list[sa.ColumnElement[bool]] = []
    if query.kinds is not None:
        where.append(timeline_events.c.kind == sa.any_(sa.bindparam("kinds", list(query.kinds), ARRAY(sa.Text))))
    pages = await pages_per_account(conn, timeline_events, "occurred_at", account_ids, query.page, where)
    return {
        account_id: [TimelineRow(**{name: row._mapping[name] for name in TimelineRow.__slots__}) for row in rows]
        for account_id, rows in pages.items()
    }
