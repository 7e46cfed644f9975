"""Alerts over GraphQL: the filtered list, an account's open alerts, acknowledging and resolving, and roles."""

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.test_alerts import load, run

LIST = """query($filter: AlertFilter) { alerts(filter: $filter) {
  totalCount edges { node { id rule status message details accountId } } } }"""
CHANGE = """mutation($id: ID!, $note: String) { ack: acknowledgeAlert(id: $id, note: $note) {
  ... on Alert { status acknowledgedBy note } ... on MutationError { code } } }"""
RESOLVE = """mutation($id: ID!) { resolveAlert(id: $id) {
  ... on Alert { status resolvedBy resolvedAt } ... on MutationError { code message } } }"""


async def test_alerts_are_listed_changed_and_guarded(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load(engine)
    await run(engine)
    bi = await make_key(engine, Role.BI, "bi")
    everything = (await gql(client, bi, LIST))["data"]["alerts"]
    assert everything["totalCount"] == 4
    spikes = (await gql(client, bi, LIST, {"filter": {"rule": ["TICKET_SPIKE"], "status": ["OPEN"]}}))["data"]
    (spike,) = [edge["node"] for edge in spikes["alerts"]["edges"]]
    assert (spike["rule"], spike["status"]) == ("TICKET_SPIKE", "OPEN")
    assert spike["details"] == {"last_week": 4, "weekly_before": 0.13}
    by_account = await gql(client, bi, LIST, {"filter": {"accountId": [spike["accountId"]]}})
    assert by_account["data"]["alerts"]["totalCount"] == 1

    denied = await gql(client, bi, CHANGE, {"id": spike["id"]})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    ingest_key = await make_key(engine, Role.INGEST, "ingest")
    assert (await gql(client, ingest_key, LIST))["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    csm = await make_key(engine, Role.CSM, "Aiko")
    acked = (await gql(client, csm, CHANGE, {"id": spike["id"], "note": "called the admin"}))["data"]["ack"]
    assert (acked["status"], acked["acknowledgedBy"].startswith("Aiko"), acked["note"]) == (
        "ACKNOWLEDGED",
        True,
        "called the admin",
    )
    assert (await gql(client, csm, CHANGE, {"id": spike["id"]}))["data"]["ack"] == {"code": "CONFLICT"}

    account = await gql(
        client,
        admin_key,
        "query($id: ID!) { account(id: $id) { open: alerts { rule status } "
        "all: alerts(status: [RESOLVED]) { rule } } }",
        {"id": spike["accountId"]},
    )
    assert account["data"]["account"] == {"open": [{"rule": "TICKET_SPIKE", "status": "ACKNOWLEDGED"}], "all": []}

    resolved = (await gql(client, csm, RESOLVE, {"id": spike["id"]}))["data"]["resolveAlert"]
    assert (resolved["status"], resolved["resolvedAt"] is not None) == ("RESOLVED", True)
    again = (await gql(client, csm, RESOLVE, {"id": spike["id"]}))["data"]["resolveAlert"]
    assert again["code"] == "CONFLICT"
    assert "resolved" in again["message"]
    missing = (await gql(client, csm, RESOLVE, {"id": "nonsense"}))["data"]["resolveAlert"]
    assert missing["code"] == "BAD_USER_INPUT"
