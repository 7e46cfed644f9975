"""``POST /salesforce/v1/records``, ``/bulk/{sobject}`` and ``/events`` end to end: Salesforce query results, Bulk
API CSV and change events in, the customer 360 out (accounts, contacts, contracts and lines, tickets), replays,
deletes, gaps, stale events and malformed items."""

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from service.settings import Settings
from tests.app_client import app_client
from tests.conftest import make_key
from tests.ingesting import rows, snapshot
from tests.salesforce_payloads import (
    ACME,
    GLOBEX,
    account_360,
    by_item,
    contracts_of,
    csv_payload,
    lines_of,
    load_org,
    payload,
    send_bulk,
    send_events,
    send_records,
    tickets_of,
)


@pytest.fixture
async def salesforce(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings) as (client, _):
        yield client


@pytest.fixture
async def ingest_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.INGEST, "salesforce")


async def test_query_results_land_in_the_account_360(
    salesforce: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    response = await send_records(salesforce, ingest_key, payload("query_accounts"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["source"], answer["totalSize"], answer["done"]) == ("salesforce", 2, True)
    assert answer["totals"]["created"] == 4  # 2 accounts, 2 contacts of the Contacts sub-query
    opportunities = (await send_records(salesforce, ingest_key, payload("query_opportunities"))).json()
    assert opportunities["totals"]["created"] == 2  # the closed-won ones
    assert opportunities["totals"]["skipped"] == 2  # open, closed lost
    reasons = {result["id"]: result["errors"][0]["message"] for result in opportunities["results"] if result["errors"]}
    assert "not closed-won" in reasons["006Dn00000OppOpQAC"]
    cases = (await send_records(salesforce, ingest_key, payload("query_cases"))).json()
    assert cases["totals"]["created"] == 3, cases

    acme = await account_360(salesforce, admin_key, ACME)
    assert (acme["name"], acme["domain"], acme["industry"], acme["salesOwner"]) == (
        "Acme Corporation",
        "acme.example",
        "Manufacturing",
        "Sam Seller",
    )
    assert sorted((c["name"], c["email"], c["title"]) for c in acme["contacts"]) == [
        ("Ada Lovelace", "ada@acme.example", "VP Operations"),
        ("Grace Hopper", "grace@acme.example", "Admin"),
    ]
    contracts = contracts_of(acme)
    new = contracts["2026-01-15"]
    assert (new["status"], new["kind"], new["endDate"], new["renewalDate"], new["currency"]) == (
        "ACTIVE",
        "NEW",  # Type "New Customer"
        "2027-01-15",
        "2027-01-15",
        "USD",
    )
    # Yearly prices as monthly amounts: 10 seats at 1,200 a year is 1,000 a month.
    assert lines_of(new) == [("Platform", 10, "100.00", "1000.00"), ("Premium Support", 1, "200.00", "200.00")]
    upsell = contracts["2026-06-01"]  # Existing Customer - Upgrade: co-termed with the contract it grows
    assert (upsell["endDate"], lines_of(upsell)) == ("2027-01-15", [("Platform", 5, "100.00", "500.00")])
    assert upsell["kind"] == "EXPANSION"
    assert acme["mrr"] == [{"amount": "1700.00", "currency": "USD"}]
    tickets = tickets_of(acme)
    export = tickets["Export to CSV times out"]
    assert (export["status"], export["priority"], export["category"]) == ("OPEN", "HIGH", "BUG")
    assert export["openedAt"].startswith("2026-11-02T09:14:51")
    seat = tickets["How do I add a seat?"]
    assert (seat["status"], seat["priority"], seat["category"]) == ("CLOSED", "NORMAL", "QUESTION")
    assert seat["solvedAt"].startswith("2026-11-01T16:45:00")
    sso = tickets["SSO login loops"]  # no AccountId: placed in its ContactId's account
    assert (sso["status"], sso["priority"], sso["category"]) == ("NEW", "URGENT", None)
    globex = await account_360(salesforce, admin_key, GLOBEX)
    assert (globex["domain"], globex["contracts"], globex["contacts"]) == ("globex.example", [], [])


async def test_a_renewal_starts_where_the_current_contract_ends(
    salesforce: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    await load_org(salesforce, ingest_key)
    response = await send_records(salesforce, ingest_key, payload("query_opportunity_renewal"))
    assert response.status_code == 200, response.text
    assert response.json()["totals"]["created"] == 1
    renewal = contracts_of(await account_360(salesforce, admin_key, ACME))["2027-01-15"]
    assert (renewal["endDate"], lines_of(renewal)) == ("2028-01-15", [("Platform", 15, "100.00", "1500.00")])
    assert renewal["kind"] == "RENEWAL"  # Type "Existing Customer - Replacement"


async def test_the_type_is_the_contract_kind_by_the_mapping_and_unknown_when_unmapped(
    settings: Settings, engine: AsyncEngine, ingest_key: str, admin_key: str, tmp_path: Path
) -> None:
    mapping = tmp_path / "salesforce.toml"
    mapping.write_text('[opportunity.type]\n"Existing Customer - Replacement" = "expansion"\n')
    async with app_client(settings, salesforce_mapping_file=mapping) as (client, _):

        async def kinds() -> dict[str, str | None]:
            return {day: c["kind"] for day, c in contracts_of(await account_360(client, admin_key, ACME)).items()}

        await load_org(client, ingest_key)
        assert (await send_records(client, ingest_key, payload("query_opportunity_renewal"))).status_code == 200
        # By the override an expansion, placed as one: from its close date, co-termed with the current contract.
        assert await kinds() == {"2026-01-15": "NEW", "2026-06-01": "EXPANSION", "2026-12-01": "EXPANSION"}

        opportunity = payload("query_opportunity_renewal")
        record = opportunity["records"][0]
        del record["Type"]  # a query without Type: the kind cshub has stays
        record["LastModifiedDate"] = "2026-12-02T09:00:00.000+0000"
        assert (await send_records(client, ingest_key, opportunity)).status_code == 200
        assert (await kinds())["2026-12-01"] == "EXPANSION"
        record["Type"] = "Partner Resale"  # a Type no table maps: unknown
        record["LastModifiedDate"] = "2026-12-03T09:00:00.000+0000"
        answer = (await send_records(client, ingest_key, opportunity)).json()
        assert answer["totals"]["updated"] == 1, answer
        assert (await kinds())["2026-12-01"] is None
    assert await rows(engine, "SELECT kind, count(*) FROM contracts GROUP BY 1 ORDER BY 1") == [
        ("expansion", 1),
        ("new", 1),
        (None, 1),
    ]


async def test_a_replayed_payload_writes_nothing(
    salesforce: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await load_org(salesforce, ingest_key)
    assert (await send_events(salesforce, ingest_key, payload("cdc_events"))).status_code == 200
    assert (await send_bulk(salesforce, ingest_key, "Contact", csv_payload("bulk_contacts"))).status_code == 200
    before = await snapshot(engine)
    contracts = await rows(engine, "SELECT start_date, end_date, status FROM contracts ORDER BY 1")
    for name in ("query_accounts", "query_opportunities", "query_cases"):
        again = (await send_records(salesforce, ingest_key, payload(name))).json()
        assert again["totals"]["created"] == again["totals"]["updated"] == 0, again
    events = (await send_events(salesforce, ingest_key, payload("cdc_events"))).json()
    assert events["totals"]["created"] == events["totals"]["updated"] == 0, events
    bulk = (await send_bulk(salesforce, ingest_key, "Contact", csv_payload("bulk_contacts"))).json()
    assert bulk["totals"]["created"] == bulk["totals"]["updated"] == 0, bulk
    assert await snapshot(engine) == before
    assert await rows(engine, "SELECT start_date, end_date, status FROM contracts ORDER BY 1") == contracts


async def test_change_events_update_create_and_report_gaps(
    salesforce: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    await load_org(salesforce, ingest_key)
    response = await send_events(salesforce, ingest_key, payload("cdc_account_update"))
    assert response.status_code == 200, response.text
    assert [result["status"] for result in response.json()["results"]] == ["updated"]
    response = await send_events(salesforce, ingest_key, payload("cdc_events"))
    assert response.status_code == 200, response.text
    answer = response.json()
    results = by_item(answer)
    assert results[("events[0]", "tickets")]["status"] == "updated"
    assert results[("events[1]", "contacts")]["status"] == "created"
    assert results[("events[2]", "contracts")]["status"] == "skipped"  # no line items in an event: re-query
    assert results[("events[3]", "accounts")]["status"] == "skipped"
    assert "GAP_UPDATE" in results[("events[3]", "accounts")]["errors"][0]["message"]
    assert [(entry["entityName"], entry["changeType"], entry["recordIds"]) for entry in answer["requery"]] == [
        ("Opportunity", "UPDATE", ["006Dn00000OppUpQAC"]),
        ("Account", "GAP_UPDATE", [GLOBEX]),
        ("Case", "GAP_OVERFLOW", []),
    ]
    acme = await account_360(salesforce, admin_key, ACME)
    assert (acme["name"], acme["industry"], acme["domain"]) == ("Acme Corp", "Robotics", "acme.example")
    assert ("Alan Turing", "alan@acme.example", "CTO") in [
        (c["name"], c["email"], c["title"]) for c in acme["contacts"]
    ]
    export = tickets_of(acme)["Export to CSV times out"]  # a partial update: the rest is kept
    assert (export["status"], export["priority"], export["category"]) == ("OPEN", "URGENT", "BUG")
    stale = (await send_events(salesforce, ingest_key, payload("cdc_account_update_stale"))).json()
    assert [result["status"] for result in stale["results"]] == ["stale"]
    assert (await account_360(salesforce, admin_key, ACME))["name"] == "Acme Corp"


async def test_delete_events_close_cases_cancel_contracts_and_keep_accounts(
    salesforce: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    await load_org(salesforce, ingest_key)
    response = await send_events(salesforce, ingest_key, payload("cdc_deletes"))
    assert response.status_code == 200, response.text
    results = by_item(response.json())
    assert results[("events[0]", "tickets")]["status"] == "updated"
    assert results[("events[1]", "contracts")]["status"] == "updated"
    assert results[("events[2]", "accounts")]["status"] == "skipped"
    assert results[("events[3]", "tickets")]["status"] == "skipped"  # a case cshub never had
    acme = await account_360(salesforce, admin_key, ACME)
    assert tickets_of(acme)["Export to CSV times out"]["status"] == "CLOSED"
    assert contracts_of(acme)["2026-06-01"]["status"] == "CANCELLED"
    assert acme["mrr"] == [{"amount": "1200.00", "currency": "USD"}]  # the upsell no longer counts
    assert (await account_360(salesforce, admin_key, GLOBEX))["name"] == "Globex"


async def test_bulk_csv_contacts_and_line_items(salesforce: httpx.AsyncClient, ingest_key: str, admin_key: str) -> None:
    await load_org(salesforce, ingest_key)
    response = await send_bulk(salesforce, ingest_key, "Contact", csv_payload("bulk_contacts"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [result["status"] for result in answer["results"]] == ["updated", "created", "rejected"]
    assert answer["results"][2]["errors"][0]["path"] == "rows[2].Email"
    acme = await account_360(salesforce, admin_key, ACME)
    assert ("Ada Lovelace", "ada@acme.example", "COO") in [
        (c["name"], c["email"], c["title"]) for c in acme["contacts"]
    ]
    globex = await account_360(salesforce, admin_key, GLOBEX)
    assert [(c["name"], c["title"]) for c in globex["contacts"]] == [("Katherine Johnson", "Head of Analytics")]
    lines = await send_bulk(salesforce, ingest_key, "OpportunityLineItem", csv_payload("bulk_opportunity_line_items"))
    assert lines.status_code == 200, lines.text
    assert [result["status"] for result in lines.json()["results"]] == ["updated"]  # one contract, its lines
    new = contracts_of(await account_360(salesforce, admin_key, ACME))["2026-01-15"]
    assert lines_of(new) == [("Platform", 12, "100.00", "1200.00"), ("Premium Support", 1, "200.00", "200.00")]
    assert new["endDate"] == "2027-01-15"


async def test_malformed_items_are_reported_and_the_good_ones_kept(
    salesforce: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    response = await send_records(salesforce, ingest_key, payload("query_malformed"))
    assert response.status_code == 200, response.text
    results = {result["item"]: result for result in response.json()["results"]}
    assert results["records[0]"]["status"] == "created"
    for item, path in (
        ("records[1]", "records[1].Name"),
        ("records[2]", "records[2].Email"),
        ("records[3]", "records[3].attributes.type"),
        ("records[4]", "records[4].CreatedDate"),
    ):
        assert results[item]["status"] == "rejected", results[item]
        assert results[item]["errors"][0]["path"] == path, results[item]
    assert results["records[5]"]["status"] == "rejected"  # a line without product
    assert results["records[5]"]["errors"][0]["path"].startswith("records[5].OpportunityLineItems")
    assert results["records[6]"]["status"] == "skipped"  # a Lead
    initech = await account_360(salesforce, admin_key, "001Dn00000InitAAAS")
    assert (initech["name"], initech["contacts"], initech["contracts"]) == ("Initech", [], [])


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status"),
    [
        ("/salesforce/v1/records", b'{"items": []}', "application/json", 400),
        ("/salesforce/v1/records", b"[1, 2", "application/json", 400),
        ("/salesforce/v1/events", b'{"events": []}', "application/json", 400),
        ("/salesforce/v1/records", b'{"records": []}', "text/plain", 415),
        ("/salesforce/v1/bulk/Contact", b"Id,Name\n1,2\n", "application/json", 415),
        ("/salesforce/v1/bulk/Contact", b"Name,Email\nx,y\n", "text/csv", 400),
        ("/salesforce/v1/bulk/Lead", b"Id,Company\n00QDn00000LeadAAAA,Umbrella\n", "text/csv", 404),
    ],
)
async def test_a_payload_that_is_no_salesforce_payload_is_refused_whole(
    salesforce: httpx.AsyncClient,
    engine: AsyncEngine,
    ingest_key: str,
    path: str,
    body: bytes,
    content_type: str,
    status: int,
) -> None:
    before = await snapshot(engine)
    response = await salesforce.post(
        path, content=body, headers={"Authorization": f"Bearer {ingest_key}", "Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await snapshot(engine) == before


async def test_keys_roles_and_sources(salesforce: httpx.AsyncClient, engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        other = (await api_keys.create_key(conn, role=Role.INGEST, name="zd", sources=["zendesk"])).secret
        bound = (await api_keys.create_key(conn, role=Role.INGEST, name="sf", sources=["salesforce"])).secret
    csm = await make_key(engine, Role.CSM, "csm")
    before = await snapshot(engine)
    assert (await send_records(salesforce, other, payload("query_accounts"))).status_code == 403
    assert (await send_records(salesforce, csm, payload("query_accounts"))).status_code == 403
    assert (await send_records(salesforce, "not-a-key", payload("query_accounts"))).status_code == 401
    assert await snapshot(engine) == before
    assert (await send_records(salesforce, bound, payload("query_accounts"))).status_code == 200


async def test_the_revenue_metrics_see_new_business_upsell_and_renewal(
    salesforce: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    await load_org(salesforce, ingest_key)
    assert (await send_records(salesforce, ingest_key, payload("query_opportunity_renewal"))).status_code == 200
    query = """{ metrics { mrrMovements(from: "2026-01-01", to: "2027-04-01", interval: QUARTER) {
      bucketStart newMrr expansionMrr contractionMrr churnedMrr endMrr } } }"""
    response = await salesforce.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {admin_key}"}
    )
    body = response.json()
    assert "errors" not in body, body
    movements = {
        row["bucketStart"]: tuple(
            int(Decimal(row[name])) for name in ("newMrr", "expansionMrr", "contractionMrr", "churnedMrr", "endMrr")
        )
        for row in body["data"]["metrics"]["mrrMovements"]
    }
    assert movements["2026-01-01"] == (1200, 0, 0, 0, 1200)  # new business
    assert movements["2026-04-01"] == (0, 500, 0, 0, 1700)  # the upsell
    assert movements["2026-10-01"] == (0, 0, 0, 0, 1700)  # the renewal, closed in December, does not overlap
    assert movements["2027-01-01"] == (0, 0, 200, 0, 1500)  # renewed at 15 seats: no churn, 200 contraction


async def test_bulk_json_dates_in_epoch_milliseconds_and_a_won_opportunity_without_its_close_date(
    salesforce: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    await send_records(salesforce, ingest_key, payload("query_accounts"))
    won = payload("query_opportunities")["records"][0]  # CloseDate 2026-01-15, two lines
    as_bulk_json = {**won, "CloseDate": 1768435200000}  # what Bulk API JSON (and dlt's verified source) gives
    undated = {key: value for key, value in won.items() if key not in ("CloseDate", "OpportunityLineItems")}
    undated |= {"Id": "006Dn00000OppNdQAC"}
    answer = (await send_records(salesforce, ingest_key, {"done": True, "records": [as_bulk_json, undated]})).json()
    results = by_item(answer)
    assert results[("records[0]", "contracts")]["status"] == "created", results
    undated_result = results[("records[1]", "contracts")]
    assert undated_result["status"] == "rejected"
    assert undated_result["errors"][0]["path"] == "records[1].CloseDate"  # not the status it would give
    contract = contracts_of(await account_360(salesforce, admin_key, ACME))["2026-01-15"]
    assert contract["endDate"] == "2027-01-15"
