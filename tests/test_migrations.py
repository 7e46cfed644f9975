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


async def test_the_previous_band_of_scores_stored_before_it_is_filled_in(server_url: str) -> None:
    """0019 writes each stored score's previous band: the last banded score before it of the same account and name."""
    async with scratch_database(server_url, migrated=False) as url:
        engine = create_async_engine(url)
        try:
            await migrate.upgrade(engine, "0018_source_associations")
            async with engine.begin() as conn:
                await conn.execute(sa.text("INSERT INTO accounts (id, name) VALUES (gen_random_uuid(), 'Acme')"))
                await conn.execute(
                    sa.text("INSERT INTO scorecards (name, version, config) VALUES ('overall', 1, '{}')")
                )
                await conn.execute(
                    sa.text(
                        "INSERT INTO health_scores (account_id, scorecard_id, score_name, score, band, coverage,"
                        " computed_at)"
                        " SELECT a.id, s.id, h.score_name, h.score, h.band, 1,"
                        " timestamptz '2026-11-01' + h.day * interval '1 day'"
                        " FROM accounts a, scorecards s, (VALUES ('overall', 80, 'green', 1),"
                        "   ('overall', NULL, NULL, 2), ('overall', 30, 'red', 3), ('overall', 35, 'red', 4),"
                        "   ('adoption', 50, 'yellow', 4)) AS h(score_name, score, band, day)"
                    )
                )
            await migrate.upgrade(engine)
            async with engine.connect() as conn:
                found = await conn.execute(
                    sa.text(
                        "SELECT score_name, band, previous_band FROM health_scores ORDER BY score_name, computed_at"
                    )
                )
                assert [tuple(row) for row in found] == [
                    ("adoption", "yellow", None),
                    ("overall", "green", None),
                    ("overall", None, None),
                    ("overall", "red", "green"),  # across the unscored one: a band change
                    ("overall", "red", "red"),
                ]
        finally:
            await engine.dispose()
