"""Planner statistics that keep up with bulk ingest.

PostgreSQL plans each statement from the statistics ANALYZE gathered, and autovacuum refreshes a table's only once
its changes pass a threshold (50 rows and 10% of the table) *and* autovacuum's next round comes by (every minute
by default). A first import, or a new source, writes tens of thousands of rows within that minute. Planned from
statistics that know nothing of them (a table never analyzed, or analyzed before this source or object type
existed), the lookup of a batch's thousand keys reads every row of their kind instead of the thousand — a hash
join over all of a source's links, an index range filtered row by row — and each batch is slower than the last
until autovacuum comes.

So after an ingest batch commits, the keeper looks (in the background, at most once per ``pause``) at the tables and
runs ANALYZE on those whose changes since their last analyze passed autovacuum's own threshold (at least
``least_rows``): what autovacuum would do, without waiting for its round — autovacuum then finds them analyzed. One
process at a time (a transaction-scoped advisory lock; the others skip); failures are logged and the next batch
tries again. A backend that reported its counts less than a second before holds the newer ones until it has been
idle for 10 s (PostgreSQL's ``PGSTAT_IDLE_INTERVAL``): an ingest transaction asks its backend to report them as it
ends (``report_counts_at_commit``, PostgreSQL 15 and later), and on older servers the last batches of a burst
become visible only then — when no batch comes within ``late_look`` of a look, the keeper looks once more.
``CSHUB_INGEST_ANALYZE=false`` leaves statistics to autovacuum alone.
"""

import asyncio
import logging
import time
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.background import BackgroundTask
from service.db.pool import without_statement_timeout

logger = logging.getLogger("cshub.statistics")

# pg_try_advisory_xact_lock key: "cshub analyze"; any constant shared by every process.
LOCK_KEY = 0x6373_6875_6261_6E61
AUTOVACUUM_SHARE = 0.1  # autovacuum_analyze_scale_factor's default

_GROWN = sa.text("""
SELECT s.relname FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
WHERE s.schemaname = current_schema() AND s.relname = ANY(CAST(:tables AS text[]))
  AND s.n_mod_since_analyze >= :least_rows + :share * greatest(c.reltuples, 0)
ORDER BY s.relname
""")


async def report_counts_at_commit(conn: AsyncConnection) -> None:
    """Have ``conn``'s backend report the rows its transaction changed as soon as it ends, for the keeper to see a
    second later (PostgreSQL 15 and later; older servers report them within 10 s on their own)."""
    if (conn.dialect.server_version_info or (0,)) >= (15,):
        await conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))


class StatisticsKeeper:
    def __init__(
        self,
        engine: AsyncEngine,
        tables: Sequence[str],
        *,
        enabled: bool,
        least_rows: int = 1000,
        pause: float = 1.0,
        late_look: float = 11.0,
    ) -> None:
        self.engine = engine
        self.tables = sorted(tables)
        self.enabled = enabled
        self.least_rows = least_rows
        self.pause = pause  # a committed batch's row counts reach pg_stat_user_tables within about a second
        self.late_look = late_look  # past the 10 s an idle backend may sit on its last counts
        self.analyzed: list[str] = []  # every table this process analyzed, in order (for tests and logs)
        self._written = asyncio.Event()
        self._background = BackgroundTask("statistics-keeper")

    def written(self) -> None:
        """An ingest batch committed changes: look at the tables soon."""
        if self.enabled:
            self._written.set()

    def start(self) -> None:
        if self.enabled:
            self._background.start(self._loop)

    async def stop(self) -> None:
        await self._background.stop()

    async def _loop(self) -> None:
        while True:
            await self._written.wait()
            await asyncio.sleep(self.pause)  # batches of a burst are looked at together
            self._written.clear()  # batches from here on ask for the next look
            await self.run_once()
            try:
                async with asyncio.timeout(self.late_look):
                    await self._written.wait()
            except TimeoutError:
                await self.run_once()  # the burst's last counts, reported by now

    async def run_once(self) -> list[str]:
        """ANALYZE the tables that changed enough since their last analyze, unless another process is at it; the
        tables analyzed."""
        started = time.perf_counter()
        grown: list[str] = []
        try:
            async with self.engine.begin() as conn:
                await without_statement_timeout(conn)  # a large table's sample may take longer than a request may
                locked = await conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
                if not locked.scalar_one():
                    return []
                parameters = {"tables": self.tables, "least_rows": self.least_rows, "share": AUTOVACUUM_SHARE}
                grown = list((await conn.execute(_GROWN, parameters)).scalars())
                for table in grown:
                    await conn.execute(sa.text(f'ANALYZE "{table}"'))  # a name from the catalog, never input
        except Exception:
            logger.exception("refreshing planner statistics failed; the next ingest batch tries again")
            return []
        if grown:
            self.analyzed += grown
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            logger.info("planner statistics refreshed", extra={"tables": grown, "duration_ms": duration_ms})
        return grown
