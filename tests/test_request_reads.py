"""One request's reads: concurrent, each on its own connection, never more at once than the request's limit."""

import asyncio

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.pool import RequestReads
from service.settings import Settings


async def test_reads_beyond_the_limit_queue_and_each_has_its_own_connection(engine: AsyncEngine) -> None:
    reads = RequestReads(engine, limit=3)
    holding = 0
    most = 0
    backends: list[int] = []

    async def read() -> None:
        nonlocal holding, most
        async with reads.connection() as conn:
            holding += 1
            most = max(most, holding)
            backends.append((await conn.execute(sa.text("SELECT pg_backend_pid() FROM pg_sleep(0.05)"))).scalar_one())
            holding -= 1

    await asyncio.gather(*(read() for _ in range(10)))
    assert most == 3
    assert len(backends) == 10
    assert len(set(backends)) >= 3  # the three in flight at once were on three different connections


def test_the_limit_never_exceeds_what_the_pool_can_hand_out() -> None:
    assert Settings(db_connections_per_request=8, db_pool_size=10, db_max_overflow=5).request_connections == 8
    assert Settings(db_connections_per_request=8, db_pool_size=2, db_max_overflow=1).request_connections == 3
    assert Settings().request_connections == 4
