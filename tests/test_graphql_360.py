"""The customer-360 read API: account relations, contacts, contracts with lines, revenue figures, root lookups,
and batched loading (the number of SQL statements does not grow with the page size)."""

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from service.settings import Settings
from tests.app_client import app_client
from tests.graphql_client import gql
from tests.ingesting import ingest, statuses
from tests.statements import counting_statements

ACME = {"external_id": "001", "name": "Acme", "domain": "acme.example", "segment": "enterprise"}
ACME_JAPAN = {"external_id": "002", "name": "Acme Japan", "domain": "acme.example.jp", "parent_external_id": "001"}
BETA = {"external_id": "003", "name": "Beta", "domain": "beta.example"}

CORE = {"product": "Hub Core", "quantity": 10, "unit_price": "30.00"}
CONTRACTS = [
    {"external_id": "k1", "account_external_id": "001", "status": "ended", "start_date": "2025-01-01",
     "end_date": "2026-01-01", "lines": [CORE]},
    {"external_id": "k2", "account_external_id": "001", "status": "active", "start_date": "2026-01-01",
     "end_date": "2027-01-01", "renewal_date": "2027-01-01", "currency": "usd",
     "lines": [{**CORE, "quantity": 12},
               {"product": "Insights", "quantity": 5, "unit_price": "10.00", "start_date": "2026-06-01"}]},
    # A draft counts for nothing: not for revenue, not for the next renewal.
    {"external_id": "k3", "account_external_id": "001", "status": "draft", "start_date": "2027-01-01",
     "renewal_date": "2026-12-15", "lines": [{**CORE, "quantity": 40}]},
    {"external_id": "k4", "account_external_id": "002", "status": "active", "start_date": "2026-02-01",
     "currency": "EUR", "lines": [{"product": "Hub Core", "quantity": 3, "mrr": "75.50"}]},
]  # fmt: skip


async def load_customers(engine: AsyncEngine) -> None:
    assert statuses(await ingest(engine, "crm", "accounts", [ACME, ACME_JAPAN, BETA])) == ["created"] * 3
    assert statuses(await ingest(engine, "crm", "contracts", CONTRACTS)) == ["created"] * 4
    contacts = [
        {"external_id": "p1", "account_external_id": "001", "name": "Riley Chen", "email": "riley@acme.example",
         "role": "champion", "title": "Ops lead"},
        {"external_id": "p2", "account_external_id": "001", "name": "Morgan Lee", "role": "decision_maker"},
    ]  # fmt: skip
    assert statuses(await ingest(engine, "crm", "contacts", contacts)) == ["created"] * 2


ACCOUNT_360 = """
query($domain: String!, $day: Date) {
  accountByDomain(domain: $domain) {
    name
    parent { name }
    children { name }
    contacts { name email role title account { name } }
    contracts { status startDate endDate renewalDate currency
                lines { product { name } quantity unitPrice { amount currency } mrr { amount currency }
                        startDate endDate } }
    active: contracts(status: [ACTIVE, DRAFT]) { status }
    mrr(asOf: $day) { amount currency }
    arr(asOf: $day) { amount currency }
    renewalDate(asOf: $day)
    licensedSeats(asOf: $day)
  }
}
"""


async def account_360(client: httpx.AsyncClient, key: str, domain: str, day: str | None) -> dict[str, Any]:
    body = await gql(client, key, ACCOUNT_360, {"domain": domain, "day": day})
    assert "errors" not in body, body
    account: dict[str, Any] = body["data"]["accountByDomain"]
    return account


async def test_an_account_shows_its_family_people_and_contracts_with_lines(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_customers(engine)
    acme = await account_360(client, admin_key, "https://www.ACME.example/pricing", "2026-07-01")
    assert acme["name"] == "Acme"
    assert acme["parent"] is None
    assert acme["children"] == [{"name": "Acme Japan"}]
    assert acme["contacts"] == [
        {"name": "Morgan Lee", "email": None, "role": "DECISION_MAKER", "title": None, "account": {"name": "Acme"}},
        {"name": "Riley Chen", "email": "riley@acme.example", "role": "CHAMPION", "title": "Ops lead",
         "account": {"name": "Acme"}},
    ]  # fmt: skip
    assert [(c["status"], c["startDate"]) for c in acme["contracts"]] == [
        ("DRAFT", "2027-01-01"),
        ("ACTIVE", "2026-01-01"),
        ("ENDED", "2025-01-01"),
    ]
    active = acme["contracts"][1]
    assert active["currency"] == "USD"
    assert active["lines"] == [
        {"product": {"name": "Hub Core"}, "quantity": 12, "unitPrice": {"amount": "30.00", "currency": "USD"},
         "mrr": {"amount": "360.00", "currency": "USD"}, "startDate": "2026-01-01", "endDate": "2027-01-01"},
        {"product": {"name": "Insights"}, "quantity": 5, "unitPrice": {"amount": "10.00", "currency": "USD"},
         "mrr": {"amount": "50.00", "currency": "USD"}, "startDate": "2026-06-01", "endDate": "2027-01-01"},
    ]  # fmt: skip
    assert [c["status"] for c in acme["active"]] == ["DRAFT", "ACTIVE"]

    japan = await account_360(client, admin_key, "acme.example.jp", "2026-07-01")
    assert japan["parent"] == {"name": "Acme"}
    assert japan["children"] == []
    assert japan["mrr"] == [{"amount": "75.50", "currency": "EUR"}]
    assert japan["renewalDate"] is None


async def test_revenue_follows_the_active_line_rule_on_the_day_asked(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_customers(engine)

    async def figures(day: str) -> tuple[Any, ...]:
        acme = await account_360(client, admin_key, "acme.example", day)
        return acme["mrr"], acme["arr"], acme["licensedSeats"], acme["renewalDate"]

    usd = [{"amount": "300.00", "currency": "USD"}]
    # The first term has no renewal date of its own: the next one set is the second term's.
    assert await figures("2025-06-01") == (usd, [{"amount": "3600.00", "currency": "USD"}], 10, "2027-01-01")
    # The first term ends on 2026-01-01 (exclusive): that day only the second term counts.
    assert (await figures("2025-12-31"))[0] == usd
    assert (await figures("2026-01-01"))[:3] == ([{"amount": "360.00", "currency": "USD"}],
                                                [{"amount": "4320.00", "currency": "USD"}], 12)  # fmt: skip
    # The add-on line starts mid-term; seats are the broadest product's, not the sum of products.
    assert await figures("2026-07-01") == (
        [{"amount": "410.00", "currency": "USD"}],
        [{"amount": "4920.00", "currency": "USD"}],
        12,
        "2027-01-01",
    )
    # After the last term only the draft remains, which counts for nothing.
    assert await figures("2027-02-01") == ([], [], 0, None)

    beta = await account_360(client, admin_key, "beta.example", None)
    assert (beta["contracts"], beta["contacts"], beta["mrr"], beta["licensedSeats"], beta["renewalDate"]) == (
        [],
        [],
        [],
        0,
        None,
    )


async def test_root_lookups_by_source_domain_and_id(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_customers(engine)
    query = """query($source: String!, $id: String!) {
      accountBySource(source: $source, externalId: $id) { id name contracts { id status } contacts { id name } }
    }"""
    found = (await gql(client, admin_key, query, {"source": "crm", "id": "002"}))["data"]["accountBySource"]
    assert found["name"] == "Acme Japan"
    assert (await gql(client, admin_key, query, {"source": "support", "id": "002"}))["data"] == {
        "accountBySource": None
    }
    contract_id = found["contracts"][0]["id"]
    by_id = """query($id: ID!) {
      contract(id: $id) { status currency account { name } lines { mrr { amount } } }
      node(id: $id) { id ... on Contract { status } }
    }"""
    body = await gql(client, admin_key, by_id, {"id": contract_id})
    assert body["data"]["contract"] == {
        "status": "ACTIVE",
        "currency": "EUR",
        "account": {"name": "Acme Japan"},
        "lines": [{"mrr": {"amount": "75.50"}}],
    }
    assert body["data"]["node"] == {"id": contract_id, "status": "ACTIVE"}

    acme = (await gql(client, admin_key, query, {"source": "crm", "id": "001"}))["data"]["accountBySource"]
    contact_id = acme["contacts"][0]["id"]
    body = await gql(
        client, admin_key, "query($id: ID!) { contact(id: $id) { name account { name } } }", {"id": contact_id}
    )
    assert body["data"]["contact"] == {"name": "Morgan Lee", "account": {"name": "Acme"}}
    # An id of another type is refused with a clear message, not answered with the wrong object.
    wrong = await gql(client, admin_key, "query($id: ID!) { contract(id: $id) { status } }", {"id": acme["id"]})
    assert wrong["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "is a Account id, not a Contract id" in wrong["errors"][0]["message"]

    missing = await gql(client, admin_key, '{ accountByDomain(domain: "nobody.example") { name } }')
    assert missing["data"] == {"accountByDomain": None}
    bad = await gql(client, admin_key, '{ accountByDomain(domain: "not a domain") { name } }')
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "is not a domain name" in bad["errors"][0]["message"]


async def test_an_unauthenticated_360_query_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": '{ accountByDomain(domain: "acme.example") { name } }'})
    assert response.status_code == 401


PORTFOLIO = """
query($first: Int!) {
  accounts(first: $first, orderBy: {field: NAME}, filter: {arr: {min: "0"}}) {
    edges { node {
      name parent { name } children { name } sources { source }
      contacts { name account { name } }
      contracts(status: [ACTIVE]) { status lines { product { name } mrr { amount } } account { name } }
      mrr { amount } arr(asOf: "2026-06-01") { amount } renewalDate licensedSeats
      usage(from: "2026-01-01", to: "2026-04-01", interval: MONTH) { periodStart events activeUsers }
      activeUsers licenseUtilization featureAdoption { feature } lastSeenDistribution { over30Days }
      tickets(filter: {open: true}, first: 3) { edges { node { subject } } pageInfo { hasNextPage } }
      surveys(first: 2) { edges { node { score } } } nps { nps }
      timeline(first: 5, kinds: [QBR]) { edges { node { summary } } }
    } }
  }
}
"""


# Ordered by name, so that both page sizes hold a subsidiary (Customer 001) and `parent` is loaded in both.
async def test_statements_per_request_do_not_grow_with_the_page_size(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    accounts = [{"external_id": f"a{i:03d}", "name": f"Customer {i:03d}", "domain": f"c{i}.example",
                 **({"parent_external_id": f"a{i - 1:03d}"} if i % 10 == 1 else {})} for i in range(120)]  # fmt: skip
    await ingest(engine, "crm", "accounts", accounts)
    contracts = [{"external_id": f"k{i}", "account_external_id": f"a{i:03d}", "status": "active",
                  "start_date": "2026-01-01", "renewal_date": "2027-01-01",
                  "lines": [CORE, {"product": "Insights", "quantity": 2, "mrr": "20"}]}
                 for i in range(120)]  # fmt: skip
    await ingest(engine, "crm", "contracts", contracts)
    contacts = [{"external_id": f"p{i}", "account_external_id": f"a{i:03d}", "name": f"Person {i}"}
                for i in range(120)]  # fmt: skip
    await ingest(engine, "crm", "contacts", contacts)

    await gql(client, admin_key, "{ __typename }")  # the key's first use looks it up; then it is cached
    counts = {}
    for first in (5, 100):
        with counting_statements() as statements:
            body = await gql(client, admin_key, PORTFOLIO, {"first": first})
        assert "errors" not in body, body
        edges = body["data"]["accounts"]["edges"]
        assert len(edges) == first
        assert all(edge["node"]["mrr"] == [{"amount": "320.00"}] for edge in edges)
        counts[first] = len(statements)
    assert counts[5] == counts[100], counts


async def test_sibling_fields_run_concurrently_each_on_its_own_connection(
    engine: AsyncEngine, settings: Settings, admin_key: str
) -> None:
    """Through the resolvers (a compiled root is one statement on one connection)."""
    await load_customers(engine)
    in_flight: dict[int, str] = {}
    shared: list[str] = []
    overlapping = 0

    def before(conn: Any, cursor: object, statement: str, *args: object) -> None:
        nonlocal overlapping
        key = id(conn.connection.dbapi_connection)
        if key in in_flight:
            shared.append(statement)
        overlapping += bool(in_flight)
        in_flight[key] = statement

    def after(conn: Any, cursor: object, statement: str, *args: object) -> None:
        in_flight.pop(id(conn.connection.dbapi_connection), None)

    sa.event.listen(Engine, "before_cursor_execute", before)
    sa.event.listen(Engine, "after_cursor_execute", after)
    try:
        async with app_client(settings, graphql_compiled_reads=False) as (client, _):
            body = await gql(client, admin_key, PORTFOLIO, {"first": 3})
    finally:
        sa.event.remove(Engine, "before_cursor_execute", before)
        sa.event.remove(Engine, "after_cursor_execute", after)
    assert "errors" not in body, body
    assert shared == []  # no statement started on a connection another statement was still using
    assert overlapping > 0  # and siblings did overlap: they are not serialised on one connection
