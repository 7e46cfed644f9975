"""A server killed (SIGKILL), or its PostgreSQL crashing, in the middle of a multi-batch ingest loses and
duplicates nothing.

The real ``cshub serve`` process ingests batches from two concurrent clients. When the server is
killed while requests are in flight, it is restarted and every batch is sent again. Each batch is one
transaction, so what was committed stays, what was in flight vanishes whole, and the re-send fills
exactly the gap. When PostgreSQL crashes instead (a dedicated server, ``pg_ctl -m immediate``), the
clients retry each batch with its ``Idempotency-Key`` until it is acknowledged, as a source should.
"""

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from service.api_keys.roles import Role
from tests.conftest import make_key
from tests.crash_harness import ingest_key, send_all_again, sigkill_while_sending
from tests.databases import restartable_postgres, with_database
from tests.ingesting import query
from tests.serve_process import cshub_env, serving
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


def send(base_url: str, key: str, entity: str, records: list[Any]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/v1/ingest/{entity}",
        json={"source": "product", "records": records},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def test_sigkill_mid_ingest_then_resend_everything(database_url: str, engine: object, tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    key = ingest_key(env)

    def send_events(base_url: str, batch: Any) -> httpx.Response:
        return send(base_url, key, "usage-events", batch)

    def accounts_first(base_url: str) -> None:
        assert send(base_url, key, "accounts", ACCOUNTS).status_code == 200

    sigkill_while_sending(env, tmp_path, send_events, BATCHES, before=accounts_first)
    stored = query(database_url, "SELECT count(*) FROM usage_events")[0][0]
    assert 0 < stored < TOTAL_EVENTS
    assert query(database_url, ROLLUPS_MATCH_EVENTS) == [(True, True)]  # committed batches are whole

    resent = send_all_again(env, tmp_path, send_events, BATCHES)
    assert resent.statuses == {"created", "unchanged"}
    assert query(database_url, "SELECT count(*), count(DISTINCT (source, source_event_id)) FROM usage_events") == [
        (TOTAL_EVENTS, TOTAL_EVENTS)
    ]
    assert query(database_url, ROLLUPS_MATCH_EVENTS) == [(True, True)]
    assert query(database_url, "SELECT count(*) FROM accounts") == [(20,)]


def send_until_acknowledged(base_url: str, key: str, batch: list[Any], idempotency_key: str) -> tuple[int, bool]:
    """Send one batch until it is acknowledged (200), as a source retrying 503s and lost connections does;
    how many attempts failed, and whether the answer was a replay of an earlier attempt's."""
    failures = 0
    deadline = time.monotonic() + 60
    while True:
        try:
            response = httpx.post(
                f"{base_url}/v1/ingest/usage-events",
                json={"source": "product", "records": batch},
                headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key},
                timeout=30,
            )
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return failures, response.headers.get("Idempotent-Replayed") == "true"
        assert response is None or response.status_code == 503, response.text  # clean failures only
        assert response is None or response.json()["code"] == "DATABASE_UNAVAILABLE", response.text
        failures += 1
        assert time.monotonic() < deadline, f"batch {idempotency_key} never acknowledged"
        time.sleep(0.1)


def test_postgres_crash_mid_ingest_then_idempotent_retries(tmp_path: Path) -> None:
    with restartable_postgres(tmp_path / "own-pg") as postgres:
        url = with_database(postgres.url, "cshub_crash")
        asyncio.run(_create_database(postgres.url, "cshub_crash"))
        env = cshub_env(CSHUB_DATABASE_URL=url, CSHUB_DATA_DIR=str(tmp_path / "data"))
        with serving(env=env, workdir=tmp_path) as server:  # migrates on start
            key = asyncio.run(_ingest_key(url))
            assert send(server.base_url, key, "accounts", ACCOUNTS).status_code == 200

            failed_attempts: list[int] = []
            acknowledged: list[int] = []
            lock = threading.Lock()

            def client(numbers: list[int]) -> None:
                for number in numbers:
                    failures, _ = send_until_acknowledged(server.base_url, key, BATCHES[number], f"batch-{number}")
                    with lock:
                        failed_attempts.append(failures)
                        acknowledged.append(number)

            threads = [threading.Thread(target=client, args=(list(range(half, len(BATCHES), 2)),)) for half in (0, 1)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # crash once a few batches are in, with both clients still sending
                with lock:
                    if len(acknowledged) >= 4:
                        break
                time.sleep(0.002)
            postgres.stop(mode="immediate")
            crashed_at = time.monotonic()
            time.sleep(1.0)
            postgres.start()
            for thread in threads:
                thread.join(timeout=90)
            finished_at = time.monotonic()
            assert not any(thread.is_alive() for thread in threads)

            # Every batch again with its key: all answered from the stored responses, nothing written twice.
            replays = [
                send_until_acknowledged(server.base_url, key, batch, f"batch-{n}") for n, batch in enumerate(BATCHES)
            ]

        assert sorted(acknowledged) == list(range(len(BATCHES)))
        assert sum(failed_attempts) > 0, "the crash should have failed attempts in flight"
        assert all(replayed for _, replayed in replays)
        counts = query(url, "SELECT count(*), count(DISTINCT (source, source_event_id)) FROM usage_events")
        assert counts == [(TOTAL_EVENTS, TOTAL_EVENTS)]
        assert query(url, ROLLUPS_MATCH_EVENTS) == [(True, True)]
        print(
            f"postgres crash mid-ingest: {sum(failed_attempts)} failed attempts retried, all {len(BATCHES)} batches "
            f"acknowledged {finished_at - crashed_at:.1f}s after the crash, {counts[0][0]} of {TOTAL_EVENTS} events"
        )


async def _create_database(server_url: str, name: str) -> None:
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def _ingest_key(url: str) -> str:
    engine = create_async_engine(url)
    try:
        return await make_key(engine, Role.INGEST, "crash test")
    finally:
        await engine.dispose()
