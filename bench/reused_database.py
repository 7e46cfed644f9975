"""A bench's own database, kept between runs: reused while its marker matches the run, otherwise recreated,
migrated to head and seeded; dropped on request.

The marker is a JSON comment on the database (which bench, seed version, account count, UTC day: seeded
data is relative to today), written only after seeding committed. A smoke run uses a copy under a name of
its own (``smoke_copy``), so it never touches a kept full-size database, and drops it at the end.
"""

import dataclasses
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from service import migrate
from tests.databases import with_database

Seed = Callable[[str, int], Awaitable[None]]  # (asyncpg DSN, accounts)


@dataclass(frozen=True, slots=True)
class Seeded:
    url: str  # SQLAlchemy URL of the bench database
    seconds: float | None  # seeding time; None when the existing data was reused
    reason: str  # why it was (re)seeded or reused
    counts: dict[str, int]

    @property
    def name(self) -> str:
        return str(make_url(self.url).database)


@dataclass(frozen=True, slots=True)
class BenchDatabase:
    name: str  # the database on the bench server
    bench: str  # which bench it belongs to (part of the marker)
    seed_version: int
    tables: Sequence[str]  # counted and reported
    seed: Seed

    def marker(self, accounts: int, today: dt.date) -> dict[str, Any]:
        return {"bench": self.bench, "version": self.seed_version, "accounts": accounts, "day": today.isoformat()}


def smoke_copy(database: BenchDatabase) -> BenchDatabase:
    """The bench database under a fresh name of its own (``<name>_smoke_<random>``), for one smoke run."""
    return dataclasses.replace(database, name=f"{database.name}_smoke_{uuid.uuid4().hex[:8]}")


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _read_marker(server_url: str, name: str) -> dict[str, Any] | None:
    """The marker comment of the database; None when it does not exist or has none."""
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        comment = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
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


async def _migrate_to_head(url: str) -> None:
    engine = create_async_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def row_counts(url: str, tables: Sequence[str]) -> dict[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return {table: int(await conn.fetchval(f"SELECT count(*) FROM {table}")) for table in tables}
    finally:
        await conn.close()


async def prepare_data(server_url: str, database: BenchDatabase, accounts: int, reseed: bool) -> Seeded:
    """Reuse the database when its marker matches this run, otherwise (re)build and seed it."""
    wanted = database.marker(accounts, dt.datetime.now(dt.UTC).date())
    found = await _read_marker(server_url, database.name)
    url = with_database(server_url, database.name)
    if not reseed and found == wanted:
        counts = await row_counts(url, database.tables)
        if counts["accounts"] == accounts:
            await _migrate_to_head(url)  # a no-op unless the schema moved on since seeding
            return Seeded(url, None, f"reused (seeded {found['day']})", counts)
    reason = "--reseed" if reseed else ("new database" if found is None else f"marker was {found}")
    started = time.perf_counter()
    await _admin(
        server_url, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)', f'CREATE DATABASE "{database.name}"'
    )
    await _migrate_to_head(url)
    await database.seed(asyncpg_dsn(url), accounts)
    seconds = time.perf_counter() - started
    await _admin(server_url, f"COMMENT ON DATABASE \"{database.name}\" IS '{json.dumps(wanted)}'")
    return Seeded(url, seconds, f"seeded ({reason})", await row_counts(url, database.tables))


async def drop_database(server_url: str, name: str) -> None:
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def bench_data(
    server_url: str, database: BenchDatabase, accounts: int, *, reseed: bool, drop: bool
) -> AsyncIterator[Seeded]:
    """``prepare_data``, and with ``drop`` the database dropped at the end, also when seeding or the bench failed."""
    try:
        yield await prepare_data(server_url, database, accounts, reseed)
    finally:
        if drop:
            await drop_database(server_url, database.name)
            print(f"database {database.name} dropped", flush=True)
