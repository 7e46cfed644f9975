"""``POST /hubspot/v1/objects/{type}`` and ``/hubspot/v1/webhook`` end to end: HubSpot CRM payloads in, the
customer 360 out (accounts, contacts, contracts and lines), property changes, deletions, merges, replays,
signatures, malformed items, and the mapping file."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.adapters.hubspot.mapping import load_mapping
from service.api_keys.roles import Role
from service.errors import ConfigurationError
from service.settings import Settings
from tests.app_client import app_client
from tests.conftest import make_key
from tests.hubspot_payloads import (
    OWNERS,
    SECRET,
    account_360,
    by_item,
    payload,
    send_events,
    send_objects,
)
from tests.ingesting import rows, snapshot


@pytest.fixture
async def hubspot(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    mapping = tmp_path / "hubspot.toml"
    mapping.write_text(OWNERS)
    async with app_client(settings, hubspot_app_secret=SECRET, hubspot_mapping_file=mapping) as (client, _):
        yield client


@pytest.fixture
async def ingest_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.INGEST, "hubspot")


async def send_crm(client: httpx.AsyncClient, key: str) -> None:
    for object_type in ("companies", "contacts", "deals"):
        response = await send_objects(client, key, object_type, payload(f"{object_type}_page"))
        assert response.status_code == 200, response.text


async def test_companies_contacts_and_deals_land_in_the_account_360(
    hubspot: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    companies = await send_objects(hubspot, ingest_key, "companies", payload("companies_page"))
    assert companies.status_code == 200, companies.text
    assert companies.json()["source"] == "hubspot"
    assert companies.json()["totals"]["created"] == 4
    contacts = (await send_objects(hubspot, ingest_key, "contacts", payload("contacts_page"))).json()
    statuses = {item: result["status"] for item, result in by_item(contacts).items()}
    # Linus's company is not in HubSpot's page and initech.example is no account: he waits for it.
    assert statuses == {"results[0]": "created", "results[1]": "created", "results[2]": "unmatched",
                        "results[3]": "created"}  # fmt: skip
    deals = (await send_objects(hubspot, ingest_key, "deals", payload("deals_page"))).json()
    results = by_item(deals)
    assert results["results[0]"]["status"] == results["results[2]"]["status"] == "created"
    assert results["results[1]"]["status"] == "skipped"  # not closed-won
    assert "appointmentscheduled" in results["results[1]"]["errors"][0]["message"]

    acme = await account_360(hubspot, admin_key, "9834512001")
    assert (acme["name"], acme["domain"], acme["industry"], acme["lifecycleStage"], acme["csmOwner"]) == (
        "Acme Corporation",
        "acme.example",
        "Computer Software",
        "ADOPTION",
        "Margaret Hamilton",
    )
    assert acme["contacts"] == [{"name": "Ada Lovelace", "email": "ada@acme.example", "title": "VP Engineering"}]
    contracts = sorted(acme["contracts"], key=lambda contract: contract["startDate"])
    assert [(c["status"], c["startDate"], c["endDate"], c["renewalDate"], c["currency"]) for c in contracts] == [
        ("ACTIVE", "2026-11-01", "2027-11-01", "2027-11-01", "USD"),  # the annual platform line's term
        ("ACTIVE", "2026-12-01", None, None, "USD"),  # monthly, no term: open-ended
    ]
    assert [c["kind"] for c in contracts] == ["NEW", "EXPANSION"]  # dealtype newbusiness, existingbusiness
    platform = {line["product"]["name"]: line for line in contracts[0]["lines"]}
    assert platform["Platform Enterprise"] == {
        "product": {"name": "Platform Enterprise"},
        "quantity": 10,
        "unitPrice": {"amount": "1200.00"},
        "mrr": {"amount": "1000.00"},  # 12,000 a year
        "startDate": "2026-11-01",
        "endDate": "2027-11-01",
    }
    assert platform["Onboarding package"]["mrr"] == {"amount": "0.00"}  # one-time
    assert contracts[1]["lines"][0]["mrr"] == {"amount": "300.00"}
    assert acme["mrr"] == [{"amount": "1300.00", "currency": "USD"}]
    labs = await account_360(hubspot, admin_key, "9834512003")
    assert labs["parent"] == {"name": "Acme Corporation"}
    globex = await account_360(hubspot, admin_key, "9834512002")
    assert (globex["lifecycleStage"], globex["csmOwner"], globex["contracts"]) == ("PROSPECT", "Katherine Johnson", [])
    assert globex["contacts"][0]["email"] == "grace@globex.example"  # by associatedcompanyid


async def test_a_replayed_page_or_event_writes_nothing(
    hubspot: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send_crm(hubspot, ingest_key)
    assert (await send_events(hubspot, payload("webhook_property_changes"))).status_code == 200
    before = await snapshot(engine)
    contracts_before = await rows(engine, "SELECT status, start_date, end_date FROM contracts ORDER BY start_date")
    for object_type in ("companies", "contacts", "deals"):
        again = (await send_objects(hubspot, ingest_key, object_type, payload(f"{object_type}_page"))).json()
        assert again["totals"]["created"] == again["totals"]["updated"] == 0, again
    events = (await send_events(hubspot, payload("webhook_property_changes"))).json()
    assert events["totals"]["created"] == events["totals"]["updated"] == 0, events
    assert await snapshot(engine) == before
    assert await rows(engine, "SELECT status, start_date, end_date FROM contracts ORDER BY start_date") == (
        contracts_before
    )


async def test_property_changes_are_partial_updates_and_older_ones_are_stale(
    hubspot: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    await send_crm(hubspot, ingest_key)
    response = await send_events(hubspot, payload("webhook_property_changes"))
    assert response.status_code == 200, response.text
    results = by_item(response.json())
    assert results["events[0,1]"]["status"] == "updated"  # two changes of one company: one record
    assert results["events[2,3]"]["status"] == "updated"  # the title; a first name alone is not the name
    assert results["events[4]"]["status"] == "updated", results["events[4]"]["errors"]  # the add-on deal lost
    assert results["events[5]"]["status"] == "skipped"  # a contact cshub does not know
    globex = await account_360(hubspot, admin_key, "9834512002")
    assert (globex["name"], globex["domain"]) == ("Globex", "globex.example")  # kept: the change was partial
    assert (globex["lifecycleStage"], globex["csmOwner"]) == ("ADOPTION", "Margaret Hamilton")
    acme = await account_360(hubspot, admin_key, "9834512001")
    assert acme["contacts"] == [{"name": "Ada Lovelace", "email": "ada@acme.example", "title": "CTO"}]
    add_on = next(c for c in acme["contracts"] if c["startDate"] == "2026-12-01")
    assert add_on["status"] == "CANCELLED"
    assert add_on["lines"][0]["product"]["name"] == "Analytics add-on"  # its lines kept
    stale = (await send_events(hubspot, payload("webhook_property_change_stale"))).json()
    assert [result["status"] for result in stale["results"]] == ["stale"]
    assert (await account_360(hubspot, admin_key, "9834512002"))["lifecycleStage"] == "ADOPTION"


async def test_creations_deletions_and_other_objects(
    hubspot: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str, admin_key: str
) -> None:
    await send_crm(hubspot, ingest_key)
    response = await send_events(hubspot, payload("webhook_creations_and_deletions"))
    assert response.status_code == 200, response.text
    statuses = {item: result["status"] for item, result in by_item(response.json()).items()}
    assert statuses == {
        "events[0]": "skipped",  # a creation carries only the id
        "events[1]": "skipped",  # cshub keeps contacts
        "events[2]": "updated",  # the platform deal deleted: its contract cancelled
        "events[3]": "skipped",  # a deal cshub never had
        "events[4]": "skipped",  # cshub keeps accounts
        "events[5]": "updated",  # object.propertyChange of a company (0-2)
        "events[6]": "skipped",  # line items come with their deals
    }
    acme = await account_360(hubspot, admin_key, "9834512001")
    assert acme["industry"] == "Information Technology And Services"
    platform = next(c for c in acme["contracts"] if c["startDate"] == "2026-11-01")
    assert platform["status"] == "CANCELLED"
    assert acme["mrr"] == [{"amount": "300.00", "currency": "USD"}]  # the cancelled contract's lines no longer count
    assert await account_360(hubspot, admin_key, "9834512003") is not None
    assert (await rows(engine, "SELECT count(*) FROM contacts"))[0][0] == 3


async def test_a_company_merge_merges_the_accounts(
    hubspot: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str, admin_key: str
) -> None:
    await send_crm(hubspot, ingest_key)
    response = await send_events(hubspot, payload("webhook_company_merge"))
    assert response.status_code == 200, response.text
    results = by_item(response.json())
    assert results["events[0]"]["status"] == "updated"
    assert results["events[1]"]["status"] == "skipped"  # contacts are not merged
    acme = await account_360(hubspot, admin_key, "9834512001")
    assert sorted(contact["email"] for contact in acme["contacts"]) == ["ada@acme.example", "wile@acme-corp.example"]
    assert (await account_360(hubspot, admin_key, "9834512004"))["name"] == "Acme Corporation"  # the link moved
    merges = await rows(engine, "SELECT merged_account_name, merged_by FROM account_merges")
    assert merges == [("ACME Corp.", "hubspot company.merge")]
    before = await snapshot(engine)
    again = (await send_events(hubspot, payload("webhook_company_merge"))).json()
    assert by_item(again)["events[0]"]["status"] == "unchanged"
    assert await snapshot(engine) == before


async def test_a_wrong_stale_or_missing_signature_is_401_and_writes_nothing(
    hubspot: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send_crm(hubspot, ingest_key)
    before = await snapshot(engine)
    events = payload("webhook_property_changes")
    wrong = await send_events(hubspot, events, secret="another secret")
    assert wrong.status_code == 401, wrong.text
    assert wrong.headers["content-type"] == "application/problem+json"
    assert "X-HubSpot-Signature-v3" in wrong.json()["detail"]
    old = await send_events(hubspot, events, timestamp=1794301200000)  # signed right, but long ago
    assert old.status_code == 401
    assert "five minutes" in old.json()["detail"]
    tampered_headers = dict(wrong.request.headers)
    good = await send_events(hubspot, [])
    assert good.status_code == 200
    signed_for_empty = {
        key: good.request.headers[key] for key in ("X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp")
    }
    tampered = await hubspot.post(
        "/hubspot/v1/webhook",
        content=wrong.request.content,
        headers={**signed_for_empty, "Content-Type": tampered_headers["content-type"]},
    )
    assert tampered.status_code == 401  # another body under the signature of an empty one
    unsigned = await hubspot.post("/hubspot/v1/webhook", json=events)
    assert unsigned.status_code == 401
    keyed = await hubspot.post("/hubspot/v1/webhook", json=events, headers={"Authorization": f"Bearer {ingest_key}"})
    assert keyed.status_code == 401  # an API key is no signature
    assert await snapshot(engine) == before
    refused = await rows(
        engine, "SELECT count(*) FROM audit_log WHERE action = 'ingest:hubspot' AND outcome = 'refused'"
    )
    assert refused[0][0] == 5


async def test_without_an_app_secret_the_webhook_refuses_everything(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await send_events(client, payload("webhook_property_changes"))
    assert response.status_code == 401
    assert "CSHUB_HUBSPOT_APP_SECRET" in response.json()["detail"]
    assert (await rows(engine, "SELECT count(*) FROM source_links"))[0][0] == 0


async def test_bad_items_are_named_and_the_good_ones_kept(
    hubspot: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str, admin_key: str
) -> None:
    response = await send_objects(hubspot, ingest_key, "companies", payload("companies_page_malformed"))
    assert response.status_code == 200, response.text
    results = by_item(response.json())
    assert results["results[0]"]["status"] == "created"
    assert results["results[1]"]["errors"][0]["path"] == "results[1].properties.name"
    assert results["results[2]"]["errors"][0]["path"] == "results[2].id"
    assert results["results[3]"]["errors"] == [{"path": "results[3]", "message": "not a HubSpot company object"}]
    assert results["results[4]"]["errors"][0]["path"] == "results[4].updatedAt"
    assert (await rows(engine, "SELECT count(*) FROM accounts"))[0][0] == 1

    before = await snapshot(engine)
    single = await send_objects(hubspot, ingest_key, "deals", payload("deal_single_malformed"))
    assert single.status_code == 422, single.text
    assert single.headers["content-type"] == "application/problem+json"
    assert "object.line_items[0].unit_price" in single.json()["detail"]
    assert "17250009" in single.json()["detail"]
    for object_type, body in (
        ("companies", {"total": 0}),
        ("companies", ["not", "a", "page"]),
        ("contacts", {"results": {"id": "1"}}),
        ("deals", {"results": [], "line_items": "nope"}),
    ):
        refused = await send_objects(hubspot, ingest_key, object_type, body)
        assert refused.status_code == 400, (body, refused.text)
    assert (await send_objects(hubspot, ingest_key, "tickets", {"results": []})).status_code == 404
    assert (await send_events(hubspot, {"subscriptionType": "company.creation"})).status_code == 400
    assert await snapshot(engine) == before

    events = await send_events(hubspot, payload("webhook_malformed"))
    assert events.status_code == 200, events.text
    results = by_item(events.json())
    assert results["events[0]"]["errors"] == [{"path": "events[0]", "message": "not a HubSpot webhook event"}]
    assert results["events[1]"]["errors"][0]["path"] == "events[1].objectId"
    assert results["events[2]"]["errors"][0]["path"] == "events[2].subscriptionType"
    assert results["events[3]"]["status"] == "rejected"  # a company's name cleared
    assert results["events[3]"]["errors"][0]["path"] == "events[3].properties.name"
    # Globex is not known yet, and an industry alone is no account: its name is missing.
    assert results["events[4]"]["status"] == "rejected"
    assert results["events[4]"]["errors"] == [{"path": "events[4].properties.name", "message": "required"}]
    assert results["events[5]"]["status"] == "rejected"  # a merge without mergedObjectIds
    assert (await account_360(hubspot, admin_key, "9834512001"))["name"] == "Acme Corporation"


async def test_keys_roles_and_sources(hubspot: httpx.AsyncClient, engine: AsyncEngine) -> None:
    from service.api_keys import service as api_keys

    async with engine.begin() as conn:
        crm = (await api_keys.create_key(conn, role=Role.INGEST, name="crm", sources=["crm"])).secret
        bound = (await api_keys.create_key(conn, role=Role.INGEST, name="hs", sources=["hubspot"])).secret
    csm = await make_key(engine, Role.CSM, "csm")
    page = payload("companies_page")
    assert (await send_objects(hubspot, csm, "companies", page)).status_code == 403
    assert (await send_objects(hubspot, crm, "companies", page)).status_code == 403
    assert (await hubspot.post("/hubspot/v1/objects/companies", json=page)).status_code == 401
    assert (await rows(engine, "SELECT count(*) FROM accounts"))[0][0] == 0
    assert (await send_objects(hubspot, bound, "companies", page)).status_code == 200


async def test_a_company_joins_the_account_another_source_has_by_domain(
    hubspot: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    crm = {
        "source": "crm",
        "records": [{"external_id": "0015g00000Acme", "name": "ACME Inc", "domain": "acme.example"}],
    }
    headers = {"Authorization": f"Bearer {admin_key}"}
    assert (await hubspot.post("/v1/ingest/accounts", json=crm, headers=headers)).status_code == 200
    await send_crm(hubspot, ingest_key)
    account = await account_360(hubspot, admin_key, "0015g00000Acme", source="crm")
    assert account["name"] == "ACME Inc"  # the first source's profile
    assert len(account["contracts"]) == 2


async def test_deal_stages_and_types_by_mapping_and_an_unmapped_type_is_unknown(
    settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    mapping = tmp_path / "hubspot.toml"
    mapping.write_text('[deal.stages]\nappointmentscheduled = "draft"\n\n[deal.types]\nexistingbusiness = "renewal"\n')
    key = await make_key(engine, Role.INGEST, "hubspot")
    admin = await make_key(engine, Role.ADMIN, "admin")
    async with app_client(settings, hubspot_app_secret=SECRET, hubspot_mapping_file=mapping) as (client, _):
        await send_crm(client, key)
        globex = await account_360(client, admin, "9834512002")
        assert [(contract["status"], contract["kind"]) for contract in globex["contracts"]] == [("DRAFT", "NEW")]
        acme = await account_360(client, admin, "9834512001")
        assert sorted((c["startDate"], c["kind"]) for c in acme["contracts"]) == [
            ("2026-11-01", "NEW"),
            ("2026-12-01", "RENEWAL"),
        ]
        deals = payload("deals_page")
        deals["results"][0]["properties"]["dealtype"] = "partnerdeal"  # a dealtype no table maps: unknown
        deals["results"][0]["properties"]["hs_lastmodifieddate"] = "2026-12-04T10:00:00.000Z"
        deals["results"][0]["updatedAt"] = "2026-12-04T10:00:00.000Z"
        answer = (await send_objects(client, key, "deals", deals)).json()
        assert by_item(answer)["results[0]"]["status"] == "updated", answer
        # A dealtype change alone is a partial update of the contract cshub has (its stage kept); of a deal cshub
        # has no contract for, it is skipped: the deal's properties are read with its stage.
        changes = [
            deal_change(17250002, "dealtype", "existingbusiness", 1796400000000),
            deal_change(17259999, "dealtype", "existingbusiness", 1796400000000),
        ]
        answer = (await send_events(client, changes)).json()
        assert [by_item(answer)[f"events[{i}]"]["status"] for i in (0, 1)] == ["updated", "skipped"], answer
        assert "does not have as a contract" in by_item(answer)["events[1]"]["errors"][0]["message"]
        globex = await account_360(client, admin, "9834512002")
        assert [(contract["status"], contract["kind"]) for contract in globex["contracts"]] == [("DRAFT", "RENEWAL")]
    assert await rows(engine, "SELECT kind, count(*) FROM contracts GROUP BY 1 ORDER BY 1") == [
        ("renewal", 2),
        (None, 1),
    ]
    bad = tmp_path / "bad.toml"
    bad.write_text('[deal.types]\nnewbusiness = "upsell"\n')
    with pytest.raises(ConfigurationError, match=r'bad.toml:2: \[deal.types\] newbusiness: "upsell" is not one of'):
        load_mapping(bad)


def test_a_mistake_in_the_mapping_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "hubspot.toml"
    path.write_text('[owners]\n31544213 = "Margaret Hamilton"\n\n[deal.stages]\nclosedwon = "won"\n')
    with pytest.raises(ConfigurationError, match=r'hubspot.toml:5: \[deal.stages\] closedwon: "won" is not one of'):
        load_mapping(path)
    path.write_text('[owners]\nmargaret = "Margaret Hamilton"\n')
    with pytest.raises(ConfigurationError, match=r"hubspot.toml:2: \[owners\] key 'margaret': .* not a numeric id"):
        load_mapping(path)


async def test_a_deal_without_its_line_items_is_refused_and_keeps_its_lines(
    hubspot: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    await send_crm(hubspot, ingest_key)
    page = payload("deals_page")
    del page["line_items"]
    results = by_item((await send_objects(hubspot, ingest_key, "deals", page)).json())
    assert results["results[0]"]["status"] == "rejected"
    assert results["results[0]"]["errors"][0]["path"] == "results[0].associations.line_items"
    assert "4401, 4402" in results["results[0]"]["errors"][0]["message"]
    acme = await account_360(hubspot, admin_key, "9834512001")
    assert acme["mrr"] == [{"amount": "1300.00", "currency": "USD"}]


def listing(company: dict[str, Any], contacts: list[str], deals: list[str]) -> dict[str, Any]:
    """``company`` as HubSpot returns it asked for ``associations=contacts,deals``."""
    kinds = {"contacts": contacts, "deals": deals}
    associations = {
        kind: {"results": [{"id": one, "type": f"company_to_{kind[:-1]}"} for one in ids]}
        for kind, ids in kinds.items()
        if ids
    }
    return {**company, "associations": associations}


async def test_contacts_and_deals_that_name_no_company_land_in_the_company_that_lists_them(
    hubspot: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str, admin_key: str
) -> None:
    # As dlt's verified HubSpot source reads them: associations asked for on companies only.
    companies = payload("companies_page")
    acme, globex = companies["results"][0], companies["results"][1]
    companies["results"][0] = listing(acme, ["51"], ["17250001"])
    companies["results"][1] = listing(globex, ["52"], ["17250003"])
    assert (await send_objects(hubspot, ingest_key, "companies", companies)).status_code == 200
    contacts = payload("contacts_page")
    for contact in contacts["results"]:
        contact.pop("associations", None)
        contact["properties"].pop("associatedcompanyid", None)
    contacts["results"][0]["properties"]["email"] = "ada.lovelace@gmail.example"  # no company's domain
    placed = by_item((await send_objects(hubspot, ingest_key, "contacts", contacts)).json())
    assert placed["results[0]"]["status"] == "created"
    deals = payload("deals_page")
    for deal in deals["results"]:
        deal["associations"].pop("companies")
    written = by_item((await send_objects(hubspot, ingest_key, "deals", deals)).json())
    assert written["results[0]"]["status"] == written["results[2]"]["status"] == "created"
    assert [c["email"] for c in (await account_360(hubspot, admin_key, "9834512001"))["contacts"]] == [
        "ada.lovelace@gmail.example"
    ]
    assert (await account_360(hubspot, admin_key, "9834512001"))["mrr"] == [{"amount": "1000.00", "currency": "USD"}]
    assert (await account_360(hubspot, admin_key, "9834512002"))["mrr"] == [{"amount": "300.00", "currency": "USD"}]

    # The deal moves: Acme lists it now. The newest naming wins for a deal cshub does not have yet; one it has
    # stays in its account (a deal's own associations.companies moves it).
    companies["results"][0] = listing(acme, ["51"], ["17250001", "17250003", "17250009"])
    companies["results"][0]["updatedAt"] = "2026-11-03T10:00:00.000Z"
    companies["results"][1] = listing(globex, ["52"], [])
    assert (await send_objects(hubspot, ingest_key, "companies", companies)).status_code == 200
    again = by_item((await send_objects(hubspot, ingest_key, "deals", deals)).json())
    assert again["results[2]"]["status"] == "unchanged"
    named = await rows(
        engine,
        "SELECT external_id, account_external_id FROM source_associations WHERE object_type = 'contract' ORDER BY 1",
    )
    assert named == [("17250001", "9834512001"), ("17250003", "9834512001"), ("17250009", "9834512001")]
    before = await snapshot(engine)
    assert (await send_objects(hubspot, ingest_key, "companies", companies)).json()["totals"]["updated"] == 0
    assert await snapshot(engine) == before

    # A deal no company lists and that names none has no account.
    orphan = {"results": [{**deals["results"][2], "id": "17250077"}], "line_items": deals["line_items"]}
    orphan["results"][0]["properties"] = {**orphan["results"][0]["properties"], "hs_object_id": "17250077"}
    refused = by_item((await send_objects(hubspot, ingest_key, "deals", orphan)).json())["results[0]"]
    assert refused["status"] == "rejected"
    assert "no company cshub has lists it" in refused["errors"][0]["message"]


async def test_a_deal_without_line_items_is_one_line_of_its_amount_when_the_mapping_says_what_it_covers(
    settings: Settings, tmp_path: Path, ingest_key: str, admin_key: str
) -> None:
    mapping = tmp_path / "hubspot.toml"
    mapping.write_text(OWNERS + '\n[deal.amount]\nper = "year"\nproduct = "Platform"\n')
    async with app_client(settings, hubspot_app_secret=SECRET, hubspot_mapping_file=mapping) as (client, _):
        await send_objects(client, ingest_key, "companies", payload("companies_page"))
        deals = payload("deals_page")
        del deals["line_items"]
        for deal in deals["results"]:
            deal["associations"].pop("line items", None)
        deals["results"][2]["properties"]["amount"] = ""  # no amount: no line
        results = by_item((await send_objects(client, ingest_key, "deals", deals)).json())
        assert results["results[0]"]["status"] == results["results[2]"]["status"] == "created", results
        acme = await account_360(client, admin_key, "9834512001")
        contracts = {c["startDate"]: c for c in acme["contracts"]}
        annual = contracts["2026-10-15"]  # the deal's closedate, for 12 months
        assert (annual["endDate"], annual["renewalDate"]) == ("2027-10-15", "2027-10-15")
        assert [
            (line["product"]["name"], line["quantity"], line["unitPrice"], line["mrr"]) for line in annual["lines"]
        ] == [("Platform", 1, {"amount": "17000.00"}, {"amount": "1416.67"})]
        assert [c["lines"] for start, c in contracts.items() if start != "2026-10-15"] == [[]]
        assert acme["mrr"] == [{"amount": "1416.67", "currency": "USD"}]
        again = (await send_objects(client, ingest_key, "deals", deals)).json()
        assert again["totals"]["created"] == again["totals"]["updated"] == 0
        # A deal that names its line items still has them for lines.
        with_lines = payload("deals_page")
        results = by_item((await send_objects(client, ingest_key, "deals", with_lines)).json())
        assert results["results[0]"]["status"] == "updated"
        acme = await account_360(client, admin_key, "9834512001")
        assert acme["mrr"] == [{"amount": "1300.00", "currency": "USD"}]


def deal_change(deal_id: int, name: str, value: str, occurred_at: int = 1795597200000) -> dict[str, Any]:
    """A ``deal.propertyChange`` webhook event as HubSpot sends it."""
    return {
        "eventId": occurred_at // 1000 + deal_id % 1000,
        "subscriptionId": 2881779,
        "portalId": 62515,
        "appId": 1160452,
        "attemptNumber": 0,
        "occurredAt": occurred_at,
        "subscriptionType": "deal.propertyChange",
        "objectId": deal_id,
        "propertyName": name,
        "propertyValue": value,
        "changeSource": "CRM_UI",
    }


async def test_amount_and_close_date_changes_move_the_amount_line_when_the_mapping_makes_one(
    settings: Settings, tmp_path: Path, ingest_key: str, admin_key: str
) -> None:
    deals = payload("deals_page")
    del deals["line_items"]
    for deal in deals["results"]:
        deal["associations"].pop("line items", None)
    changes = [
        deal_change(17250001, "amount", "24000"),  # a yearly 17,000 becomes 24,000
        deal_change(17250003, "closedate", "2026-12-01T10:00:00.000Z"),  # its line moves with it
    ]
    mapping = tmp_path / "hubspot.toml"
    mapping.write_text(OWNERS + '\n[deal.amount]\nper = "year"\nproduct = "Platform"\n')
    async with app_client(settings, hubspot_app_secret=SECRET, hubspot_mapping_file=mapping) as (client, _):
        await send_objects(client, ingest_key, "companies", payload("companies_page"))
        await send_objects(client, ingest_key, "deals", deals)
        before = {c["startDate"]: c for c in (await account_360(client, admin_key, "9834512001"))["contracts"]}
        results = by_item((await send_events(client, changes)).json())
        assert results["events[0]"]["status"] == results["events[1]"]["status"] == "updated", results
        contracts = (await account_360(client, admin_key, "9834512001"))["contracts"]
        after = {c["startDate"]: c for c in contracts}
        annual = after["2026-10-15"]
        assert (annual["endDate"], annual["status"]) == (before["2026-10-15"]["endDate"], "ACTIVE")  # dates kept
        assert [(line["unitPrice"], line["mrr"]) for line in annual["lines"]] == [
            ({"amount": "24000.00"}, {"amount": "2000.00"})
        ]
        moved = after["2026-12-01"]  # was 2026-11-20: a year from the new close date
        assert (moved["endDate"], moved["renewalDate"]) == ("2027-12-01", "2027-12-01")
        line = moved["lines"][0]  # the amount did not change: its line is kept, over the contract's new dates
        assert (line["unitPrice"], line["mrr"]) == ({"amount": "3600.00"}, {"amount": "300.00"})
        assert (line["startDate"], line["endDate"]) == ("2026-12-01", "2027-12-01")
        assert "2026-11-20" not in after
    # Without [deal.amount] a deal's amount is not its line: the change is skipped, the contract kept.
    mapping.write_text(OWNERS)
    async with app_client(settings, hubspot_app_secret=SECRET, hubspot_mapping_file=mapping) as (client, _):
        skipped = by_item((await send_events(client, [deal_change(17250001, "amount", "1", 1795597300000)])).json())
        assert skipped["events[0]"]["status"] == "skipped"
        annual = {c["startDate"]: c for c in (await account_360(client, admin_key, "9834512001"))["contracts"]}
        assert annual["2026-10-15"]["lines"][0]["unitPrice"] == {"amount": "24000.00"}


def test_a_mistake_in_the_deal_amount_table_names_its_line(tmp_path: Path) -> None:
    mapping = tmp_path / "hubspot.toml"
    mapping.write_text(OWNERS + '\n[deal.amount]\nper = "week"\n')
    with pytest.raises(ConfigurationError, match=r'hubspot.toml:6: \[deal.amount\] per: "week" is not one of'):
        load_mapping(mapping)
