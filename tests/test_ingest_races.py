"""Concurrent ingest batches carrying the same records (same source and external id) over HTTP: each record
becomes exactly one row, created once, and a later update reaches that row."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import make_key
from tests.ingesting import rows

BATCHES = 8  # the default ingest_max_concurrent: all of them run at once
EXTERNAL_IDS = [f"x{i}" for i in range(5)]
ACCOUNT = {"external_id": "A1", "name": "Acme", "domain": "acme.example"}
OPENED = "2026-03-01T09:00:00Z"


@dataclass(frozen=True)
class Case:
    entity: str
    table: str
    object_type: str
    column: str  # the column the later update changes
    record: Callable[[str, Any], dict[str, Any]]
    first: Any
    second: Any


def _fact(**fields: Any) -> dict[str, Any]:
    return {"account_external_id": ACCOUNT["external_id"], **fields}


CASES = [
    Case("accounts", "accounts", "account", "name", lambda x, v: {"external_id": x, "name": v}, "One", "Two"),
    Case(
        "contacts",
        "contacts",
        "contact",
        "name",
        lambda x, v: _fact(external_id=x, name=v, email=f"{x}@acme.example"),
        "Ann",
        "Bob",
    ),
    Case(
        "contracts",
        "contracts",
        "contract",
        "status",
        lambda x, v: _fact(external_id=x, status=v, start_date="2026-01-01", lines=[{"product": "Seats", "mrr": 10}]),
        "active",
        "ended",
    ),
    Case(
        "tickets",
        "tickets",
        "ticket",
        "status",
        lambda x, v: _fact(external_id=x, status=v, opened_at=OPENED),
        "open",
        "solved",
    ),
    Case(
        "survey-responses",
        "survey_responses",
        "survey_response",
        "score",
        lambda x, v: _fact(external_id=x, kind="nps", score=v, responded_at=OPENED),
        7,
        9,
    ),
    Case(
        "timeline-events",
        "timeline_events",
        "timeline_event",
        "summary",
        lambda x, v: _fact(external_id=x, kind="note", occurred_at=OPENED, summary=v),
        "kickoff",
        "renewal talk",
    ),
]


async def _ingest(client: httpx.AsyncClient, key: str, entity: str, records: list[Any]) -> list[dict[str, Any]]:
    response = await client.post(
        f"/v1/ingest/{entity}", json={"source": "crm", "records": records}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


@pytest.mark.parametrize("case", CASES, ids=[case.entity for case in CASES])
async def test_concurrent_batches_with_the_same_records_create_each_once(
    client: httpx.AsyncClient, engine: AsyncEngine, case: Case
) -> None:
    key = await make_key(engine)
    if case.entity != "accounts":
        assert [r["status"] for r in await _ingest(client, key, "accounts", [ACCOUNT])] == ["created"]

    # Each batch sends the records in its own order: the writers must not deadlock either.
    batches = [[case.record(x, case.first) for x in EXTERNAL_IDS[n:] + EXTERNAL_IDS[:n]] for n in range(BATCHES)]
    answers = await asyncio.gather(*(_ingest(client, key, case.entity, batch) for batch in batches))

    stored = await rows(
        engine,
        f"SELECT l.external_id, t.id, t.{case.column} FROM source_links AS l"
        f" JOIN {case.table} AS t ON t.id = l.entity_id WHERE l.object_type = :kind ORDER BY 1",
        kind=case.object_type,
    )
    assert [(x, value) for x, _, value in stored] == [(x, case.first) for x in EXTERNAL_IDS]
    row_of = {x: row_id for x, row_id, _ in stored}
    # One row per record, none orphaned (the accounts case sends no A1).
    assert await rows(engine, f"SELECT count(*) FROM {case.table}") == [(len(EXTERNAL_IDS),)]
    for x in EXTERNAL_IDS:
        answered = [(r["status"], r["id"]) for batch, sent in zip(answers, batches, strict=True) for r in batch
                    if sent[r["index"]]["external_id"] == x]  # fmt: skip
        statuses = sorted(status for status, _ in answered)
        assert statuses.count("created") == 1, statuses
        assert set(statuses) <= {"created", "updated", "unchanged"}, statuses
        assert {row_id for _, row_id in answered} == {str(row_of[x])}

    later = await _ingest(client, key, case.entity, [case.record(x, case.second) for x in EXTERNAL_IDS])
    assert [(r["status"], r["id"]) for r in later] == [("updated", str(row_of[x])) for x in EXTERNAL_IDS]
    assert await rows(
        engine,
        f"SELECT id, {case.column} FROM {case.table} WHERE id = ANY(:ids) ORDER BY id",
        ids=list(row_of.values()),
    ) == sorted((row_id, case.second) for row_id in row_of.values())
