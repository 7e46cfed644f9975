"""Attaching a command-line process to its database: the external server or the embedded one.

``attached_database`` yields a connection URL and, for the embedded server, stops it again when the
block ends. ``engine_for`` wraps a URL in an engine that fails with one clear line when unreachable.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from service import migrate
from service.db.embedded import EmbeddedPostgres
from service.db.pool import PoolSettings, check_connection, create_engine, database_errors, describe_url
from service.errors import SchemaNotReady


class DatabaseSettings(PoolSettings, Protocol):
    """Where the database is (``service.settings.Settings`` has it): an external server's URL, or the embedded
    server's data dir."""

    @property
    def database_url(self) -> str | None: ...
    @property
    def data_dir(self) -> Path: ...


@contextmanager
def attached_database(settings: DatabaseSettings, *, create: bool = False) -> Iterator[str]:
    """The database's URL while the block runs. The embedded one is made in the data dir only when ``create``
    (``serve`` and ``migrate``): any other command pointed at a data dir without one says so and makes none."""
    if settings.database_url is not None:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    if not create and not embedded.exists():
        raise SchemaNotReady(
            f"no cshub database in the data dir {embedded.data_dir} (CSHUB_DATA_DIR, default ./.cshub), and none "
            "was created: point CSHUB_DATA_DIR at the directory `cshub serve` uses (or CSHUB_DATABASE_URL at its "
            "server), or create one there with `cshub migrate`"
        )
    url = embedded.start()
    try:
        yield url
    finally:
        embedded.stop()


@asynccontextmanager
async def engine_for(url: str, settings: PoolSettings, *, require_head: bool = False) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url, settings)
    try:
        await check_connection(engine)
        if require_head:
            async with database_errors(url):
                current = await migrate.current_revision(engine)
            if current != migrate.head_revision():
                raise SchemaNotReady(
                    f"the database {describe_url(url)} "
                    + (
                        "holds no cshub schema"
                        if current is None
                        else f"has the cshub schema at {current}, not at head {migrate.head_revision()}"
                    )
                    + "; run `cshub migrate` against it first (or point CSHUB_DATABASE_URL at the server cshub uses)"
                )
        yield engine
    finally:
        await engine.dispose()
