"""The bench database ``cshub_bench_health``: reused while its marker matches the run, otherwise recreated,
migrated to head and seeded; its score history reset before each run; dropped on request.

The marker is a JSON comment on the database (seed version, account count, UTC day: usage and windows are
relative to today), written only after seeding committed. Same pattern as ``bench.graphql_360.database``.
"""

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.graphql_360.database import asyncpg_dsn
from bench.health.seed import SEED_VERSION, SEEDED_TABLES, seed
from service import migrate
from service.health_scores.service import recompute_health
from tests.databases import with_database

BENCH_DATABASE = "cshub_bench_health"


@dataclass(frozen=True, slots=True)
class Seeded:
    url: str  # SQLAlchemy URL of the bench database
    seconds: float | None  # seeding time (create, migrate, seed, VACUUM ANALYZE); None when reused
    reason: str  # why it was (re)seeded or reused
    counts: dict[str, int]


def seed_marker(accounts: int, today: dt.date) -> dict[str, Any]:
    return {"bench": "health", "version": SEED_VERSION, "accounts": accounts, "day": today.isoformat()}


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


async def migrate_to_head(url: str) -> None:
    engine = create_async_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def recreate_database(server_url: str) -> str:
    """Drop and create the bench database, migrated to head; returns its URL."""
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    finally:
        await conn.close()
    url = with_database(server_url, BENCH_DATABASE)
    await migrate_to_head(url)
    return url


async def row_counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return {table: int(await conn.fetchval(f"SELECT count(*) FROM {table}")) for table in SEEDED_TABLES}
    finally:
        await conn.close()


async def prepare_data(server_url: str, accounts: int, reseed: bool) -> Seeded:
    """Reuse the bench database when its marker matches this run, otherwise (re)build and seed it."""
    wanted = seed_marker(accounts, dt.datetime.now(dt.UTC).date())
    found = await read_marker(server_url)
    url = with_database(server_url, BENCH_DATABASE)
    if not reseed and found == wanted:
        counts = await row_counts(url)
        if counts["accounts"] == accounts:
            await migrate_to_head(url)  # a no-op unless the schema moved on since seeding
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


@dataclass(frozen=True, slots=True)
class History:
    scores: int  # score rows committed by the priming recompute
    alerts: int  # alerts it opened
    seconds: float


async def reset_history(engine: AsyncEngine, at: dt.datetime) -> History:
    """Forget earlier runs' scores and alerts, then commit one recompute as of ``at``: every measured run
    then finds exactly one previous score per account (trend, band_dropped), whatever ran before."""
    async with engine.begin() as conn:
        await conn.execute(sa.text("DELETE FROM alerts"))
        await conn.execute(sa.text("DELETE FROM health_scores"))
        started = time.perf_counter()
        primed = await recompute_health(conn, at)
        seconds = time.perf_counter() - started
    await vacuum(engine, analyze=True)
    return History(primed.scores, primed.alerts_opened, seconds)


async def vacuum(engine: AsyncEngine, *, analyze: bool = False) -> None:
    """VACUUM the tables a recompute writes, so rolled-back rows of one run do not slow the next."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f"VACUUM {'ANALYZE ' if analyze else ''}health_scores, alerts, scorecards"))


async def drop_database(server_url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
    finally:
        await conn.close()
