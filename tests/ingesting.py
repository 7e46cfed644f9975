"""Helpers for ingest tests: run a batch through the service in its own transaction, read back state."""

import asyncio
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from service.db.pool import in_transaction
from service.ingest.results import BatchResult
from service.ingest.service import ingest_batch


async def ingest(
    engine: AsyncEngine, source: str, entity: str, records: list[Any], source_priority: tuple[str, ...] = ()
) -> BatchResult:
    async def work(conn: AsyncConnection) -> BatchResult:
        return await ingest_batch(conn, source, entity, records, source_priority=source_priority)

    return await in_transaction(engine, work)


def statuses(batch: BatchResult) -> list[str]:
    return [result.status.value for result in batch.results]


async def rows(engine: AsyncEngine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(sa.text(sql), params)]


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """``sql``'s rows, from a synchronous test (a CLI or a server process runs the code under test), with an
    engine of its own."""

    async def read() -> list[tuple[Any, ...]]:
        engine = create_async_engine(url)
        try:
            return await rows(engine, sql)
        finally:
            await engine.dispose()

    return asyncio.run(read())


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """The business content of the hub, without generated ids or timestamps: equal snapshots mean the
    same final state however the records were delivered."""
    queries = {
        "accounts": "SELECT a.name, a.domain, a.segment, a.csm_owner,"
        " (SELECT name FROM accounts p WHERE p.id = a.parent_account_id) FROM accounts a ORDER BY a.name",
        "links": "SELECT source, object_type, external_id, source_updated_at FROM source_links ORDER BY 1, 2, 3",
        "contacts": "SELECT a.name, c.email, c.title, c.role FROM contacts c JOIN accounts a ON a.id = c.account_id"
        " ORDER BY 1, 2",
        "contracts": "SELECT a.name, k.status, k.start_date, k.end_date,"
        " (SELECT coalesce(sum(mrr), 0) FROM contract_lines l WHERE l.contract_id = k.id)"
        " FROM contracts k JOIN accounts a ON a.id = k.account_id ORDER BY 1, 3",
        "tickets": "SELECT a.name, t.subject, t.status FROM tickets t JOIN accounts a ON a.id = t.account_id"
        " ORDER BY 1, 2",
        "surveys": "SELECT a.name, s.kind, s.score, c.email FROM survey_responses s"
        " JOIN accounts a ON a.id = s.account_id LEFT JOIN contacts c ON c.id = s.contact_id ORDER BY 1, 3",
        "usage_events": "SELECT a.name, e.source_event_id, e.user_ref, e.event_name, e.occurred_at"
        " FROM usage_events e JOIN accounts a ON a.id = e.account_id ORDER BY 2",
        "usage_daily": "SELECT a.name, d.day, d.feature, d.events, d.active_users"
        " FROM usage_daily d JOIN accounts a ON a.id = d.account_id ORDER BY 1, 2, 3",
        "user_last_seen": "SELECT a.name, s.user_ref, s.first_seen_at, s.last_seen_at"
        " FROM user_last_seen s JOIN accounts a ON a.id = s.account_id ORDER BY 1, 2",
        "unmatched": "SELECT source, entity, external_id, resolved_at IS NOT NULL"
        " FROM unmatched_records ORDER BY 1, 2, 3",
    }
    return {name: await rows(engine, sql) for name, sql in queries.items()}
