"""A ``cshub serve`` process killed (SIGKILL) while HubSpot deal pages are being written loses and duplicates
nothing once every page is sent again: each request is one transaction, and a re-sent deal is ``unchanged``."""

import copy
import os
from pathlib import Path
from typing import Any

import httpx

from tests.crash_harness import ingest_key, send_all_again, sigkill_while_sending
from tests.hubspot_payloads import payload
from tests.ingesting import query
from tests.serve_process import cshub_env

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


def _send(base_url: str, key: str, path: str, body: Any) -> httpx.Response:
    return httpx.post(
        f"{base_url}/hubspot/v1/objects/{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def test_sigkill_mid_hubspot_deals_then_resend_everything(database_url: str, engine: object, tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    key = ingest_key(env)
    pages = _pages()
    total = PAGES * PER_PAGE

    def send(base_url: str, page: Any) -> httpx.Response:
        return _send(base_url, key, "deals", page)

    def companies_first(base_url: str) -> None:
        assert _send(base_url, key, "companies", payload("companies_page")).status_code == 200

    sigkill_while_sending(
        env, tmp_path, send, pages, before=companies_first, port=PORT, wait_seconds=120, join_seconds=60
    )
    stored = query(database_url, "SELECT count(*) FROM contracts")[0][0]
    assert 0 < stored < total
    assert stored % PER_PAGE == 0  # committed pages are whole
    assert query(database_url, "SELECT count(*) FROM contract_lines")[0][0] == stored * LINES

    resent = send_all_again(env, tmp_path, send, pages, port=PORT)
    took = resent.seconds
    print(f"hubspot re-send after SIGKILL: {PAGES} pages of {PER_PAGE} deals in {took:.1f} s ({total / took:.0f}/s)")
    assert resent.statuses == {"created", "unchanged"}
    links = "SELECT count(*), count(DISTINCT external_id) FROM source_links WHERE source = 'hubspot' AND object_type = "
    assert query(database_url, links + "'contract'") == [(total, total)]
    assert query(database_url, "SELECT count(*) FROM contracts") == [(total,)]
    assert query(database_url, "SELECT count(*) FROM contract_lines") == [(total * LINES,)]
    assert query(database_url, "SELECT count(*) FROM accounts") == [(4,)]
