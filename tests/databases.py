"""Test databases: one PostgreSQL server per run (embedded, or ``TEST_DATABASE_URL``), scratch databases on it.

Each scratch database is created fresh, built by the migrations and dropped at the end, so the suite
never touches data it did not make — also when pointed at a shared server.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from service import migrate
from service.all_tables import metadata
from service.settings import normalize_database_url


def external_server_url() -> str | None:
    raw = os.environ.get("TEST_DATABASE_URL", "").strip()
    return normalize_database_url(raw) if raw else None


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@asynccontextmanager
async def scratch_database(server_url: str, *, migrated: bool = True) -> AsyncIterator[str]:
    """A new, empty database on the server (migrated to head unless told not to); dropped afterwards."""
    name = f"cshub_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = with_database(server_url, name)
        if migrated:
            engine = create_async_engine(url)
            try:
                await migrate.upgrade(engine)
            finally:
                await engine.dispose()
        yield url
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def truncate_all(engine: AsyncEngine) -> None:
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
