"""A server killed (SIGKILL) in the middle of a multi-batch ingest loses and duplicates nothing.

The real ``cshub serve`` process ingests batches from two concurrent clients; it is killed while
requests are in flight, restarted, and every batch is sent again. Each batch is one transaction, so
what was committed stays, what was in flight vanishes whole, and the re-send fills exactly the gap.
"""

import asyncio
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from tests.ingesting import rows
from tests.serve_process import cshub_env, run_cshub, serving
from tests.test_ingest_service import ROLLUPS_MATCH_EVENTS

ACCOUNTS = [{"external_id": f"ws-{i}", "name": f"Account {i}", "domain": f"a{i}.example"} for i in range(20)]
BATCHES = [
    [
        {
            "event_id": f"b{batch}-e{i}",
            "account_external_id": f"ws-{(batch * 7 + i) % 20}",
            "user_id": f"u{i % 13}",
            "event": ("login", "report.view", "export.csv")[i % 3],
            "occurred_at": f"2026-03-{1 + (batch + i) % 28:02d}T{i % 24:02d}:00:00Z",
        }
        for i in range(500)
    ]
    for batch in range(24)
]
TOTAL_EVENTS = sum(len(batch) for batch in BATCHES)


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    async def read() -> list[tuple[Any, ...]]:
        engine = create_async_engine(url)
        try:
            return await rows(engine, sql)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def send(base_url: str, key: str, entity: str, records: list[Any]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/v1/ingest/{entity}",
        json={"source": "product", "records": records},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def test_sigkill_mid_ingest_then_resend_everything(database_url: str, engine: object, tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    created = run_cshub("keys", "create", "--role", "ingest", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]

    answered: list[int] = []
    failed: list[str] = []
    lock = threading.Lock()
    with serving(env=env, workdir=tmp_path) as server:
        assert send(server.base_url, key, "accounts", ACCOUNTS).status_code == 200

        def client(batches: list[list[Any]]) -> None:
            for batch in batches:
                try:
                    response = send(server.base_url, key, "usage-events", batch)
                except httpx.TransportError as exc:
                    with lock:
                        failed.append(type(exc).__name__)
                    return
                with lock:
                    answered.append(response.status_code)

        threads = [threading.Thread(target=client, args=(BATCHES[half::2],)) for half in (0, 1)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill once a few batches are in, with both clients still sending
            with lock:
                if len(answered) >= 4 or failed:
                    break
            time.sleep(0.002)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=30)

    assert failed, "the kill should have cut requests in flight"
    assert set(answered) == {200}
    stored = query(database_url, "SELECT count(*) FROM usage_events")[0][0]
    assert 0 < stored < TOTAL_EVENTS
    assert query(database_url, ROLLUPS_MATCH_EVENTS) == [(True, True)]  # committed batches are whole

    with serving(env=env, workdir=tmp_path) as server:
        statuses: set[str] = set()
        for batch in BATCHES:
            response = send(server.base_url, key, "usage-events", batch)
            assert response.status_code == 200, response.text
            statuses |= {result["status"] for result in response.json()["results"]}
    assert statuses == {"created", "unchanged"}
    assert query(database_url, "SELECT count(*), count(DISTINCT (source, source_event_id)) FROM usage_events") == [
        (TOTAL_EVENTS, TOTAL_EVENTS)
    ]
    assert query(database_url, ROLLUPS_MATCH_EVENTS) == [(True, True)]
    assert query(database_url, "SELECT count(*) FROM accounts") == [(20,)]
