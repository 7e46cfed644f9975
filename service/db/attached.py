"""Attaching a command-line process to its database: the external server or the embedded one.

``attached_database`` yields a connection URL and, for the embedded server, stops it again when the
block ends. ``engine_for`` wraps a URL in an engine that fails with one clear line when unreachable.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from service import migrate
from service.db.embedded import EmbeddedPostgres
from service.db.pool import check_connection, create_engine, database_errors
from service.errors import SchemaNotReady
from service.settings import Settings


@contextmanager
def attached_database(settings: Settings) -> Iterator[str]:
    if settings.database_url is not None:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    url = embedded.start()
    try:
        yield url
    finally:
        embedded.stop()


@asynccontextmanager
async def engine_for(url: str, settings: Settings, *, require_head: bool = False) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url, settings)
    try:
        await check_connection(engine)
        if require_head:
            async with database_errors(url):
                current = await migrate.current_revision(engine)
            if current != migrate.head_revision():
                raise SchemaNotReady(
                    f"the database schema is at {current or 'no revision'}, not at head; run `cshub migrate` first"
                )
        yield engine
    finally:
        await engine.dispose()
