"""A ``cshub serve`` process killed (SIGKILL) while Salesforce query pages are being written loses and duplicates
nothing once every page is sent again: each request is one transaction, and a re-sent opportunity is
``unchanged`` (its contract and lines as they were)."""

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
from tests.salesforce_payloads import payload
from tests.serve_process import cshub_env, run_cshub, serving

PAGES = 16
PER_PAGE = 30


def _pages() -> list[dict[str, Any]]:
    """Query pages of distinct closed-won opportunities (two line items each), the accounts first."""
    template = payload("query_opportunities")["records"][0]
    pages = []
    for page in range(PAGES):
        records = []
        for i in range(PER_PAGE):
            record = copy.deepcopy(template)
            number = page * PER_PAGE + i
            record["Id"] = f"006Dn0000{number:06d}QAC"
            record["Name"] = f"Deal {number}"
            record["AccountId"] = ("001Dn00000AcmeXAAS", "001Dn00000GlobxAAS")[i % 2]
            for index, line in enumerate(record["OpportunityLineItems"]["records"]):
                line["Id"] = f"00kDn000{number:06d}{index}AAC"
                line["OpportunityId"] = record["Id"]
            records.append(record)
        pages.append({"totalSize": PAGES * PER_PAGE, "done": page == PAGES - 1, "records": records})
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
        f"{base_url}/salesforce/v1/records", json=page, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def test_sigkill_mid_salesforce_pages_then_resend_everything(database_url: str, engine: object, tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    created = run_cshub("keys", "create", "--role", "ingest", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    pages = _pages()
    total = PAGES * PER_PAGE

    answered: list[int] = []
    failed: list[str] = []
    lock = threading.Lock()
    with serving(env=env, workdir=tmp_path) as server:
        accounts = _send(server.base_url, key, payload("query_accounts"))
        assert accounts.status_code == 200, accounts.text

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
    stored = _query(database_url, "SELECT count(*) FROM contracts")[0][0]
    assert 0 < stored < total
    assert stored % PER_PAGE == 0  # committed pages are whole
    assert _query(database_url, "SELECT count(*) FROM contract_lines")[0][0] == 2 * stored

    with serving(env=env, workdir=tmp_path) as server:
        statuses: set[str] = set()
        started = time.monotonic()
        for page in pages:
            response = _send(server.base_url, key, page)
            assert response.status_code == 200, response.text
            statuses |= {result["status"] for result in response.json()["results"]}
        took = time.monotonic() - started
    print(
        f"salesforce re-send after SIGKILL: {PAGES} pages of {PER_PAGE} opportunities in {took:.1f} s "
        f"({total / took:.0f} opportunities/s)"
    )
    assert statuses == {"created", "unchanged"}
    links = "SELECT count(*), count(DISTINCT external_id) FROM source_links WHERE source = 'salesforce' AND "
    assert _query(database_url, links + "object_type = 'contract'") == [(total, total)]
    assert _query(database_url, "SELECT count(*) FROM contracts") == [(total,)]
    assert _query(database_url, "SELECT count(*) FROM contract_lines") == [(2 * total,)]
    assert _query(database_url, "SELECT count(*) FROM accounts") == [(2,)]
