"""A batch is planned for the tables as they are when it runs.

The first import of an installation fills empty tables. PostgreSQL keeps a generic plan for a prepared statement
after its fifth run; one made while a table was nearly empty reads the whole table, comparing each row with each of
the batch's keys, in every later batch once it has grown — each batch slower than the last (a 30,000-account import
went from 0.1 s to over 1 s per batch of 1,000) until autovacuum happens to analyze the table. Here the statements
of an accounts batch first run on nearly empty tables, the tables then grow by thousands of rows that nobody
analyzes, and the next batch must look its records up through the indexes instead of reading ``accounts`` through in
each statement (with the kept plans it read the grown table four times). One pass is allowed: how the batch's
profile update joins its accounts is the planner's choice by cost, and for a table nobody analyzed it may choose a
hash join over a scan — once per batch, not once per statement or key.
"""

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from service.ingest.service import ingest_batch
from tests.databases import scratch_database

GROWN = 20_000  # accounts (and their source links) added between the first batches and the measured one
WATCHED = ("accounts", "source_links")


def account(name: str) -> dict[str, Any]:
    return {"external_id": name, "name": f"Account {name}", "domain": f"{name}.example"}


@pytest_asyncio.fixture
async def one_connection(server_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database of its own with exactly one connection: every batch runs on the same PostgreSQL
    backend, so the statements it prepared on the first runs are the ones the last batch runs."""
    async with scratch_database(server_url) as url:
        engine = create_async_engine(url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as conn:
                for table in WATCHED:  # nothing analyzes the grown tables behind the test's back
                    await conn.execute(sa.text(f"ALTER TABLE {table} SET (autovacuum_enabled = off)"))
            yield engine
        finally:
            await engine.dispose()


async def rows_read_by_scans(conn: AsyncConnection) -> int:
    """Rows the watched tables have handed out to sequential scans so far, this backend's included."""
    await conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))  # flushed when the backend goes idle
    await conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
    read = await conn.scalar(
        sa.text("SELECT sum(seq_tup_read) FROM pg_stat_user_tables WHERE relname = ANY(:tables)"),
        {"tables": list(WATCHED)},
    )
    return int(read or 0)


async def test_a_batch_after_the_tables_grew_reads_by_index_not_through_the_tables(one_connection: AsyncEngine) -> None:
    engine = one_connection
    for run in range(8):  # more than the five runs after which PostgreSQL may keep a generic plan
        async with engine.begin() as conn:
            first = await ingest_batch(conn, "crm", "accounts", [account(f"first-{run}-{i}") for i in range(3)])
            assert first.totals()["created"] == 3
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                "WITH grown AS (INSERT INTO accounts (name, domain) SELECT 'Grown ' || n, 'grown-' || n || '.example'"
                " FROM generate_series(1, :grown) AS n RETURNING id, domain)"
                " INSERT INTO source_links (source, object_type, external_id, entity_id, account_id, payload)"
                " SELECT 'crm', 'account', 'grown-' || id, id, id, jsonb_build_object('domain', domain) FROM grown"
            ),
            {"grown": GROWN},
        )
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        before = await rows_read_by_scans(conn)
    async with engine.begin() as conn:
        batch = await ingest_batch(conn, "crm", "accounts", [account(f"after-{i}") for i in range(50)])
        assert batch.totals()["created"] == 50
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        read = await rows_read_by_scans(conn) - before
    assert read <= GROWN + 1_000, (
        f"the batch read {read} rows of {WATCHED} by sequential scans after they grew by {GROWN}: more than one pass"
    )
