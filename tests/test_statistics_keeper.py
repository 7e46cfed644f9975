"""Planner statistics after bulk ingest (``service.db.statistics``): the tables a batch grew past autovacuum's
threshold are analyzed soon after it commits, and then a batch's key lookups read its keys, not every row of
their kind."""

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from service.all_tables import metadata
from service.db.statistics import LOCK_KEY, StatisticsKeeper
from service.ingest.links_in_bulk import find_links
from service.settings import Settings
from tests.app_client import app_client
from tests.conftest import make_key
from tests.databases import scratch_database

TABLES = [table.name for table in metadata.sorted_tables]
LINKS = 200_000  # where reading a batch's keys by index beats reading every contact's link

# Rows of source_links this backend read and has not reported yet: entries its indexes returned, and rows scanned whole.
READ = """
SELECT sum(pg_stat_get_xact_tuples_returned(i.indexrelid)) + pg_stat_get_xact_tuples_returned('source_links'::regclass)
FROM pg_index AS i WHERE i.indrelid = 'source_links'::regclass
"""


def links(object_type: str, prefix: str, count: int) -> sa.TextClause:
    """``count`` links of source crm, ``prefix`` and a zero-padded number as external ids."""
    return sa.text(
        "INSERT INTO source_links (source, object_type, external_id, entity_id)"
        " SELECT 'crm', :object_type, :prefix || lpad(i::text, 6, '0'), gen_random_uuid()"
        " FROM generate_series(1, :count) AS i"
    ).bindparams(object_type=object_type, prefix=prefix, count=count)


MODIFIED = "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'source_links'"


@pytest_asyncio.fixture
async def fresh(server_url: str) -> AsyncIterator[AsyncEngine]:
    """A database of its own, new: no table analyzed yet, and no autovacuum to analyze source_links meanwhile."""
    async with scratch_database(server_url) as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(sa.text("ALTER TABLE source_links SET (autovacuum_enabled = false)"))
        yield engine
        await engine.dispose()


async def rows_read_finding(engine: AsyncEngine, keys: list[str]) -> int:
    async with engine.begin() as conn:
        before = (await conn.execute(sa.text(READ))).scalar_one()  # counts not yet reported, of earlier ones too
        found = await find_links(conn, "crm", "contact", keys, for_update=True)
        assert sorted(found) == keys
        return int((await conn.execute(sa.text(READ))).scalar_one() - before)


async def counted(engine: AsyncEngine, at_least: int) -> None:
    """Until the server's activity statistics show ``at_least`` changed rows (backends report them within ~1 s)."""
    for _ in range(200):
        async with engine.connect() as conn:
            if ((await conn.execute(sa.text(MODIFIED))).scalar_one() or 0) >= at_least:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"pg_stat_user_tables never counted {at_least} changes of source_links")


async def test_a_grown_table_is_analyzed_and_a_batch_then_reads_only_its_keys(fresh: AsyncEngine) -> None:
    async with fresh.begin() as conn:  # statistics of a source with a few accounts, then its contacts arrive
        await conn.execute(links("account", "a-", 50))
        await conn.execute(sa.text("ANALYZE source_links"))
        await conn.execute(links("contact", "c-", LINKS))
    keys = [f"c-{i:06d}" for i in range(5_001, 6_001)]
    before = await rows_read_finding(fresh, keys)
    assert before >= LINKS  # planned as if the source had no contacts: every one of them read

    await counted(fresh, LINKS)
    keeper = StatisticsKeeper(fresh, TABLES, enabled=True)
    assert await keeper.run_once() == ["source_links"]  # the other tables did not change
    assert await rows_read_finding(fresh, keys) <= 2 * len(keys)
    assert await keeper.run_once() == []  # nothing changed since


async def test_another_process_analyzing_makes_this_one_skip(fresh: AsyncEngine) -> None:
    async with fresh.begin() as conn:
        await conn.execute(links("contact", "c-", 5_000))
    await counted(fresh, 5_000)
    keeper = StatisticsKeeper(fresh, TABLES, enabled=True)
    async with fresh.begin() as other:
        await other.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        assert await keeper.run_once() == []
    assert await keeper.run_once() == ["source_links"]


async def test_ingest_batches_through_the_api_set_it_off(fresh: AsyncEngine, settings: Settings) -> None:
    async with fresh.begin() as conn:
        await conn.execute(sa.text("ALTER TABLE accounts SET (autovacuum_enabled = false)"))  # the keeper's work
    key = await make_key(fresh)
    url = fresh.url.render_as_string(hide_password=False)
    async with app_client(settings, database_url=url, ingest_analyze=True) as (http, state):
        keeper = state["statistics_keeper"]
        http.headers["Authorization"] = f"Bearer {key}"
        for batch in range(3):
            records = [{"external_id": f"a{batch}-{i}", "name": f"A {batch}-{i}"} for i in range(1000)]
            answer = await http.post("/v1/ingest/accounts", json={"source": "crm", "records": records})
            assert answer.status_code == 200, answer.text
        # A burst on one pooled connection: each batch has its counts reported as it commits (PostgreSQL 15 and
        # later), and the keeper's first look, a second after the burst, finds them; an older server reports them
        # after 10 s idle, and the keeper's late look (11 s) finds them.
        seconds = 5 if (fresh.dialect.server_version_info or (0,)) >= (15,) else 15
        for _ in range(seconds * 20):
            if {"accounts", "source_links"} <= set(keeper.analyzed):
                break
            await asyncio.sleep(0.05)
    assert {"accounts", "source_links"} <= set(keeper.analyzed), keeper.analyzed
