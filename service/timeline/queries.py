"""SQL reads over ``timeline_events``: per-account keyset pages, newest first."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db_paging import PageRequest, pages_per_account
from service.db_rows import row_into, text_array
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
        where.append(timeline_events.c.kind == sa.any_(text_array(query.kinds, "kinds")))
    pages = await pages_per_account(conn, timeline_events, "occurred_at", account_ids, query.page, where)
    return {account_id: [row_into(TimelineRow, row) for row in rows] for account_id, rows in pages.items()}
