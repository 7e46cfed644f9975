"""A ``cshub serve`` process killed (SIGKILL) while HubSpot deal pages are being written loses and duplicates
nothing once every page is sent again: each request is one transaction, and a re-sent deal is ``unchanged``."""

import asyncio
import copy
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from tests.hubspot_payloads import payload
from tests.ingesting import rows
from tests.serve_process import cshub_env, run_cshub, serving

PAGES = 16
PER_PAGE = 25
LINES = 2  # per deal
# A port of its own (CSHUB_TEST_PORT), else a free one.
PORT = int(os.environ.get("CSHUB_TEST_PORT", "0")) or None


def _pages() -> list[dict[str, Any]]:
    """Pages of distinct closed-won deals of the two fixture companies, each deal with two line items."""
    sample = payload("deals_page")
    template = sample["results"][0]
    line_template = sample["line_items"]["results"][0]
    pages = []
    for page in range(PAGES):
        deals, line_items = [], []
        for i in range(PER_PAGE):
            number = page * PER_PAGE + i
            deal = copy.deepcopy(template)
            deal["id"] = str(18_000_000 + number)
            deal["properties"]["dealname"] = f"Deal {page}-{i}"
            deal["associations"]["companies"]["results"][0]["id"] = ("9834512001", "9834512002")[i % 2]
            ids = [str(500_000 + number * LINES + line) for line in range(LINES)]
            deal["associations"]["line items"]["results"] = [{"id": id_, "type": "deal_to_line_item"} for id_ in ids]
            for line, id_ in enumerate(ids):
                line_item = copy.deepcopy(line_template)
                line_item["id"] = id_
                line_item["properties"]["name"] = f"Product {line}"
                line_items.append(line_item)
            deals.append(deal)
        pages.append({"results": deals, "line_items": line_items})
    return pages


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    async def read() -> list[tuple[Any, ...]]:
        engine = create_async_engine(url)
        try:
            return await rows(engine, sql)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _send(base_url: str, key: str, path: str, body: Any) -> httpx.Response:
    return httpx.post(
        f"{base_url}/hubspot/v1/objects/{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def test_sigkill_mid_hubspot_deals_then_resend_everything(database_url: str, engine: object, tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    created = run_cshub("keys", "create", "--role", "ingest", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    pages = _pages()
    total = PAGES * PER_PAGE

    answered: list[int] = []
    failed: list[str] = []
    lock = threading.Lock()
    with serving(env=env, workdir=tmp_path, port=PORT) as server:
        assert _send(server.base_url, key, "companies", payload("companies_page")).status_code == 200

        def client(mine: list[dict[str, Any]]) -> None:
            for page in mine:
                try:
                    response = _send(server.base_url, key, "deals", page)
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
    stored = _query(database_url, "SELECT count(*) FROM contracts")[0][0]
    assert 0 < stored < total
    assert stored % PER_PAGE == 0  # committed pages are whole
    assert _query(database_url, "SELECT count(*) FROM contract_lines")[0][0] == stored * LINES

    with serving(env=env, workdir=tmp_path, port=PORT) as server:
        statuses: set[str] = set()
        started = time.monotonic()
        for page in pages:
            response = _send(server.base_url, key, "deals", page)
            assert response.status_code == 200, response.text
            statuses |= {result["status"] for result in response.json()["results"]}
        took = time.monotonic() - started
    print(f"hubspot re-send after SIGKILL: {PAGES} pages of {PER_PAGE} deals in {took:.1f} s ({total / took:.0f}/s)")
    assert statuses == {"created", "unchanged"}
    links = "SELECT count(*), count(DISTINCT external_id) FROM source_links WHERE source = 'hubspot' AND object_type = "
    assert _query(database_url, links + "'contract'") == [(total, total)]
    assert _query(database_url, "SELECT count(*) FROM contracts") == [(total,)]
    assert _query(database_url, "SELECT count(*) FROM contract_lines") == [(total * LINES,)]
    assert _query(database_url, "SELECT count(*) FROM accounts") == [(4,)]
