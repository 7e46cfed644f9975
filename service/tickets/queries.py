"""SQL reads over ``tickets``: per-account keyset pages with filters, and lookups by id."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.paging import PageRequest, counts_per_account, pages_per_account
from service.db.rows import row_into, text_array, uuid_array
from service.tickets.tables import tickets

OPEN_STATUSES = ("new", "open", "pending", "on_hold")


@dataclass(frozen=True, slots=True)
class TicketRow:
    id: uuid.UUID
    account_id: uuid.UUID
    subject: str | None
    status: str
    priority: str | None
    category: str | None
    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    solved_at: dt.datetime | None
    csat: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """Which tickets of an account, and which page of them; hashable so equal requests batch together."""

    page: PageRequest
    statuses: tuple[str, ...] | None = None
    priorities: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    open_only: bool = False
    opened_from: dt.datetime | None = None
    opened_before: dt.datetime | None = None


def _in(column: sa.Column[Any], values: tuple[str, ...]) -> sa.ColumnElement[bool]:
    # An unnamed parameter: the compiled read path puts several filters (aliases) in one statement.
    return column == sa.any_(text_array(values))


def conditions(query: TicketQuery) -> list[sa.ColumnElement[bool]]:
    c = tickets.c
    where: list[sa.ColumnElement[bool]] = []
    if query.statuses is not None:
        where.append(_in(c.status, query.statuses))
    if query.priorities is not None:
        where.append(_in(c.priority, query.priorities))
    if query.categories is not None:
        where.append(_in(c.category, query.categories))
    if query.open_only:
        where.append(_in(c.status, OPEN_STATUSES))
    if query.opened_from is not None:
        where.append(c.opened_at >= query.opened_from)
    if query.opened_before is not None:
        where.append(c.opened_at < query.opened_before)
    return where


async def ticket_pages(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: TicketQuery
) -> dict[uuid.UUID, list[TicketRow]]:
    """Per account the requested page of tickets (plus one row to tell whether more follow), newest first."""
    pages = await pages_per_account(conn, tickets, "opened_at", account_ids, query.page, conditions(query))
    return {account_id: [row_into(TicketRow, row) for row in rows] for account_id, rows in pages.items()}


async def tickets_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, TicketRow]:
    rows = await conn.execute(sa.select(tickets).where(tickets.c.id == sa.any_(uuid_array(ids))))
    return {row.id: row_into(TicketRow, row) for row in rows}


async def ticket_counts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: TicketQuery
) -> dict[uuid.UUID, int]:
    """Per account the number of tickets ``query`` selects, over all pages."""
    return await counts_per_account(conn, tickets, account_ids, conditions(query))
