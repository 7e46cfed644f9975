"""Schema migrations, driven from Python: upgrade, downgrade, and the revision checks ``/readyz`` uses.

Alembic's scripts live in the repository's ``migrations/`` (bundled into the wheel as
``service/_migrations``). Upgrades take a PostgreSQL advisory lock so that several replicas starting
at once migrate one after the other instead of racing.
"""

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

# An arbitrary constant: the advisory-lock key that serialises migrations across processes.
MIGRATION_LOCK_KEY = 7_303_840_221


def script_location() -> Path:
    bundled = Path(__file__).parent / "_migrations"
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations directory has no revisions"
    return head


async def _run_locked(engine: AsyncEngine, revision: str, *, downgrade: bool) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config(connection)
        if downgrade:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    async with engine.connect() as conn:
        # No statement timeout (the app's engine has one): a migration, or the wait for another
        # replica's, may take as long as it takes. Session-level, so reset before the pool gets it back.
        await conn.execute(text("SET statement_timeout = 0"))
        await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await conn.commit()
        try:
            await conn.run_sync(run)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await conn.execute(text("RESET statement_timeout"))
            await conn.commit()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run_locked(engine, revision, downgrade=False)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _run_locked(engine, revision, downgrade=True)


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)
