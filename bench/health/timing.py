"""Timing: interleaved rounds of the service's recompute (whole, then its two statements apart) and the
baseline, each run on a fresh connection in a transaction that is rolled back, then VACUUMed away.

Every run thus starts from the same committed state (one earlier score per account, its alerts open) and
plans its statements afresh (a new connection has no prepared statements, so no generic plan kicks in
after five runs). The clock covers the calls only: connecting, rolling back and VACUUM are outside it.
"""

import datetime as dt
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.graphql_360.errors import BenchError
from bench.health.agreement import params
from bench.health.baseline import baseline_statement
from bench.health.database import vacuum
from service.health_scores.alert_rules import AlertThresholds, evaluate_alerts
from service.health_scores.compute import recompute
from service.health_scores.scorecards import ensure_default
from service.health_scores.service import recompute_health

TOTAL = "recompute_health (total)"
SCORES = "  scores statement (compute.recompute)"
ALERTS = "  alert rules (evaluate_alerts)"
BASELINE = "baseline: one hand-written SELECT"
LABELS = (TOTAL, SCORES, ALERTS, BASELINE)


@dataclass
class Timings:
    accounts: int
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    alerts_opened: list[int] = field(default_factory=list)

    def median(self, label: str) -> float:
        return statistics.median(self.seconds[label])


async def _total(conn: AsyncConnection, now: dt.datetime, timings: Timings) -> None:
    started = time.perf_counter()
    result = await recompute_health(conn, now)
    timings.seconds[TOTAL].append(time.perf_counter() - started)
    if result.accounts != timings.accounts or result.scores != timings.accounts:
        raise BenchError(f"recompute_health scored {result.accounts} accounts, not {timings.accounts}: {result}")
    timings.alerts_opened.append(result.alerts_opened)


async def _parts(conn: AsyncConnection, now: dt.datetime, timings: Timings) -> None:
    await ensure_default(conn)  # a no-op insert here: the default exists
    started = time.perf_counter()
    await recompute(conn, now)
    scored = time.perf_counter()
    await evaluate_alerts(conn, now, AlertThresholds())
    timings.seconds[SCORES].append(scored - started)
    timings.seconds[ALERTS].append(time.perf_counter() - scored)


async def _baseline(conn: AsyncConnection, now: dt.datetime, timings: Timings) -> None:
    started = time.perf_counter()
    rows = (await conn.execute(baseline_statement(), params(now))).all()
    timings.seconds[BASELINE].append(time.perf_counter() - started)
    if len(rows) != timings.accounts:
        raise BenchError(f"the baseline answered {len(rows)} rows, not {timings.accounts}")


VARIANTS = (_total, _parts, _baseline)


async def measure(engine: AsyncEngine, now: dt.datetime, accounts: int, rounds: int) -> Timings:
    """``rounds`` rounds, each running every variant once; the order rotates from round to round."""
    timings = Timings(accounts)
    for number in range(rounds):
        for variant in VARIANTS[number % 3 :] + VARIANTS[: number % 3]:
            async with engine.connect() as conn:
                transaction = await conn.begin()
                try:
                    await variant(conn, now, timings)
                finally:
                    await transaction.rollback()
            await vacuum(engine)
    return timings


def timing_lines(timings: Timings, rounds: int) -> list[str]:
    lines = [f"{'':40} {'median s':>9} {'min s':>9} {'accounts/s':>11}   ({rounds} rounds)"]
    for label in LABELS:
        median, least = timings.median(label), min(timings.seconds[label])
        lines.append(f"{label:40} {median:9.3f} {least:9.3f} {timings.accounts / median:11.0f}")
    baseline = timings.median(BASELINE)
    lines += [
        "",
        f"ratio ours/baseline (medians): recompute_health x{timings.median(TOTAL) / baseline:.2f}, "
        f"scores statement alone x{timings.median(SCORES) / baseline:.2f}",
        f"alerts opened per measured run (on top of the primed ones): {sorted(set(timings.alerts_opened))}",
    ]
    return lines
