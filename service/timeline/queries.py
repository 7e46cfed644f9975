"""SQL reads over ``timeline_events``: per-account keyset pages, newest first."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db_paging import PageRequest, counts_per_account, pages_per_account
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


def _conditions(query: TimelineQuery) -> list[sa.ColumnElement[bool]]:
    if query.kinds is None:
        return []
    return [timeline_events.c.kind == sa.any_(text_array(query.kinds, "kinds"))]


async def timeline_pages(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: TimelineQuery
) -> dict[uuid.UUID, list[TimelineRow]]:
    pages = await pages_per_account(conn, timeline_events, "occurred_at", account_ids, query.page, _conditions(query))
    return {account_id: [row_into(TimelineRow, row) for row in rows] for account_id, rows in pages.items()}


async def timeline_counts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: TimelineQuery
) -> dict[uuid.UUID, int]:
    return await counts_per_account(conn, timeline_events, account_ids, _conditions(query))
