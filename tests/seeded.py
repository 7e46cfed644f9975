"""Seeded portfolios made once per test process and copied back for every later test that asks for the same one.

Seeding goes through the ingest service batch by batch (``service.seed.loader``) and takes over a second for the
30-account demo; dozens of compiled-read tests start from the same portfolio. The first test in a process that
asks for one seeds it for real on the emptied database and keeps a binary ``COPY`` of every table it filled;
later tests get those rows back with one ``COPY`` per table (a few hundredths of a second). The rows are the
ones the seed wrote, ids and timestamps included (a copy made earlier in the same run: minutes old at most).
Seeding itself stays tested: by the first test of each process, and by tests/test_seed_generator.py.
"""

import io
from collections.abc import Awaitable, Callable, Hashable

from sqlalchemy.ext.asyncio import AsyncEngine

from service.all_tables import metadata

# (kind of portfolio) → [(table, its rows in COPY's binary format)], for this test process.
_COPIES: dict[Hashable, list[tuple[str, bytes]]] = {}

_ANY_ROW = " OR ".join(f'EXISTS (SELECT FROM "{table.name}")' for table in metadata.sorted_tables)


async def seeded(engine: AsyncEngine, kind: Hashable, seed: Callable[[], Awaitable[object]]) -> None:
    """Add the portfolio ``kind`` to the database: ``seed()`` the first time in this process, then a copy of the
    rows it wrote. A database a test has already written to is seeded for real (and no copy kept): the copy holds
    only what the seed writes into an empty database."""
    async with engine.begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        empty = not await raw.fetchval(f"SELECT {_ANY_ROW}")
        copy = _COPIES.get(kind)
        if empty and copy is not None:
            for name, rows in copy:  # parents first; self-references are checked at the end of each COPY
                await raw.copy_to_table(name, source=io.BytesIO(rows), format="binary")
            return
    await seed()
    if not empty:
        return
    kept: list[tuple[str, bytes]] = []
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        for table in metadata.sorted_tables:
            output = io.BytesIO()
            status = await raw.copy_from_table(table.name, output=output, format="binary")
            if status != "COPY 0":
                kept.append((table.name, output.getvalue()))
    _COPIES[kind] = kept
