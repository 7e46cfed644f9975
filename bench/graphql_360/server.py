"""The server under test: a real ``cshub serve`` process on the bench database, the settings the bench
passes it as CSHUB_ environment variables (what is not given keeps the server's default), and the
``cshub`` commands run before it starts."""

from dataclasses import dataclass
from pathlib import Path

from bench.graphql_360.errors import BenchError
from tests.serve_process import cshub_env, run_cshub


@dataclass(frozen=True, slots=True)
class ServerOptions:
    workers: int  # cshub serve --workers
    db_pool_size: int | None  # CSHUB_DB_POOL_SIZE; None: the server's default
    connections_per_request: int | None  # CSHUB_DB_CONNECTIONS_PER_REQUEST; None: the server's default


def server_env(database_url: str, workdir: Path, options: ServerOptions) -> dict[str, str]:
    # No background health recompute: it would write scores (and timeline entries) while the bench reads.
    env = cshub_env(
        CSHUB_DATABASE_URL=database_url,
        CSHUB_DATA_DIR=str(workdir / "data"),
        CSHUB_MIGRATE_ON_START="false",
        CSHUB_HEALTH_RECOMPUTE_INTERVAL_SECONDS="0",
    )
    if options.db_pool_size is not None:
        env["CSHUB_DB_POOL_SIZE"] = str(options.db_pool_size)
    if options.connections_per_request is not None:
        env["CSHUB_DB_CONNECTIONS_PER_REQUEST"] = str(options.connections_per_request)
    return env


def cshub(*args: str, env: dict[str, str]) -> str:
    done = run_cshub(*args, env=env, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"cshub {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def create_api_key(env: dict[str, str]) -> str:
    """A CSM key for the bench's requests (the last line ``cshub keys create`` prints)."""
    return cshub("keys", "create", "--role", "csm", "--name", "bench-360", env=env).strip().splitlines()[-1]
