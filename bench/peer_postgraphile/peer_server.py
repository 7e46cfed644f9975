"""The peer under test: a PostGraphile 5 process (the CLI with the bench's config) serving the bench database
read-only on a free loopback port, started and stopped like ``tests.serve_process.serving`` does for cshub.

The connection string carries ``default_transaction_read_only=on``: PostGraphile only introspects and
reads, creates nothing in the database, and its generated mutations would fail.
"""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx

from bench.graphql_360.errors import BenchError
from bench.peer_postgraphile.install import Installation
from tests.serve_process import RunningServer, free_port, supervised

START_TIMEOUT_SECONDS = 120
READ_ONLY = "?options=" + quote("-c default_transaction_read_only=on", safe="")


def _ready(base_url: str) -> bool:
    try:
        answer = httpx.post(f"{base_url}/graphql", json={"query": "{ __typename }"}, timeout=2)
    except httpx.TransportError:
        return False
    return answer.status_code == 200 and "errors" not in answer.json()


@contextmanager
def serving_postgraphile(installation: Installation, dsn: str, workdir: Path) -> Iterator[RunningServer]:
    """Start PostGraphile on the database at ``dsn`` (a libpq URL without query) and wait until it answers."""
    port = free_port()
    log_path = workdir / f"postgraphile-{port}.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL"))},
        "PEER_DATABASE_URL": dsn + READ_ONLY,
        "PEER_PORT": str(port),
        "NODE_ENV": "production",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(installation.node), str(installation.cli), "-C", str(installation.config)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=installation.folder,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log_path)
    with supervised(server, _ready, "PostGraphile", START_TIMEOUT_SECONDS, BenchError):
        yield server
