"""A ``cshub serve`` process killed (SIGKILL) while Zendesk pages are being written loses and duplicates nothing once
every page is sent again: each request is one transaction, and a re-sent ticket is ``unchanged``."""

import asyncio
import copy
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from tests.ingesting import rows
from tests.serve_process import cshub_env, run_cshub, serving
from tests.zendesk_payloads import payload

PAGES = 16
PER_PAGE = 30


def _pages() -> list[dict[str, Any]]:
    """Incremental-export pages of distinct tickets (every third one rated), each with its organizations."""
    sample = payload("tickets_page")
    organizations = sample["organizations"]
    template = sample["tickets"][1]  # a rated ticket
    pages = []
    for page in range(PAGES):
        tickets = []
        for i in range(PER_PAGE):
            ticket = copy.deepcopy(template)
            ticket["id"] = 100_000 + page * PER_PAGE + i
            ticket["subject"] = f"Ticket {page}-{i}"
            ticket["organization_id"] = organizations[i % 2]["id"]
            if i % 3:
                ticket["satisfaction_rating"] = {"score": "unoffered"}
            tickets.append(ticket)
        pages.append(
            {"tickets": tickets, "organizations": organizations, "after_cursor": f"c{page}", "end_of_stream": False}
        )
    return pages


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    async def read() -> list[tuple[Any, ...]]:
        engine = create_async_engine(url)
        try:
            return await rows(engine, sql)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _send(base_url: str, key: str, page: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/zendesk/v1/tickets", json=page, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def test_sigkill_mid_zendesk_pages_then_resend_everything(database_url: str, engine: object, tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    created = run_cshub("keys", "create", "--role", "ingest", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    pages = _pages()
    total = PAGES * PER_PAGE
    rated = sum(1 for page in pages for ticket in page["tickets"] if ticket["satisfaction_rating"]["score"] == "good")

    answered: list[int] = []
    failed: list[str] = []
    lock = threading.Lock()
    with serving(env=env, workdir=tmp_path) as server:

        def client(mine: list[dict[str, Any]]) -> None:
            for page in mine:
                try:
                    response = _send(server.base_url, key, page)
                except httpx.TransportError as exc:
                    with lock:
                        failed.append(type(exc).__name__)
                    return
                with lock:
                    answered.append(response.status_code)

        threads = [threading.Thread(target=client, args=(pages[half::2],)) for half in (0, 1)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # kill once a few pages are in, with both clients still sending
            with lock:
                if len(answered) >= 4 or failed:
                    break
            time.sleep(0.002)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=60)

    assert failed, "the kill should have cut requests in flight"
    assert set(answered) == {200}
    stored = _query(database_url, "SELECT count(*) FROM tickets")[0][0]
    assert 0 < stored < total
    assert stored % PER_PAGE == 0  # committed pages are whole

    with serving(env=env, workdir=tmp_path) as server:
        statuses: set[str] = set()
        started = time.monotonic()
        for page in pages:
            response = _send(server.base_url, key, page)
            assert response.status_code == 200, response.text
            statuses |= {result["status"] for result in response.json()["results"]}
        took = time.monotonic() - started
    print(
        f"zendesk re-send after SIGKILL: {PAGES} pages of {PER_PAGE} tickets in {took:.1f} s "
        f"({total / took:.0f} tickets/s)"
    )
    assert statuses == {"created", "unchanged"}
    links = "SELECT count(*), count(DISTINCT external_id) FROM source_links WHERE source = 'zendesk' AND object_type = "
    assert _query(database_url, links + "'ticket'") == [(total, total)]
    assert _query(database_url, "SELECT count(*) FROM tickets") == [(total,)]
    assert _query(database_url, "SELECT count(*) FROM survey_responses WHERE kind = 'csat'") == [(rated,)]
    assert _query(database_url, "SELECT count(*) FROM accounts") == [(2,)]
