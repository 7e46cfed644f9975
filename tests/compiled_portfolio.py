"""Seeded demo portfolios for the compiled-read comparisons: the demo as seeded, and one with a health history
for the health, alert and timeline fields (scores recomputed at three moments, so bands change and alerts open);
accounts' ids."""

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.db.pool import in_transaction
from service.health_scores.compute import Recomputed
from service.health_scores.service import recompute_health
from service.seed.loader import seed_demo
from tests.seeded import seeded

ROLES_READING = ("admin", "csm", "sales", "bi")


async def seed_portfolio(engine: AsyncEngine) -> None:
    """The 30-account demo (seed 5) with scores recomputed 60 and 30 days ago and now (tests/seeded.py: seeded
    once per test process)."""
    await seeded(engine, "portfolio with a health history", lambda: _seed_portfolio(engine))


async def seed_demo_portfolio(engine: AsyncEngine, *, accounts: int, seed: int) -> None:
    """``seed_demo(engine, accounts=accounts, seed=seed)`` as of today (tests/seeded.py: seeded once per test
    process)."""
    await seeded(engine, ("demo", accounts, seed), lambda: seed_demo(engine, accounts=accounts, seed=seed))


async def _seed_portfolio(engine: AsyncEngine) -> None:
    await seed_demo(engine, accounts=30, seed=5)
    now = dt.datetime.now(dt.UTC)
    for days_ago in (60, 30, 0):
        await in_transaction(engine, _recompute(now - dt.timedelta(days=days_ago)))


def _recompute(at: dt.datetime) -> Callable[[AsyncConnection], Awaitable[Recomputed]]:
    return lambda conn: recompute_health(conn, at)


async def account_ids(engine: AsyncEngine, limit: int = 6) -> list[uuid.UUID]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT id FROM accounts ORDER BY name LIMIT :n"), {"n": limit})
        return [row[0] for row in rows]
