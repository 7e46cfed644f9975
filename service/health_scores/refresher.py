"""Keeping health scores fresh in the background: after ingest changed their inputs, and on an interval.

Ingest only *notes* that inputs changed (after its transaction committed); the refresher waits
``after_ingest`` seconds so a burst of batches coalesces into one run, then recomputes every account in a
transaction of its own. Independently it recomputes every ``interval`` seconds. A transaction-scoped
PostgreSQL advisory lock makes one worker or replica run at a time; the others skip that round. Failures
are logged and the loop goes on (the database may be restarting). ``computedAt`` on every score shows
its freshness.
"""

import asyncio
import logging
import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.background import BackgroundTask
from service.db.pool import without_statement_timeout
from service.health_scores.alert_rules import AlertThresholds
from service.health_scores.service import recompute_health

logger = logging.getLogger("cshub.health")

# pg_try_advisory_xact_lock key: "cshub health recompute"; any constant shared by every process.
LOCK_KEY = 0x6373_6875_6268_6831
# Entities whose records are inputs of a health measure (timeline entries and contacts are not).
INPUT_ENTITIES = frozenset({"accounts", "contracts", "tickets", "usage-events", "survey-responses"})


class HealthRefresher:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        interval: float,
        after_ingest: float,
        thresholds: AlertThresholds,
        history_full_days: int = 0,
    ) -> None:
        self.engine = engine
        self.history_full_days = history_full_days  # older scores thinned after each run; 0: keep every score
        self.interval = interval  # seconds between periodic runs; 0: none
        self.after_ingest = after_ingest  # debounce after an ingest change; 0: ingest does not trigger runs
        self.thresholds = thresholds
        self.runs = 0  # completed recomputes by this process (for tests and logs)
        self._changed = asyncio.Event()
        self._background = BackgroundTask("health-refresher")

    @property
    def enabled(self) -> bool:
        return self.interval > 0 or self.after_ingest > 0

    def inputs_changed(self, entity: str) -> None:
        """Ingest committed records of ``entity``; schedule a debounced recompute if they are score inputs."""
        if self.after_ingest > 0 and entity in INPUT_ENTITIES:
            self._changed.set()

    def start(self) -> None:
        if self.enabled:
            self._background.start(self._loop)

    async def stop(self) -> None:
        await self._background.stop()

    async def _next_reason(self) -> str:
        timeout = self.interval if self.interval > 0 else None
        try:
            await asyncio.wait_for(self._changed.wait(), timeout=timeout)
        except TimeoutError:
            return "interval"
        await asyncio.sleep(self.after_ingest)  # let the burst of batches finish
        return "ingest"

    async def _loop(self) -> None:
        while True:
            reason = await self._next_reason()
            self._changed.clear()  # changes from here on schedule the next run
            await self.run_once(reason)

    async def run_once(self, reason: str) -> bool:
        """Recompute every account unless another process is at it; True when this process did it."""
        started = time.perf_counter()
        try:
            async with self.engine.begin() as conn:
                await without_statement_timeout(conn)  # the requests' timeout is not meant for a full recompute
                locked = await conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
                if not locked.scalar_one():
                    logger.info("health recompute skipped: another process is running one", extra={"reason": reason})
                    return False
                result = await recompute_health(
                    conn, thresholds=self.thresholds, history_full_days=self.history_full_days
                )
        except Exception:
            logger.exception("health recompute failed; the next one will try again", extra={"reason": reason})
            return False
        self.runs += 1
        logger.info(
            "health recomputed",
            extra={
                "reason": reason,
                "accounts": result.accounts,
                "scored": result.scored,
                "alerts_opened": result.alerts_opened,
                "history_thinned": result.history_thinned,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return True
