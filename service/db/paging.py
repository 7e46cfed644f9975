"""Keyset pages of a per-account list for many accounts in one statement.

Newest first on ``(time column, id)``: each account's rows after the cursor are numbered with a window
function and the first ``limit`` kept, so a page of 100 accounts asking for their tickets is one query.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.rows import uuid_array


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int  # rows wanted; one more is fetched to tell whether a next page exists
    after: tuple[dt.datetime, uuid.UUID] | None  # the sort key of the last row already seen


# Stands for "every page" in a query that only counts, so counts of different pages batch together.
UNPAGED = PageRequest(limit=0, after=None)


async def counts_per_account(
    conn: AsyncConnection,
    table: sa.Table,
    account_ids: Sequence[uuid.UUID],
    where: Sequence[sa.ColumnElement[bool]] = (),
) -> dict[uuid.UUID, int]:
    """Per account the number of ``table`` rows meeting ``where`` (all pages) — one statement for all of them."""
    account_id = table.c.account_id
    rows = await conn.execute(
        sa.select(account_id, sa.func.count())
        .where(account_id == sa.any_(uuid_array(account_ids)), *where)
        .group_by(account_id)
    )
    return {row[0]: int(row[1]) for row in rows}


def newest_first(table: sa.FromClause, time_column: str) -> tuple[sa.ColumnElement[Any], ...]:
    """The order of a per-account list: newest first, ties by id."""
    return (table.c[time_column].desc(), table.c.id.desc())


def after_condition(table: sa.FromClause, time_column: str, page: PageRequest) -> list[sa.ColumnElement[bool]]:
    """Rows after the page's cursor in ``newest_first`` order (none when the page has no cursor)."""
    if page.after is None:
        return []
    return [sa.tuple_(table.c[time_column], table.c.id) < sa.tuple_(*page.after)]


async def pages_per_account(
    conn: AsyncConnection,
    table: sa.Table,
    time_column: str,
    account_ids: Sequence[uuid.UUID],
    page: PageRequest,
    where: Sequence[sa.ColumnElement[bool]] = (),
) -> dict[uuid.UUID, list[sa.Row[Any]]]:
    """Per account up to ``page.limit + 1`` rows of ``table`` (all columns), newest first."""
    conditions = [
        table.c.account_id == sa.any_(uuid_array(account_ids)),
        *where,
        *after_condition(table, time_column, page),
    ]
    numbered = (
        sa.select(
            *table.c,
            sa.func.row_number()
            .over(partition_by=table.c.account_id, order_by=newest_first(table, time_column))
            .label("position"),
        )
        .where(*conditions)
        .subquery()
    )
    rows = await conn.execute(
        sa.select(*(numbered.c[column.name] for column in table.c))
        .where(numbered.c.position <= page.limit + 1)
        .order_by(numbered.c.account_id, numbered.c.position)
    )
    grouped: dict[uuid.UUID, list[sa.Row[Any]]] = {}
    for row in rows:
        grouped.setdefault(row.account_id, []).append(row)
    return grouped
