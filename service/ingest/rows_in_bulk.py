"""Many rows into one table in one statement: every column travels as one array parameter and is ``unnest``ed
server-side, so the statement's text (and PostgreSQL's prepared plan for it) does not depend on how many rows
a batch has, and no batch runs into the protocol's limit of 32,767 parameters. Each statement reads no table but
its conflict index, so each row's foreign-key checks run plans kept for the statement (``plans_kept_for_checks``)."""

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.pool import plans_kept_for_checks


def _unnested(table: sa.Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> sa.Select[Any]:
    return sa.select(
        *(
            sa.func.unnest(sa.bindparam(f"c_{name}", [row[name] for row in rows], type_=sa.ARRAY(table.c[name].type)))
            for name in columns
        )
    )


async def insert_rows(conn: AsyncConnection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) in their order."""
    if not rows:
        return
    columns = list(rows[0])
    async with plans_kept_for_checks(conn):
        await conn.execute(sa.insert(table).from_select(columns, _unnested(table, columns, rows)))


async def upsert_rows(conn: AsyncConnection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with an ``id`` and the same keys), or, for an ``id`` already stored, set its columns
    to the row's (and ``updated_at`` to now, where the table has one). No two rows may share an ``id``."""
    if not rows:
        return
    columns = list(rows[0])
    statement = insert(table).from_select(columns, _unnested(table, columns, rows))
    changes: dict[str, Any] = {name: statement.excluded[name] for name in columns if name != "id"}
    if "updated_at" in table.c:
        changes["updated_at"] = sa.func.now()
    async with plans_kept_for_checks(conn):
        await conn.execute(statement.on_conflict_do_update(index_elements=[table.c.id], set_=changes))
