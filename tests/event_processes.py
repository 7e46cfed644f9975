"""Real ``cshub serve`` processes delivering events, for the multi-process and crash tests: their settings, which
of them a request came from, and the writes the tests make through them."""

import os
import uuid
from pathlib import Path
from typing import Any

import httpx

from service.graphql.relay import encode_global_id
from tests.serve_process import cshub_env

ADD_ENTRY = """mutation($input: AddTimelineEntryInput!) {
  addTimelineEntry(input: $input) { __typename ... on TimelineEvent { id } }
}"""


def events_env(database_url: str, data_dir: Path, **overrides: str) -> dict[str, str]:
    """A delivering ``cshub serve`` on the test database: loopback receivers allowed, a brisk worker, no health
    recomputes (they would append events of their own)."""
    settings = {
        "CSHUB_DATABASE_URL": database_url,
        "CSHUB_DATA_DIR": str(data_dir),
        "CSHUB_WEBHOOKS_DELIVER": "true",
        "CSHUB_WEBHOOK_ALLOW_LOOPBACK": "true",
        "CSHUB_WEBHOOK_POLL_SECONDS": "0.1",
        "CSHUB_HEALTH_RECOMPUTE_INTERVAL_SECONDS": "0",
        "CSHUB_HEALTH_RECOMPUTE_AFTER_INGEST_SECONDS": "0",
    }
    return cshub_env(**(settings | overrides))


def _socket_inode(local_port: int, remote_port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == local_port and int(remote.rsplit(":", 1)[1], 16) == remote_port:
                return inode
    return None


def sender_pid(local_port: int, remote_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the loopback TCP connection from ``local_port`` to ``remote_port`` (Linux /proc)."""
    inode = _socket_inode(local_port, remote_port)
    if inode is None:
        return None
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                        return pid
                except OSError:  # closed meanwhile
                    continue
        except OSError:  # the process is gone
            continue
    return None


async def add_entry(http: httpx.AsyncClient, key: str, account_id: uuid.UUID, summary: str) -> dict[str, Any]:
    """``addTimelineEntry`` over HTTP: a write that appends ``timeline.entry_added`` in its transaction."""
    variables = {
        "input": {
            "accountId": encode_global_id("Account", account_id),
            "kind": "NOTE",
            "occurredAt": "2026-03-01T10:00:00Z",
            "summary": summary,
        }
    }
    answer = await http.post(
        "/graphql",
        json={"query": ADD_ENTRY, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["data"]["addTimelineEntry"]["__typename"] == "TimelineEvent", body
    return body
