"""Helpers for the Salesforce tests: the committed payloads (tests/fixtures/salesforce/, built from Salesforce's
REST, Bulk API 2.0 and Change Data Capture documentation), the requests, and the customer 360 read back."""

import json
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).parent / "fixtures" / "salesforce"
ACME, GLOBEX = "001Dn00000AcmeXAAS", "001Dn00000GlobxAAS"

ACCOUNT_360 = """
query($source: String!, $id: String!) {
  accountBySource(source: $source, externalId: $id) {
    name domain industry salesOwner
    mrr(asOf: "2026-07-01") { amount currency }
    contacts { name email title }
    contracts {
      status kind startDate endDate renewalDate currency
      lines { product { name } quantity unitPrice { amount } mrr { amount } startDate endDate }
    }
    tickets(first: 50) { edges { node { subject status priority category openedAt solvedAt } } }
  }
}
"""


def payload(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def csv_payload(name: str) -> bytes:
    return (FIXTURES / f"{name}.csv").read_bytes()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def send_records(client: httpx.AsyncClient, key: str, body: Any) -> httpx.Response:
    return await client.post("/salesforce/v1/records", json=body, headers=bearer(key))


async def send_events(client: httpx.AsyncClient, key: str, body: Any) -> httpx.Response:
    return await client.post("/salesforce/v1/events", json=body, headers=bearer(key))


async def send_bulk(client: httpx.AsyncClient, key: str, sobject: str, body: bytes) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": "text/csv"}
    return await client.post(f"/salesforce/v1/bulk/{sobject}", content=body, headers=headers)


async def account_360(client: httpx.AsyncClient, key: str, external_id: str) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": ACCOUNT_360, "variables": {"source": "salesforce", "id": external_id}},
        headers=bearer(key),
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["accountBySource"]


def tickets_of(account: Any) -> dict[str, Any]:
    return {edge["node"]["subject"]: edge["node"] for edge in account["tickets"]["edges"]}


def contracts_of(account: Any) -> dict[str, Any]:
    """Contracts by start date."""
    return {contract["startDate"]: contract for contract in account["contracts"]}


def lines_of(contract: Any) -> list[tuple[str, int, str | None, str]]:
    return sorted(
        (
            line["product"]["name"],
            line["quantity"],
            line["unitPrice"]["amount"] if line["unitPrice"] else None,
            line["mrr"]["amount"],
        )
        for line in contract["lines"]
    )


def by_item(answer: Any) -> dict[tuple[str, str], Any]:
    return {(result["item"], result["entity"]): result for result in answer["results"]}


async def load_org(client: httpx.AsyncClient, key: str) -> None:
    """Accounts (with their contacts), opportunities (with their line items), cases: the three query results."""
    for name in ("query_accounts", "query_opportunities", "query_cases"):
        response = await send_records(client, key, payload(name))
        assert response.status_code == 200, response.text
