"""Loads the generated demo company through the ingest service, batch by batch, like real sources would.

Going through ``ingest_batch`` (not straight into tables) means the demo exercises identity resolution,
domain matching, unmatched records and the usage rollups exactly as production data does.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.db.pool import in_transaction
from service.ingest.results import BatchResult
from service.ingest.service import ingest_batch
from service.seed.generator import Batch, generate_demo
from service.seed.handoffs import seed_handoffs

DEMO_SEED = 7  # the demo company `serve --demo` seeds; `cshub seed --demo` defaults to it too


async def seed_demo(
    engine: AsyncEngine,
    *,
    accounts: int,
    seed: int,
    today: dt.date | None = None,
    source_priority: Sequence[str] = (),
    progress: Callable[[str, int], None] = lambda entity, done: None,
) -> dict[str, Counter[str]]:
    """Generate and ingest the demo company, then hand its newest deals over (handoffs in every state);
    return the result counts per entity (for handoffs: per state)."""
    totals: dict[str, Counter[str]] = {}
    today = today or dt.datetime.now(dt.UTC).date()
    batches = generate_demo(accounts=accounts, seed=seed, today=today)
    for batch in batches:

        async def work(conn: AsyncConnection, batch: Batch = batch) -> BatchResult:
            return await ingest_batch(conn, batch.source, batch.entity, batch.records, source_priority=source_priority)

        result = await in_transaction(engine, work)
        counts = totals.setdefault(batch.entity, Counter())
        counts.update(result.totals())
        progress(batch.entity, sum(counts.values()))
    totals["handoffs"] = await seed_handoffs(engine, seed=seed, today=today)
    return totals
