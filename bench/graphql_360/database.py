"""The bench database ``cshub_bench_360``: reused while its marker matches the run, otherwise recreated,
migrated to head and seeded; dropped on request.

The marker is a JSON comment on the database (seed version, account count, UTC day: usage is relative to
today), written only after seeding committed.
"""

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.graphql_360.seed import SEED_VERSION, SEEDED_TABLES, seed
from service import migrate
from tests.databases import with_database

BENCH_DATABASE = "cshub_bench_360"


@dataclass(frozen=True, slots=True)
class Seeded:
    url: str  # SQLAlchemy URL of the bench database
    seconds: float | None  # seeding time; None when the existing data was reused
    reason: str  # why it was (re)seeded or reused
    counts: dict[str, int]


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def seed_marker(accounts: int, today: dt.date) -> dict[str, Any]:
    return {"bench": "graphql_360", "version": SEED_VERSION, "accounts": accounts, "day": today.isoformat()}


async def read_marker(server_url: str) -> dict[str, Any] | None:
    """The marker comment of the bench database; None when the database does not exist or has none."""
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        comment = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", BENCH_DATABASE
        )
    finally:
        await conn.close()
    if comment is None:
        return None
    try:
        marker: dict[str, Any] = json.loads(comment)
    except ValueError:
        return None
    return marker


async def recreate_database(server_url: str) -> str:
    """Drop and create the bench database, migrated to head; returns its URL."""
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
            await conn.execute(sa.text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    finally:
        await admin.dispose()
    url = with_database(server_url, BENCH_DATABASE)
    engine = create_async_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    return url


async def row_counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return {table: int(await conn.fetchval(f"SELECT count(*) FROM {table}")) for table in SEEDED_TABLES}
    finally:
        await conn.close()


async def prepare_data(server_url: str, accounts: int, reseed: bool) -> Seeded:
    """Reuse the bench database when its marker matches this run, otherwise (re)build and seed it."""
    today = dt.datetime.now(dt.UTC).date()
    wanted = seed_marker(accounts, today)
    found = await read_marker(server_url)
    url = with_database(server_url, BENCH_DATABASE)
    if not reseed and found == wanted:
        counts = await row_counts(url)
        if counts["accounts"] == accounts:
            engine = create_async_engine(url)
            try:
                await migrate.upgrade(engine)  # a no-op unless the schema moved on since seeding
            finally:
                await engine.dispose()
            return Seeded(url, None, f"reused (seeded {found['day']})", counts)
    reason = "--reseed" if reseed else ("new database" if found is None else f"marker was {found}")
    started = time.perf_counter()
    url = await recreate_database(server_url)
    await seed(asyncpg_dsn(url), accounts)
    seconds = time.perf_counter() - started
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f"COMMENT ON DATABASE \"{BENCH_DATABASE}\" IS '{json.dumps(wanted)}'")
    finally:
        await conn.close()
    return Seeded(url, seconds, f"seeded ({reason})", await row_counts(url))


async def drop_database(server_url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
    finally:
        await conn.close()
