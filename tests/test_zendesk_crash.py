"""A ``cshub serve`` process killed (SIGKILL) while Zendesk pages are being written loses and duplicates nothing once
every page is sent again: each request is one transaction, and a re-sent ticket is ``unchanged``."""

import copy
from pathlib import Path
from typing import Any

import httpx

from tests.crash_harness import ingest_key, send_all_again, sigkill_while_sending
from tests.ingesting import query
from tests.serve_process import cshub_env
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


def _send(base_url: str, key: str, page: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/zendesk/v1/tickets", json=page, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def test_sigkill_mid_zendesk_pages_then_resend_everything(database_url: str, engine: object, tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    key = ingest_key(env)
    pages = _pages()
    total = PAGES * PER_PAGE
    rated = sum(1 for page in pages for ticket in page["tickets"] if ticket["satisfaction_rating"]["score"] == "good")

    def send(base_url: str, page: Any) -> httpx.Response:
        return _send(base_url, key, page)

    sigkill_while_sending(env, tmp_path, send, pages, wait_seconds=120, join_seconds=60)
    stored = query(database_url, "SELECT count(*) FROM tickets")[0][0]
    assert 0 < stored < total
    assert stored % PER_PAGE == 0  # committed pages are whole

    resent = send_all_again(env, tmp_path, send, pages)
    print(
        f"zendesk re-send after SIGKILL: {PAGES} pages of {PER_PAGE} tickets in {resent.seconds:.1f} s "
        f"({total / resent.seconds:.0f} tickets/s)"
    )
    assert resent.statuses == {"created", "unchanged"}
    links = "SELECT count(*), count(DISTINCT external_id) FROM source_links WHERE source = 'zendesk' AND object_type = "
    assert query(database_url, links + "'ticket'") == [(total, total)]
    assert query(database_url, "SELECT count(*) FROM tickets") == [(total,)]
    assert query(database_url, "SELECT count(*) FROM survey_responses WHERE kind = 'csat'") == [(rated,)]
    assert query(database_url, "SELECT count(*) FROM accounts") == [(2,)]
