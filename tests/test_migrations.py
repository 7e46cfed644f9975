"""The migrations are the only way the schema changes: they must round-trip and match the metadata."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from service import migrate
from service.all_tables import metadata
from tests.databases import scratch_database


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
    return list(compare_metadata(context, metadata))


async def _table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            return {row.tablename for row in result}
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_round_trips(server_url: str) -> None:
    async with scratch_database(server_url, migrated=False) as url:
        engine = create_async_engine(url)
        try:
            await migrate.upgrade(engine)
            assert await migrate.current_revision(engine) == migrate.head_revision()
            expected = {table.name for table in metadata.sorted_tables}
            assert expected <= await _table_names(url)

            await migrate.downgrade(engine, "base")
            assert await migrate.current_revision(engine) is None
            assert await _table_names(url) <= {"alembic_version"}

            await migrate.upgrade(engine)
            assert await migrate.current_revision(engine) == migrate.head_revision()
            assert expected <= await _table_names(url)
        finally:
            await engine.dispose()


async def test_metadata_and_migrations_agree(server_url: str) -> None:
    async with scratch_database(server_url) as url:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                assert await conn.run_sync(_differences) == []
        finally:
            await engine.dispose()


async def test_upgrading_twice_is_a_no_op(server_url: str) -> None:
    async with scratch_database(server_url) as url:
        engine = create_async_engine(url)
        try:
            await migrate.upgrade(engine)
            assert await migrate.current_revision(engine) == migrate.head_revision()
        finally:
            await engine.dispose()
