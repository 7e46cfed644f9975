"""The sweep on an interval, in every process (started by the app's lifespan unless ``CSHUB_CLOCK_SWEEP=false``).

Every ``CSHUB_CLOCK_SWEEP_INTERVAL_SECONDS`` (the first right after start) the process tries the sweep's advisory
lock in a transaction of its own: one process or replica sweeps, the others skip that round. Time is the
database's ``now()``, the clock every process shares. A failed sweep is logged and the next one tries again.
"""

import asyncio
import logging
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from service.background import BackgroundTask
from service.clock.sweep import SweepConfig, SweepResult, locked_sweep
from service.settings import Settings

logger = logging.getLogger("cshub.clock")


class ClockSweeper:
    def __init__(self, engine: AsyncEngine, config: SweepConfig, *, interval: float) -> None:
        self.engine = engine
        self.config = config
        self.interval = interval
        self.sweeps = 0  # sweeps this process made (for tests and logs)
        self._background = BackgroundTask("cshub-clock-sweep")

    async def run_once(self) -> SweepResult | None:
        """One round: the sweep, unless another process holds it (None then, or when it failed)."""
        started = time.perf_counter()
        try:
            async with self.engine.begin() as conn:
                result = await locked_sweep(conn, self.config, wait=False)
        except Exception:
            logger.exception("clock sweep failed; the next one will try again")
            return None
        if result is None:
            logger.info("clock sweep skipped: another process is sweeping")
            return None
        self.sweeps += 1
        logger.info(
            "clock swept",
            extra={
                "renewals_upcoming": result.renewals_upcoming,
                "action_items_overdue": result.action_items_overdue,
                "tickets_escalated": result.tickets_escalated,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return result

    async def _loop(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._background.start(self._loop)

    async def stop(self) -> None:
        await self._background.stop()


def sweep_config(settings: Settings) -> SweepConfig:
    return SweepConfig(renewal_windows=tuple(settings.renewal_notice_days))


def clock_sweeper(engine: AsyncEngine, settings: Settings) -> ClockSweeper | None:
    """The sweeper the app's lifespan starts; None when this process does not sweep."""
    if not settings.clock_sweep:
        return None
    return ClockSweeper(engine, sweep_config(settings), interval=settings.clock_sweep_interval_seconds)
