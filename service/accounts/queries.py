"""SQL reads over ``accounts``. Callers pass their own connection."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: uuid.UUID
    name: str
    domain: str | None
    industry: str | None
    segment: str | None
    lifecycle_stage: str | None
    touch_model: str | None
    csm_owner: str | None
    sales_owner: str | None
    parent_account_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = tuple(accounts.c[name] for name in AccountRow.__slots__)


def _rows(result: sa.CursorResult[tuple[object, ...]]) -> list[AccountRow]:
    return [AccountRow(**row._mapping) for row in result]


async def accounts_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[AccountRow]:
    result = await conn.execute(
        sa.select(*_COLUMNS).where(accounts.c.id == sa.any_(sa.bindparam("ids", list(ids), type_=ARRAY(sa.Uuid))))
    )
    return _rows(result)


async def accounts_page(conn: AsyncConnection, *, after: tuple[str, uuid.UUID] | None, limit: int) -> list[AccountRow]:
    """Accounts ordered by (name, id), starting after the given sort key; at most ``limit`` rows."""
    query = sa.select(*_COLUMNS).order_by(accounts.c.name, accounts.c.id).limit(limit)
    if after is not None:
        query = query.where(sa.tuple_(accounts.c.name, accounts.c.id) > sa.tuple_(*after))
    return _rows(await conn.execute(query))


async def count_accounts(conn: AsyncConnection) -> int:
    result = await conn.execute(sa.select(sa.func.count()).select_from(accounts))
    return int(result.scalar_one())
