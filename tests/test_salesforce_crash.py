"""A ``cshub serve`` process killed (SIGKILL) while Salesforce query pages are being written loses and duplicates
nothing once every page is sent again: each request is one transaction, and a re-sent opportunity is
``unchanged`` (its contract and lines as they were)."""

import copy
from pathlib import Path
from typing import Any

import httpx

from tests.crash_harness import ingest_key, send_all_again, sigkill_while_sending
from tests.ingesting import query
from tests.salesforce_payloads import payload
from tests.serve_process import cshub_env

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


def _send(base_url: str, key: str, page: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/salesforce/v1/records", json=page, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def test_sigkill_mid_salesforce_pages_then_resend_everything(database_url: str, engine: object, tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    key = ingest_key(env)
    pages = _pages()
    total = PAGES * PER_PAGE

    def send(base_url: str, page: Any) -> httpx.Response:
        return _send(base_url, key, page)

    def accounts_first(base_url: str) -> None:
        accounts = send(base_url, payload("query_accounts"))
        assert accounts.status_code == 200, accounts.text

    sigkill_while_sending(env, tmp_path, send, pages, before=accounts_first, wait_seconds=120, join_seconds=60)
    stored = query(database_url, "SELECT count(*) FROM contracts")[0][0]
    assert 0 < stored < total
    assert stored % PER_PAGE == 0  # committed pages are whole
    assert query(database_url, "SELECT count(*) FROM contract_lines")[0][0] == 2 * stored

    resent = send_all_again(env, tmp_path, send, pages)
    print(
        f"salesforce re-send after SIGKILL: {PAGES} pages of {PER_PAGE} opportunities in {resent.seconds:.1f} s "
        f"({total / resent.seconds:.0f} opportunities/s)"
    )
    assert resent.statuses == {"created", "unchanged"}
    links = "SELECT count(*), count(DISTINCT external_id) FROM source_links WHERE source = 'salesforce' AND "
    assert query(database_url, links + "object_type = 'contract'") == [(total, total)]
    assert query(database_url, "SELECT count(*) FROM contracts") == [(total,)]
    assert query(database_url, "SELECT count(*) FROM contract_lines") == [(2 * total,)]
