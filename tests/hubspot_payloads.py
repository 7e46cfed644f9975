"""Helpers for the HubSpot tests: the committed payloads (tests/fixtures/hubspot/, built from HubSpot's CRM v3 and
webhooks API reference), requests signed as HubSpot signs them (v3), and the customer 360 read back through
GraphQL."""

import json
import time
from pathlib import Path
from typing import Any

import httpx

from service.adapters.hubspot.signature import signature

FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
SECRET = "7c0a3f1e-hubspot-app-client-secret-for-tests"
WEBHOOK_URL = "http://cshub.test/hubspot/v1/webhook"
OWNERS = '[owners]\n31544213 = "Margaret Hamilton"\n31544214 = "Katherine Johnson"\n'

ACCOUNT_360 = """
query($source: String!, $id: String!) {
  accountBySource(source: $source, externalId: $id) {
    name domain industry lifecycleStage csmOwner
    parent { name }
    contacts { name email title }
    contracts { status kind startDate endDate renewalDate currency
      lines { product { name } quantity unitPrice { amount } mrr { amount } startDate endDate } }
    mrr(asOf: "2026-12-15") { amount currency }
  }
}
"""


def payload(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def send_objects(client: httpx.AsyncClient, key: str, object_type: str, body: Any) -> httpx.Response:
    return await client.post(f"/hubspot/v1/objects/{object_type}", json=body, headers=bearer(key))


def signed_headers(raw: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers of a webhook request as HubSpot sends it: no API key, a v3 signature and its timestamp."""
    sent_at = str(timestamp if timestamp is not None else int(time.time() * 1000))
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": signature(secret, "POST", WEBHOOK_URL, raw, sent_at),
        "X-HubSpot-Request-Timestamp": sent_at,
        "X-HubSpot-Signature-Version": "v3",
    }


async def send_events(
    client: httpx.AsyncClient, body: Any, *, secret: str = SECRET, timestamp: int | None = None
) -> httpx.Response:
    raw = json.dumps(body).encode()
    return await client.post(
        "/hubspot/v1/webhook", content=raw, headers=signed_headers(raw, secret=secret, timestamp=timestamp)
    )


async def account_360(client: httpx.AsyncClient, key: str, external_id: str, source: str = "hubspot") -> Any:
    response = await client.post(
        "/graphql",
        json={"query": ACCOUNT_360, "variables": {"source": source, "id": external_id}},
        headers=bearer(key),
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["accountBySource"]


def by_item(answer: Any) -> dict[str, Any]:
    return {result["item"]: result for result in answer["results"]}
