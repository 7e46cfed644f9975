"""GraphQL over the identity map: Account.sources, unmatchedRecords and the mergeAccounts mutation."""

import json
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.ingesting import ingest, rows, statuses

SOURCES = "{ accounts(first: 10) { edges { node { name sources { source externalId lastSyncedAt } } } } }"
MERGE = """
mutation Merge($merged: ID!, $into: ID!) {
  mergeAccounts(input: {mergedAccountId: $merged, intoAccountId: $into}) {
    __typename
    ... on AccountsMerged { account { name domain sources { source externalId } } mergedAccountId moved }
    ... on MutationError { code message field }
  }
}
"""


def usage(event_id: str, user: str, account: str) -> dict[str, str]:
    return {
        "event_id": event_id,
        "account_external_id": account,
        "user_id": user,
        "event": "login",
        "occurred_at": "2026-03-01T10:00:00Z",
    }


async def test_account_sources_list_every_link_with_last_sync(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await ingest(engine, "crm", "accounts", [{"external_id": "001", "name": "Acme", "domain": "acme.example"}])
    await ingest(engine, "support", "accounts", [{"external_id": "org-7", "name": "ACME", "domain": "acme.example"}])
    await ingest(engine, "crm", "accounts", [{"external_id": "002", "name": "Beta"}])
    body = await gql(client, admin_key, SOURCES)
    nodes = {edge["node"]["name"]: edge["node"]["sources"] for edge in body["data"]["accounts"]["edges"]}
    assert [(s["source"], s["externalId"]) for s in nodes["Acme"]] == [("crm", "001"), ("support", "org-7")]
    assert all(s["lastSyncedAt"] for s in nodes["Acme"])
    assert [(s["source"], s["externalId"]) for s in nodes["Beta"]] == [("crm", "002")]


async def test_unmatched_records_are_queryable(client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str) -> None:
    ticket = {
        "external_id": "t1",
        "account_domain": "Nowhere.example",
        "status": "open",
        "opened_at": "2026-01-01T00:00:00Z",
    }
    await ingest(engine, "support", "tickets", [ticket])
    fields = "source entity externalId accountDomain payload resolvedAt"
    query = f"{{ unmatchedRecords(first: 5) {{ edges {{ node {{ {fields} }} }} }} }}"
    body = await gql(client, admin_key, query)
    (edge,) = body["data"]["unmatchedRecords"]["edges"]
    assert edge["node"] == {
        "source": "support",
        "entity": "tickets",
        "externalId": "t1",
        "accountDomain": "nowhere.example",
        "payload": ticket,
        "resolvedAt": None,
    }
    ticket_2 = {**ticket, "external_id": "t2"}
    await ingest(engine, "support", "tickets", [ticket_2])
    await ingest(engine, "crm", "contacts", [{"external_id": "p1", "account_domain": "nowhere.example"}])
    counted = await gql(
        client,
        admin_key,
        '{ all: unmatchedRecords(first: 1) { totalCount } tickets: unmatchedRecords(entity: "tickets") '
        '{ totalCount } crm: unmatchedRecords(source: "crm") { totalCount } }',
    )
    assert counted["data"] == {"all": {"totalCount": 3}, "tickets": {"totalCount": 2}, "crm": {"totalCount": 1}}
    bi_key = await make_key(engine, Role.BI, "bi")
    denied = await gql(client, bi_key, query)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_ingest_key_bound_to_sources_reads_only_their_unmatched_records(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    for source in ("zendesk", "salesforce", "hubspot"):
        record = {"external_id": f"{source}-1", "account_domain": "nowhere.example", "email": f"ann@{source}.example"}
        await ingest(engine, source, "contacts", [record])
    async with engine.begin() as conn:
        bound = await api_keys.create_key(conn, role=Role.INGEST, name="desk", sources=["zendesk", "salesforce"])
    unbound = await make_key(engine, Role.INGEST, "everything")
    listing = "{ unmatchedRecords(first: 10) { totalCount edges { node { source payload } } } }"

    seen = (await gql(client, bound.secret, listing))["data"]["unmatchedRecords"]
    assert sorted(edge["node"]["source"] for edge in seen["edges"]) == ["salesforce", "zendesk"]
    assert seen["totalCount"] == 2
    assert "hubspot" not in json.dumps(seen)
    own = await gql(client, bound.secret, '{ unmatchedRecords(source: "zendesk") { totalCount } }')
    assert own["data"]["unmatchedRecords"]["totalCount"] == 1
    other = await gql(client, bound.secret, '{ unmatchedRecords(source: "hubspot") { totalCount } }')
    assert other["data"] is None
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "bound to the source(s) salesforce, zendesk" in other["errors"][0]["message"]
    everything = await gql(client, unbound, listing)  # unbound: every source, as before
    assert everything["data"]["unmatchedRecords"]["totalCount"] == 3


async def test_merge_moves_every_fact_and_link_and_keeps_usage_rollups_exact(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    crm = await ingest(engine, "crm", "accounts", [{"external_id": "001", "name": "Acme", "domain": "acme.example"}])
    product = await ingest(engine, "product", "accounts", [{"external_id": "ws-1", "name": "Acme Inc"}])
    acme_id, duplicate_id = crm.results[0].id, product.results[0].id
    assert acme_id is not None
    assert duplicate_id is not None
    assert acme_id != duplicate_id
    contact = {"external_id": "p1", "account_external_id": "001", "email": "ann@acme.example"}
    await ingest(engine, "crm", "contacts", [contact])
    await ingest(engine, "crm", "accounts", [{"external_id": "sub", "name": "Acme Sub", "parent_external_id": "001"}])
    await ingest(engine, "product", "usage-events", [usage("e1", "u1", "ws-1"), usage("e2", "u2", "ws-1")])
    await ingest(engine, "crm", "accounts", [{"external_id": "001", "name": "Acme", "domain": "acme.example"}])
    # u1 also used the product under the CRM account (via a domain match) that same day.
    await ingest(engine, "product", "usage-events", [{**usage("e3", "u1", "x"), "account_external_id": None,
                                                      "account_domain": "acme.example"}])  # fmt: skip

    merged = await gql(
        client,
        admin_key,
        MERGE,
        {"merged": encode_global_id("Account", duplicate_id), "into": encode_global_id("Account", acme_id)},
    )
    result = merged["data"]["mergeAccounts"]
    assert result["__typename"] == "AccountsMerged", result
    assert sorted((s["source"], s["externalId"]) for s in result["account"]["sources"]) == [
        ("crm", "001"),
        ("product", "ws-1"),
    ]
    assert result["moved"]["usage_events"] == 2
    assert await rows(engine, "SELECT count(*) FROM accounts WHERE id = :id", id=duplicate_id) == [(0,)]
    assert await rows(engine, "SELECT account_id, events, active_users FROM usage_daily") == [(acme_id, 3, 2)]
    # Every rollup row of the merged account went with it (usage_daily_users has no cascade to do it: 0017).
    assert await rows(engine, "SELECT DISTINCT account_id FROM usage_daily_users") == [(acme_id,)]
    assert await rows(engine, "SELECT merged_account_name, into_account_id FROM account_merges") == [
        ("Acme Inc", acme_id)
    ]
    # Future records from the merged-away account's source land on the survivor.
    later = await ingest(engine, "product", "usage-events", [usage("e4", "u3", "ws-1")])
    assert statuses(later) == ["created"]
    assert await rows(engine, "SELECT DISTINCT account_id FROM usage_events") == [(acme_id,)]
    assert await rows(engine, "SELECT active_users FROM usage_daily") == [(3,)]


async def test_merge_failures_are_typed_results_and_change_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    batch = await ingest(engine, "crm", "accounts", [{"external_id": "001", "name": "Acme"}])
    assert batch.results[0].id
    acme = encode_global_id("Account", batch.results[0].id)
    same = (await gql(client, admin_key, MERGE, {"merged": acme, "into": acme}))["data"]["mergeAccounts"]
    assert same == {"__typename": "MutationError", "code": "BAD_USER_INPUT", "message": same["message"], "field": None}
    bad = (await gql(client, admin_key, MERGE, {"merged": "nope", "into": acme}))["data"]["mergeAccounts"]
    assert (bad["code"], bad["field"]) == ("BAD_USER_INPUT", "mergedAccountId")
    ghost = encode_global_id("Account", uuid.uuid4())
    missing = (await gql(client, admin_key, MERGE, {"merged": ghost, "into": acme}))["data"]["mergeAccounts"]
    assert missing["code"] == "NOT_FOUND"
    csm_key = await make_key(engine, Role.CSM, "csm")
    denied = await gql(client, csm_key, MERGE, {"merged": ghost, "into": acme})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await rows(engine, "SELECT count(*) FROM accounts") == [(1,)]
    assert await rows(engine, "SELECT count(*) FROM account_merges") == [(0,)]
