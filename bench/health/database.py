"""The bench database ``cshub_bench_health``, kept between runs (see ``bench.reused_database``), and its score
history reset before each run."""

import datetime as dt
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.health.seed import SEED_VERSION, SEEDED_TABLES, seed
from bench.reused_database import BenchDatabase, Seeded, bench_data, smoke_copy
from service.health_scores.service import recompute_health

BENCH_DATABASE = "cshub_bench_health"
DATABASE = BenchDatabase(BENCH_DATABASE, "health", SEED_VERSION, SEEDED_TABLES, seed)

__all__ = ["BENCH_DATABASE", "DATABASE", "Seeded", "bench_data", "reset_history", "smoke_copy", "vacuum"]


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
