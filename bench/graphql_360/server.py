"""The server under test: a real ``cshub serve`` process on the bench database, the settings the bench
passes it as CSHUB_ environment variables (what is not given keeps the server's default), and the API key
its requests carry."""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from tests.serve_process import cshub_env


@dataclass(frozen=True, slots=True)
class ServerOptions:
    workers: int  # cshub serve --workers
    db_pool_size: int | None  # CSHUB_DB_POOL_SIZE; None: the server's default
    connections_per_request: int | None  # CSHUB_DB_CONNECTIONS_PER_REQUEST; None: the server's default


def server_env(database_url: str, workdir: Path, options: ServerOptions) -> dict[str, str]:
    # No background health recompute and no clock sweep: they would write scores, timeline entries and events
    # while the bench reads. No per-key rate limit: the bench measures how fast the server answers, not the
    # limiter (one key asks it all).
    env = cshub_env(
        CSHUB_DATABASE_URL=database_url,
        CSHUB_DATA_DIR=str(workdir / "data"),
        CSHUB_MIGRATE_ON_START="false",
        CSHUB_HEALTH_RECOMPUTE_INTERVAL_SECONDS="0",
        CSHUB_CLOCK_SWEEP="false",
        CSHUB_RATE_LIMIT_GRAPHQL_PER_MINUTE="0",
    )
    if options.db_pool_size is not None:
        env["CSHUB_DB_POOL_SIZE"] = str(options.db_pool_size)
    if options.connections_per_request is not None:
        env["CSHUB_DB_CONNECTIONS_PER_REQUEST"] = str(options.connections_per_request)
    return env


async def create_api_key(database_url: str, role: Role, name: str) -> str:
    """A key for the bench's requests, written straight into the bench database (no ``cshub`` process)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            return (await api_keys.create_key(conn, role=role, name=name)).secret
    finally:
        await engine.dispose()
