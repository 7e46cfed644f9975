"""Helpers for the Zendesk tests: the committed payloads (tests/fixtures/zendesk/, built from Zendesk's API
reference), requests signed as a Zendesk webhook signs them, and the customer 360 read back through GraphQL."""

import json
from pathlib import Path
from typing import Any

import httpx

from service.adapters.zendesk.signature import signature

FIXTURES = Path(__file__).parent / "fixtures" / "zendesk"
SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
TIMESTAMP = "2026-11-06T09:00:01Z"

ACCOUNT_360 = """
query($source: String!, $id: String!) {
  accountBySource(source: $source, externalId: $id) {
    name domain industry segment
    contacts { name email }
    tickets(first: 50) { edges { node { subject status priority category csat openedAt solvedAt firstResponseAt } } }
    surveys(kind: CSAT) { edges { node { kind score comment contactEmail respondedAt } } }
  }
}
"""


def payload(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def send_tickets(client: httpx.AsyncClient, key: str, body: Any) -> httpx.Response:
    return await client.post("/zendesk/v1/tickets", json=body, headers=bearer(key))


async def send_event(
    client: httpx.AsyncClient, key: str, body: Any, *, secret: str = SECRET, timestamp: str = TIMESTAMP
) -> httpx.Response:
    """A webhook request as Zendesk sends it: the raw body, its signature and the signature's timestamp."""
    raw = json.dumps(body).encode()
    headers = {
        **bearer(key),
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Id": "01GK8E6BKWMJZD2T8Y5AXJQMG5",
        "X-Zendesk-Webhook-Signature": signature(secret, timestamp, raw),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    }
    return await client.post("/zendesk/v1/webhook", content=raw, headers=headers)


async def account_360(client: httpx.AsyncClient, key: str, external_id: str, source: str = "zendesk") -> Any:
    response = await client.post(
        "/graphql",
        json={"query": ACCOUNT_360, "variables": {"source": source, "id": external_id}},
        headers=bearer(key),
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["accountBySource"]


def tickets_of(account: Any) -> dict[str, Any]:
    return {edge["node"]["subject"]: edge["node"] for edge in account["tickets"]["edges"]}


def by_item(answer: Any) -> dict[tuple[str, str], Any]:
    return {(result["item"], result["entity"]): result for result in answer["results"]}
