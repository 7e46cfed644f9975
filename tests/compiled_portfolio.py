"""A seeded demo portfolio with a health history, for the compiled-read comparisons of the health, alert and
timeline fields: scores recomputed at three moments (so bands change and alerts open), then accounts' ids."""

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.db.pool import in_transaction
from service.health_scores.compute import Recomputed
from service.health_scores.service import recompute_health
from service.seed.loader import seed_demo

ROLES_READING = ("admin", "csm", "sales", "bi")


async def seed_portfolio(engine: AsyncEngine) -> None:
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
