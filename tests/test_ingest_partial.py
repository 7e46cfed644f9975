"""Partial records over ``POST /v1/ingest/{entity}``: an omitted field keeps its stored value, an explicit
``null`` clears it, and a contract without a ``lines`` key keeps its lines (``[]`` removes them)."""

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from tests.conftest import make_key
from tests.ingesting import rows

ACCOUNT = {"external_id": "001", "name": "Acme", "domain": "acme.example"}
REF = {"account_external_id": "001"}


@pytest.fixture
async def ingest_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.INGEST, "test ingest")


async def send(client: httpx.AsyncClient, key: str, entity: str, *records: dict[str, Any]) -> list[str]:
    response = await client.post(
        f"/v1/ingest/{entity}",
        json={"source": "crm", "records": list(records)},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    return [result["status"] for result in response.json()["results"]]


async def test_an_account_resent_without_fields_keeps_them_and_null_clears(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    full = {**ACCOUNT, "csm_owner": "Dana", "segment": "smb", "industry": "Retail"}
    assert await send(client, ingest_key, "accounts", full) == ["created"]
    assert await send(client, ingest_key, "accounts", {"external_id": "001", "name": "Acme"}) == ["unchanged"]
    assert await send(client, ingest_key, "accounts", {"external_id": "001", "name": "Acme Inc"}) == ["updated"]
    sql = "SELECT name, domain, csm_owner, segment, industry FROM accounts"
    assert await rows(engine, sql) == [("Acme Inc", "acme.example", "Dana", "smb", "Retail")]
    assert await send(
        client, ingest_key, "accounts", {"external_id": "001", "name": "Acme Inc", "csm_owner": None}
    ) == ["updated"]
    assert await rows(engine, sql) == [("Acme Inc", "acme.example", None, "smb", "Retail")]
    assert await send(client, ingest_key, "accounts", {**full, "name": "Acme Inc", "csm_owner": None}) == ["unchanged"]


async def test_source_priority_still_ranks_a_partially_resent_account(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    """A field the higher-ranked source (``crm``, first by name) never mentioned, or cleared, falls to the other."""
    assert await send(client, ingest_key, "accounts", {**ACCOUNT, "csm_owner": "Dana", "segment": "smb"}) == ["created"]
    response = await client.post(
        "/v1/ingest/accounts",
        json={
            "source": "support",
            "records": [{**ACCOUNT, "external_id": "s1", "csm_owner": "Lee", "segment": "mid_market"}],
        },
        headers={"Authorization": f"Bearer {ingest_key}"},
    )
    assert response.json()["results"][0]["status"] == "updated"
    assert await send(client, ingest_key, "accounts", {"external_id": "001", "name": "Acme", "segment": None}) == [
        "updated"
    ]
    assert await rows(engine, "SELECT csm_owner, segment FROM accounts") == [("Dana", "mid_market")]


async def test_a_contact_resent_without_fields_keeps_them_and_null_clears(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", ACCOUNT)
    full = {**REF, "external_id": "c1", "name": "Ann", "email": "ann@acme.example", "phone": "123", "title": "CTO"}
    assert await send(client, ingest_key, "contacts", full) == ["created"]
    assert await send(client, ingest_key, "contacts", {**REF, "external_id": "c1"}) == ["unchanged"]
    assert await send(client, ingest_key, "contacts", {**REF, "external_id": "c1", "title": "CEO"}) == ["updated"]
    sql = "SELECT name, email, phone, title FROM contacts"
    assert await rows(engine, sql) == [("Ann", "ann@acme.example", "123", "CEO")]
    assert await send(client, ingest_key, "contacts", {**REF, "external_id": "c1", "phone": None}) == ["updated"]
    assert await rows(engine, sql) == [("Ann", "ann@acme.example", None, "CEO")]


CONTRACT = {
    **REF,
    "external_id": "k1",
    "status": "active",
    "start_date": "2026-01-01",
    "currency": "EUR",
    "auto_renew": True,
    "renewal_date": "2027-01-01",
    "lines": [{"product": "Seats", "quantity": 10, "unit_price": "5.00"}],
}


async def test_a_contract_without_lines_keeps_its_lines_and_other_fields(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", ACCOUNT)
    assert await send(client, ingest_key, "contracts", CONTRACT) == ["created"]
    short = {**REF, "external_id": "k1", "status": "active", "start_date": "2026-01-01"}
    assert await send(client, ingest_key, "contracts", short) == ["unchanged"]
    assert await send(client, ingest_key, "contracts", {**short, "renewal_date": None}) == ["updated"]
    assert await rows(engine, "SELECT currency, auto_renew, renewal_date FROM contracts") == [("EUR", True, None)]
    assert await rows(engine, "SELECT quantity, mrr FROM contract_lines") == [(10, 50)]
    assert await send(client, ingest_key, "contracts", {**short, "lines": []}) == ["updated"]
    assert await rows(engine, "SELECT count(*) FROM contract_lines") == [(0,)]


async def test_contract_lines_without_dates_follow_a_partially_resent_contract(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", ACCOUNT)
    await send(client, ingest_key, "contracts", CONTRACT)
    moved = {**REF, "external_id": "k1", "status": "active", "start_date": "2026-02-01"}
    assert await send(client, ingest_key, "contracts", moved) == ["updated"]
    assert await rows(engine, "SELECT start_date::text, mrr FROM contract_lines") == [("2026-02-01", 50)]


async def test_a_ticket_resent_without_fields_keeps_them_and_null_clears(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", ACCOUNT)
    base = {**REF, "external_id": "t1", "status": "open", "opened_at": "2026-01-01T00:00:00Z"}
    assert await send(client, ingest_key, "tickets", {**base, "subject": "Down", "priority": "high", "csat": 4}) == [
        "created"
    ]
    assert await send(client, ingest_key, "tickets", base) == ["unchanged"]
    assert await send(client, ingest_key, "tickets", {**base, "status": "solved", "csat": None}) == ["updated"]
    assert await rows(engine, "SELECT subject, status, priority, csat FROM tickets") == [
        ("Down", "solved", "high", None)
    ]


async def test_a_survey_response_resent_without_fields_keeps_them_and_null_clears(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", ACCOUNT)
    await send(client, ingest_key, "contacts", {**REF, "external_id": "c1", "email": "ann@acme.example"})
    base = {**REF, "external_id": "s1", "kind": "nps", "score": 9, "responded_at": "2026-01-01T00:00:00Z"}
    full = {**base, "contact_email": "ann@acme.example", "comment": "Great"}
    assert await send(client, ingest_key, "survey-responses", full) == ["created"]
    assert await send(client, ingest_key, "survey-responses", base) == ["unchanged"]
    sql = "SELECT contact_email, contact_id IS NOT NULL, comment FROM survey_responses"
    assert await rows(engine, sql) == [("ann@acme.example", True, "Great")]
    assert await send(client, ingest_key, "survey-responses", {**base, "comment": None}) == ["updated"]
    assert await rows(engine, sql) == [("ann@acme.example", True, None)]


async def test_a_timeline_event_resent_without_fields_keeps_them_and_null_clears(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", ACCOUNT)
    base = {**REF, "external_id": "e1", "kind": "call", "occurred_at": "2026-01-01T00:00:00Z", "summary": "Intro"}
    assert await send(client, ingest_key, "timeline-events", {**base, "actor": "Dana"}) == ["created"]
    assert await send(client, ingest_key, "timeline-events", base) == ["unchanged"]
    assert await rows(engine, "SELECT actor FROM timeline_events") == [("Dana",)]
    assert await send(client, ingest_key, "timeline-events", {**base, "actor": None}) == ["updated"]
    assert await rows(engine, "SELECT actor FROM timeline_events") == [(None,)]


async def test_a_new_record_still_needs_its_required_fields_and_gets_defaults(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", ACCOUNT)
    assert await send(client, ingest_key, "contracts", {**REF, "external_id": "k2", "status": "active"}) == ["rejected"]
    assert await send(
        client, ingest_key, "contracts", {**REF, "external_id": "k2", "status": "active", "start_date": "2026-01-01"}
    ) == ["created"]
    assert await rows(engine, "SELECT currency, auto_renew FROM contracts") == [("USD", False)]


async def test_a_record_stored_before_payloads_were_kept_still_keeps_what_a_resend_omits(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", ACCOUNT)
    await send(client, ingest_key, "contracts", CONTRACT)
    async with engine.begin() as conn:
        await conn.execute(sa.text("UPDATE source_links SET payload = NULL WHERE object_type = 'contract'"))
    short = {**REF, "external_id": "k1", "status": "ended", "start_date": "2026-01-01"}
    assert await send(client, ingest_key, "contracts", short) == ["updated"]
    assert await rows(engine, "SELECT status, currency, auto_renew FROM contracts") == [("ended", "EUR", True)]
    assert await rows(engine, "SELECT quantity, mrr FROM contract_lines") == [(10, 50)]


async def test_a_resend_that_contradicts_a_kept_field_is_rejected(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", ACCOUNT)
    await send(client, ingest_key, "contracts", {**CONTRACT, "end_date": "2026-06-01"})
    late = {**REF, "external_id": "k1", "status": "active", "start_date": "2026-07-01"}
    assert await send(client, ingest_key, "contracts", late) == ["rejected"]
    assert await send(client, ingest_key, "contracts", {**late, "end_date": None}) == ["updated"]


async def test_an_update_may_carry_only_what_changed_even_without_required_fields(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    """A property-change delivery (HubSpot, Salesforce CDC) names the record and the changed field only: the
    required fields it omits come from the stored record. A record the source never sent still needs them."""
    assert await send(client, ingest_key, "accounts", {**ACCOUNT, "csm_owner": "Dana"}) == ["created"]
    assert await send(client, ingest_key, "accounts", {"external_id": "001", "segment": "enterprise"}) == ["updated"]
    sql = "SELECT name, domain, csm_owner, segment FROM accounts"
    assert await rows(engine, sql) == [("Acme", "acme.example", "Dana", "enterprise")]
    response = await client.post(
        "/v1/ingest/accounts",
        json={"source": "crm", "records": [{"external_id": "never-sent", "segment": "smb"}]},
        headers={"Authorization": f"Bearer {ingest_key}"},
    )
    (result,) = response.json()["results"]
    assert result["status"] == "rejected"
    assert {"path": "name", "message": "required"} in result["errors"]
    ticket = {**REF, "external_id": "t1", "subject": "Login fails", "status": "open", "priority": "high",
              "opened_at": "2026-11-02T09:00:00Z"}  # fmt: skip
    assert await send(client, ingest_key, "tickets", ticket) == ["created"]
    # Records of accounts' facts still name their account (it decides where they land); opened_at is kept.
    assert await send(client, ingest_key, "tickets", {**REF, "external_id": "t1", "status": "solved"}) == ["updated"]
    assert await rows(engine, "SELECT subject, status, priority FROM tickets") == [("Login fails", "solved", "high")]
