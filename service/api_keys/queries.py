"""SQL for API keys."""

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from service.api_keys.roles import Role
from service.api_keys.tables import api_keys

# last_used_at is a hint for humans; writing it at most once a minute keeps reads write-free.
LAST_USED_RESOLUTION = sa.text("interval '60 seconds'")


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    id: uuid.UUID
    name: str
    role: Role
    key_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    sources: tuple[str, ...] | None  # None: every source


_COLUMNS = (
    api_keys.c.id,
    api_keys.c.name,
    api_keys.c.role,
    api_keys.c.key_prefix,
    api_keys.c.created_at,
    api_keys.c.last_used_at,
    api_keys.c.revoked_at,
    api_keys.c.sources,
)


def _row(data: RowMapping) -> ApiKeyRow:
    return ApiKeyRow(
        id=data["id"],
        name=data["name"],
        role=Role(data["role"]),
        key_prefix=data["key_prefix"],
        created_at=data["created_at"],
        last_used_at=data["last_used_at"],
        revoked_at=data["revoked_at"],
        sources=None if data["sources"] is None else tuple(data["sources"]),
    )


async def insert_key(
    conn: AsyncConnection,
    *,
    name: str,
    role: Role,
    key_prefix: str,
    key_hash: str,
    sources: tuple[str, ...] | None = None,
) -> ApiKeyRow:
    result = await conn.execute(
        sa.insert(api_keys)
        .values(
            name=name,
            role=role.value,
            key_prefix=key_prefix,
            key_hash=key_hash,
            sources=None if sources is None else list(sources),
        )
        .returning(*_COLUMNS)
    )
    return _row(result.one()._mapping)


async def find_active_by_hash(conn: AsyncConnection, key_hash: str) -> ApiKeyRow | None:
    result = await conn.execute(
        sa.select(*_COLUMNS).where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
    )
    row = result.one_or_none()
    return None if row is None else _row(row._mapping)


async def touch_last_used(conn: AsyncConnection, key_id: uuid.UUID) -> None:
    await conn.execute(
        sa.update(api_keys)
        .where(
            api_keys.c.id == key_id,
            sa.or_(
                api_keys.c.last_used_at.is_(None),
                api_keys.c.last_used_at < sa.func.now() - LAST_USED_RESOLUTION,
            ),
        )
        .values(last_used_at=sa.func.now())
    )


async def list_keys(conn: AsyncConnection) -> list[ApiKeyRow]:
    result = await conn.execute(sa.select(*_COLUMNS).order_by(api_keys.c.created_at, api_keys.c.id))
    return [_row(row._mapping) for row in result]


async def revoke_key(conn: AsyncConnection, key_id: uuid.UUID) -> ApiKeyRow | None:
    """Revoke a key; revoking twice keeps the first revocation time."""
    result = await conn.execute(
        sa.update(api_keys)
        .where(api_keys.c.id == key_id)
        .values(revoked_at=sa.func.coalesce(api_keys.c.revoked_at, sa.func.now()))
        .returning(*_COLUMNS)
    )
    row = result.one_or_none()
    return None if row is None else _row(row._mapping)
