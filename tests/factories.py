"""Small typed factories for test rows."""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.accounts.tables import accounts


async def insert_accounts(engine: AsyncEngine, *names: str, **columns: Any) -> list[uuid.UUID]:
    """Insert one account per name (other columns shared) and return their ids in order."""
    async with engine.begin() as conn:
        result = await conn.execute(
            sa.insert(accounts).values([{"name": name, **columns} for name in names]).returning(accounts.c.id)
        )
        return [row.id for row in result]
