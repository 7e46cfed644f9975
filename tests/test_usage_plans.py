"""How a usage batch's statements are planned: the events' INSERT with kept plans, so that each row's foreign-key
check on its account runs a plan kept for the batch instead of one planned for the row (``plans_kept_for_checks``),
and every other statement of the batch, before and after it, planned for the values it runs with."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.db.pool import planned_for_each_run, plans_kept_for_checks
from service.ingest.service import ingest_batch
from tests.ingesting import ingest, statuses


async def plan_cache_mode(conn: AsyncConnection) -> str:
    return str(await conn.scalar(sa.text("SHOW plan_cache_mode")))


async def test_plans_are_kept_only_within_the_block(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await planned_for_each_run(conn)
        async with plans_kept_for_checks(conn):
            assert await plan_cache_mode(conn) == "auto"
        assert await plan_cache_mode(conn) == "force_custom_plan"


async def test_a_usage_batch_leaves_the_rest_of_its_transaction_planned_for_each_run(engine: AsyncEngine) -> None:
    await ingest(engine, "product", "accounts", [{"external_id": "a1", "name": "Acme"}])
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    record = {"event_id": "e1", "account_external_id": "a1", "user_id": "u1", "event": "login", "occurred_at": when}
    async with engine.begin() as conn:
        batch = await ingest_batch(conn, "product", "usage-events", [record])
        assert statuses(batch) == ["created"]
        assert await plan_cache_mode(conn) == "force_custom_plan"  # the audit entry and whatever the caller runs next
    async with engine.connect() as conn:
        assert await plan_cache_mode(conn) == "auto"  # SET LOCAL: nothing outlives the batch's transaction
        assert await conn.scalar(sa.text("SELECT events FROM usage_daily")) == 1
