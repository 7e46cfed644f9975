"""What ``cshub serve`` does once before starting workers: migrate, load demo data (saying how far it got),
and the lines that say where to go — printed once the server answers, not before (``Banner``)."""

import json
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service import migrate
from service.accounts.tables import accounts
from service.db.attached import engine_for
from service.db.pool import database_errors, describe_url
from service.health_scores.scorecards import ensure_default
from service.health_scores.service import recompute_health
from service.seed.demo_key import demo_admin_key
from service.seed.loader import DEMO_SEED, seed_demo
from service.settings import Settings, is_loopback


def base_url(settings: Settings) -> str:
    return f"http://{'[' + settings.host + ']' if ':' in settings.host else settings.host}:{settings.port}"


async def prepare_database(url: str, settings: Settings, *, demo: bool) -> list[str]:
    """Migrate and (with ``demo``) seed, printing progress; return the lines to print once serving."""
    base = base_url(settings)
    where = (
        f"embedded PostgreSQL in {settings.data_dir.resolve()}"
        if settings.uses_embedded_database
        else (f"PostgreSQL at {describe_url(url)}")
    )
    print(f"cshub: database: {where}", flush=True)
    lines = [f"cshub: serving {base}"]
    async with engine_for(url, settings) as engine, database_errors(url):
        if settings.migrate_on_start:
            await migrate.upgrade(engine)
            async with engine.begin() as conn:
                await ensure_default(conn)  # the shipped scorecard, on first start
        if not demo:
            return lines
        await _seed_if_empty(engine, settings)
        async with engine.begin() as conn:
            if not is_loopback(settings.host):
                lines.append("cshub: no demo key is made on a non-loopback address")
                lines.append("cshub: create one with `cshub keys create --role admin`")
                return lines
            secret = await demo_admin_key(conn, settings.data_dir)
    lines += [
        f"cshub: GraphiQL: {base}/graphql (it asks for a key: paste the demo admin key below)",
        f"cshub: try: curl -s {base}/graphql -H 'Authorization: Bearer {secret}' "
        f"-H 'Content-Type: application/json' -d '{json.dumps({'query': DEMO_QUERY})}'",
        f"cshub: demo admin key: {secret}",
    ]
    return lines


DEMO_QUERY = "{ accounts(first: 3) { edges { node { name } } } }"  # the first query the banner suggests


async def _seed_if_empty(engine: AsyncEngine, settings: Settings) -> None:
    """Seed the demo company through the ingest service, once: only into a database with no accounts."""
    async with engine.connect() as conn:
        has_accounts = (await conn.execute(sa.select(sa.exists().select_from(accounts)))).scalar_one()
    if has_accounts:
        print("cshub: database already holds accounts; demo company not seeded again", flush=True)
        return
    print(f"cshub: seeding the demo company ({settings.demo_accounts} accounts; first start only)...", flush=True)
    started = time.monotonic()
    totals = await seed_demo(
        engine,
        accounts=settings.demo_accounts,
        seed=DEMO_SEED,
        today=datetime.now(UTC).date(),
        source_priority=settings.source_priority,
        progress=_SeedingProgress(started),
    )
    records = sum(sum(counts.values()) for counts in totals.values())
    print("cshub:   health scores...", flush=True)
    async with engine.begin() as conn:
        scored = await recompute_health(conn)
    took = time.monotonic() - started
    print(
        f"cshub: demo company seeded: {records} records from crm, support and product, "
        f"{scored.scored} of {scored.accounts} accounts health-scored, in {took:.0f} s",
        flush=True,
    )


class _SeedingProgress:
    """A line when an entity's first batch is in, and at most one every few seconds while its others go in."""

    EVERY_SECONDS = 5.0

    def __init__(self, started: float) -> None:
        self.started = started
        self.entity: str | None = None
        self.said_at = started

    def __call__(self, entity: str, done: int) -> None:
        now = time.monotonic()
        if entity != self.entity or now - self.said_at >= self.EVERY_SECONDS:
            print(f"cshub:   {entity}: {done} records ({now - self.started:.0f} s)", flush=True)
            self.entity, self.said_at = entity, now
