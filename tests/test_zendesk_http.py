"""``POST /zendesk/v1/tickets`` and ``/zendesk/v1/webhook`` end to end: Zendesk payloads in, the customer 360 out
(accounts, contacts, tickets, CSAT), replays, deletions, signatures, malformed items, and the mapping file."""

from collections.abc import AsyncIterator
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
from tests.zendesk_payloads import (
    SECRET,
    account_360,
    bearer,
    by_item,
    payload,
    send_event,
    send_tickets,
    tickets_of,
)


@pytest.fixture
async def zendesk(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings, zendesk_webhook_secret=SECRET) as (client, _):
        yield client


@pytest.fixture
async def ingest_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.INGEST, "zendesk")


async def test_a_tickets_page_lands_in_the_account_360(
    zendesk: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    response = await send_tickets(zendesk, ingest_key, payload("tickets_page"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["source"] == "zendesk"
    assert answer["totals"] == {
        "created": 8,  # 2 organizations, 2 end users, 3 tickets, 1 rating
        "updated": 0,
        "unchanged": 0,
        "stale": 0,
        "unmatched": 0,
        "rejected": 0,
        "skipped": 1,  # the agent: staff, not a customer contact
    }
    assert by_item(answer)[("users[2]", "contacts")]["status"] == "skipped"
    acme = await account_360(zendesk, admin_key, "509974")
    assert (acme["name"], acme["domain"]) == ("Acme Corporation", "acme.example")
    assert acme["contacts"] == [{"name": "Ada Lovelace", "email": "ada@acme.example"}]
    tickets = tickets_of(acme)
    assert set(tickets) == {"Export to CSV times out", "How do I add a seat?"}
    export = tickets["Export to CSV times out"]
    assert (export["status"], export["priority"], export["category"], export["csat"]) == (
        "OPEN",
        "HIGH",
        "INCIDENT",
        None,
    )
    assert export["openedAt"].startswith("2026-11-02T09:14:51")
    seat = tickets["How do I add a seat?"]
    assert (seat["status"], seat["priority"], seat["category"], seat["csat"]) == ("SOLVED", "NORMAL", "QUESTION", 5)
    assert [edge["node"] for edge in acme["surveys"]["edges"]] == [
        {
            "kind": "CSAT",
            "score": 5,
            "comment": "Quick and friendly",
            "contactEmail": "ada@acme.example",
            "respondedAt": "2026-11-01T16:45:00+00:00",
        }
    ]
    globex = await account_360(zendesk, admin_key, "509975")
    sso = tickets_of(globex)["SSO login loops"]
    assert (sso["status"], sso["priority"], sso["category"]) == ("ON_HOLD", "URGENT", "BUG")  # hold; problem


async def test_a_replayed_page_or_event_writes_nothing(
    zendesk: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    assert (await send_tickets(zendesk, ingest_key, payload("tickets_page"))).status_code == 200
    assert (await send_event(zendesk, ingest_key, payload("webhook_ticket_created"))).status_code == 200
    before = await snapshot(engine)
    tickets_before = (await rows(engine, "SELECT count(*) FROM tickets"))[0][0]
    again = (await send_tickets(zendesk, ingest_key, payload("tickets_page"))).json()
    assert again["totals"]["unchanged"] == 8
    assert again["totals"]["created"] == again["totals"]["updated"] == 0
    event = (await send_event(zendesk, ingest_key, payload("webhook_ticket_created"))).json()
    assert [result["status"] for result in event["results"]] == ["unchanged"]
    assert await snapshot(engine) == before
    assert (await rows(engine, "SELECT count(*) FROM tickets"))[0][0] == tickets_before == 4


async def test_the_incremental_export_updates_rates_deletes_and_refuses_stale_copies(
    zendesk: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    assert (await send_tickets(zendesk, ingest_key, payload("tickets_page"))).status_code == 200
    response = await send_tickets(zendesk, ingest_key, payload("incremental_page"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["after_cursor"], answer["end_of_stream"]) == ("MTc2MjM0MDQwMC4wfHwzNTQ5MHw=", True)
    results = by_item(answer)
    assert results[("tickets[0]", "tickets")]["status"] == "updated"
    assert results[("tickets[0]", "survey-responses")]["status"] == "created"  # rated bad now
    assert results[("tickets[1]", "tickets")]["status"] == "updated"  # deleted: closed
    assert results[("tickets[1]", "survey-responses")]["status"] == "unchanged"  # the same rating
    assert results[("tickets[2]", "tickets")]["status"] == "skipped"  # deleted before cshub saw it
    acme = await account_360(zendesk, admin_key, "509974")
    tickets = tickets_of(acme)
    assert "spam spam spam" not in tickets
    export = tickets["Export to CSV times out"]
    assert (export["status"], export["csat"]) == ("SOLVED", 1)
    assert export["solvedAt"].startswith("2026-11-05T11:00:00")
    assert export["firstResponseAt"].startswith("2026-11-02T09:59:51")  # created + 45 minutes' first reply
    assert tickets["How do I add a seat?"]["status"] == "CLOSED"
    surveys = sorted((edge["node"]["score"], edge["node"]["respondedAt"]) for edge in acme["surveys"]["edges"])
    assert surveys == [(1, "2026-11-05T11:00:00+00:00"), (5, "2026-11-01T16:45:00+00:00")]
    stale = (await send_tickets(zendesk, ingest_key, payload("incremental_page_stale"))).json()
    assert [result["status"] for result in stale["results"]] == ["stale"]
    assert tickets_of(await account_360(zendesk, admin_key, "509974"))["Export to CSV times out"]["status"] == "SOLVED"


async def test_webhook_events_create_change_and_delete_tickets(
    zendesk: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str, admin_key: str
) -> None:
    assert (await send_tickets(zendesk, ingest_key, payload("tickets_page"))).status_code == 200
    created = await send_event(zendesk, ingest_key, payload("webhook_ticket_created"))
    assert created.status_code == 200, created.text
    assert [(r["item"], r["id"], r["status"]) for r in created.json()["results"]] == [
        ("event.detail", "35500", "created")
    ]
    ticket = tickets_of(await account_360(zendesk, admin_key, "509974"))["Webhooks stopped firing"]
    assert (ticket["status"], ticket["priority"], ticket["category"]) == ("NEW", "HIGH", "INCIDENT")
    assert (await send_event(zendesk, ingest_key, payload("webhook_ticket_status_changed"))).status_code == 200
    assert tickets_of(await account_360(zendesk, admin_key, "509974"))["Webhooks stopped firing"]["status"] == "SOLVED"
    # No organization on the ticket: the account its requester (Ada, a contact of Acme) is in.
    orgless = await send_event(zendesk, ingest_key, payload("webhook_ticket_created_without_organization"))
    assert orgless.json()["results"][0]["status"] == "created"
    assert "Where is the audit log?" in tickets_of(await account_360(zendesk, admin_key, "509974"))
    deleted = await send_event(zendesk, ingest_key, payload("webhook_ticket_soft_deleted"))
    assert deleted.json()["results"][0]["status"] == "updated"
    assert tickets_of(await account_360(zendesk, admin_key, "509974"))["Webhooks stopped firing"]["status"] == "CLOSED"
    before = await snapshot(engine)
    other = await send_event(zendesk, ingest_key, payload("webhook_user_event"))
    assert other.status_code == 200
    assert [result["status"] for result in other.json()["results"]] == ["skipped"]
    assert await snapshot(engine) == before


async def test_a_wrong_or_missing_signature_is_401_and_writes_nothing(
    zendesk: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    before = await snapshot(engine)
    event = payload("webhook_ticket_created")
    wrong_secret = await send_event(zendesk, ingest_key, event, secret="another secret")
    assert wrong_secret.status_code == 401, wrong_secret.text
    assert wrong_secret.headers["content-type"] == "application/problem+json"
    assert "X-Zendesk-Webhook-Signature" in wrong_secret.json()["detail"]
    signed = await send_event(zendesk, ingest_key, {**event, "id": "tampered"})
    assert signed.status_code == 200  # (the fixture's signing works)
    after_good = await snapshot(engine)
    tampered = await zendesk.post(
        "/zendesk/v1/webhook",
        content=b'{"type": "zen:event-type:ticket.created", "detail": {}}',
        headers={
            **bearer(ingest_key),
            "Content-Type": "application/json",
            "X-Zendesk-Webhook-Signature": wrong_secret.request.headers["X-Zendesk-Webhook-Signature"],
            "X-Zendesk-Webhook-Signature-Timestamp": "2026-11-06T09:00:01Z",
        },
    )
    assert tampered.status_code == 401
    unsigned = await zendesk.post("/zendesk/v1/webhook", json=event, headers=bearer(ingest_key))
    assert unsigned.status_code == 401
    assert await snapshot(engine) == after_good
    assert before != after_good
    refused = await rows(
        engine, "SELECT count(*) FROM audit_log WHERE action = 'ingest:zendesk' AND outcome = 'refused'"
    )
    assert refused[0][0] == 3


async def test_bad_items_are_named_and_the_good_ones_kept(
    zendesk: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str, admin_key: str
) -> None:
    response = await send_tickets(zendesk, ingest_key, payload("tickets_page_malformed"))
    assert response.status_code == 200, response.text
    results = by_item(response.json())
    assert results[("tickets[0]", "tickets")]["status"] == "rejected"
    assert results[("tickets[0]", "tickets")]["errors"][0]["path"] == "tickets[0].priority"
    assert results[("tickets[1]", "tickets")]["errors"][0]["path"] == "tickets[1].id"
    assert results[("tickets[2]", "tickets")]["errors"] == [
        {"path": "tickets[2]", "message": "not a Zendesk ticket object"}
    ]
    assert results[("tickets[3]", "tickets")]["errors"][0]["path"] == "tickets[3].created_at"
    assert results[("organizations[1]", "accounts")]["errors"][0]["path"] == "organizations[1].name"
    assert results[("tickets[4]", "tickets")]["status"] == "created"
    assert results[("organizations[0]", "accounts")]["status"] == "created"
    assert set(tickets_of(await account_360(zendesk, admin_key, "509974"))) == {"API rate limits"}
    assert (await rows(engine, "SELECT count(*) FROM accounts"))[0][0] == 1

    before = await snapshot(engine)
    single = await send_tickets(zendesk, ingest_key, payload("ticket_single_malformed"))
    assert single.status_code == 422, single.text
    assert single.headers["content-type"] == "application/problem+json"
    assert "ticket.status" in single.json()["detail"]
    assert "35445" in single.json()["detail"]
    event = await send_event(zendesk, ingest_key, payload("webhook_ticket_malformed"))
    assert event.status_code == 422
    assert "event.detail.priority" in event.json()["detail"]
    no_detail = await send_event(
        zendesk, ingest_key, {"type": "zen:event-type:ticket.created", "subject": "zen:ticket:7"}
    )
    assert no_detail.status_code == 422
    assert "a ticket event needs its detail" in no_detail.json()["detail"]
    for body in ({"count": 0}, ["not", "a", "page"], {"tickets": {"id": 1}}, {"type": "ticket.created"}):
        route = "webhook" if "type" in body else "tickets"
        refused = (
            await send_event(zendesk, ingest_key, body)
            if route == "webhook"
            else await send_tickets(zendesk, ingest_key, body)
        )
        assert refused.status_code == 400, (body, refused.text)
    assert await snapshot(engine) == before


async def test_a_single_ticket_with_its_requester(zendesk: httpx.AsyncClient, ingest_key: str, admin_key: str) -> None:
    response = await send_tickets(zendesk, ingest_key, payload("ticket_single"))
    assert response.status_code == 200, response.text
    statuses = {(r["item"], r["entity"]): r["status"] for r in response.json()["results"]}
    # The organization is not in the payload: the ticket and its requester wait for it, then land with it.
    assert statuses == {("ticket", "tickets"): "unmatched", ("users[0]", "contacts"): "unmatched"}
    assert await account_360(zendesk, admin_key, "509974") is None
    organizations = {"organizations": payload("tickets_page")["organizations"][:1]}
    assert (await send_tickets(zendesk, ingest_key, organizations)).status_code == 200
    acme = await account_360(zendesk, admin_key, "509974")
    assert tickets_of(acme)["Invoice shows the wrong VAT number"]["category"] == "OTHER"  # task
    assert acme["contacts"] == [{"name": "Ada Lovelace", "email": "ada@acme.example"}]


async def test_an_organization_joins_the_account_another_source_has_by_domain(
    zendesk: httpx.AsyncClient, ingest_key: str, admin_key: str
) -> None:
    crm = {
        "source": "crm",
        "records": [{"external_id": "0015g00000Acme", "name": "ACME Inc", "domain": "acme.example"}],
    }
    assert (await zendesk.post("/v1/ingest/accounts", json=crm, headers=bearer(admin_key))).status_code == 200
    assert (await send_tickets(zendesk, ingest_key, payload("tickets_page"))).status_code == 200
    account = await account_360(zendesk, admin_key, "0015g00000Acme", source="crm")
    assert account["name"] == "ACME Inc"  # the first source's profile
    assert set(tickets_of(account)) == {"Export to CSV times out", "How do I add a seat?"}


async def test_custom_fields_and_organization_fields_by_mapping(
    settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    mapping = tmp_path / "zendesk.toml"
    mapping.write_text(
        '[ticket.custom_fields]\n360012345678 = "category"\n\n'
        '[ticket.custom_field_values.360012345678]\nbug_report = "bug"\n\n'
        '[organization.fields]\ntier = "segment"\n'
    )
    page = payload("tickets_page")
    page["tickets"][0]["custom_fields"][0]["value"] = "bug_report"
    page["organizations"][0]["organization_fields"]["tier"] = "Enterprise"
    key = await make_key(engine, Role.INGEST, "zendesk")
    admin = await make_key(engine, Role.ADMIN, "admin")
    async with app_client(settings, zendesk_mapping_file=mapping) as (client, _):
        assert (await send_tickets(client, key, page)).status_code == 200
        acme = await account_360(client, admin, "509974")
    assert acme["segment"] == "ENTERPRISE"
    assert tickets_of(acme)["Export to CSV times out"]["category"] == "BUG"  # the custom field wins over the type


async def test_keys_roles_and_sources(zendesk: httpx.AsyncClient, engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        crm = (await api_keys.create_key(conn, role=Role.INGEST, name="crm", sources=["crm"])).secret
        bound = (await api_keys.create_key(conn, role=Role.INGEST, name="zd", sources=["zendesk"])).secret
    csm = await make_key(engine, Role.CSM, "csm")
    page = payload("tickets_page")
    assert (await send_tickets(zendesk, csm, page)).status_code == 403
    assert (await send_tickets(zendesk, crm, page)).status_code == 403
    assert (await zendesk.post("/zendesk/v1/tickets", json=page)).status_code == 401
    assert (await rows(engine, "SELECT count(*) FROM tickets"))[0][0] == 0
    assert (await send_tickets(zendesk, bound, page)).status_code == 200


async def test_a_page_over_the_record_limit_is_413_and_writes_nothing(
    settings: Settings, engine: AsyncEngine, ingest_key: str
) -> None:
    async with app_client(settings, ingest_max_records=2) as (client, _):
        response = await send_tickets(client, ingest_key, payload("tickets_page"))  # 3 tickets
        assert response.status_code == 413, response.text
        assert "per_page" in response.json()["detail"]
    assert (await rows(engine, "SELECT count(*) FROM source_links"))[0][0] == 0


async def test_without_a_signing_secret_the_api_key_alone_admits_events(
    client: httpx.AsyncClient, ingest_key: str
) -> None:
    response = await client.post("/zendesk/v1/webhook", json=payload("webhook_user_event"), headers=bearer(ingest_key))
    assert response.status_code == 200


async def test_ticket_metric_events_give_the_tickets_cshub_has_their_first_response_and_solve(
    zendesk: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str, admin_key: str
) -> None:
    page = payload("tickets_page")
    assert (await send_tickets(zendesk, ingest_key, page)).status_code == 200  # no metric sets: no times
    events = payload("ticket_metric_events_page")
    events["ticket_metric_events"] += [
        {"id": 1, "metric": "reply_time", "type": "fulfill", "time": "2026-11-03T09:00:00Z"},  # no ticket
        {"id": 2, "ticket_id": 35438, "metric": "resolution_time", "type": "fulfill", "time": "yesterday"},
    ]
    answer = await send_tickets(zendesk, ingest_key, events)
    assert answer.status_code == 200, answer.text
    results = by_item(answer.json())
    assert (
        results[("ticket_metric_events[5]", "tickets")]["status"] == "updated"
    )  # 35436, answered under its first timed event
    assert results[("ticket_metric_events[8]", "tickets")]["status"] == "updated"  # 35438
    assert results[("ticket_metric_events[11]", "tickets")]["status"] == "skipped"  # 77777: cshub does not have it
    assert results[("ticket_metric_events[12]", "tickets")]["errors"][0]["path"] == "ticket_metric_events[12].ticket_id"
    assert results[("ticket_metric_events[13]", "tickets")]["errors"][0]["path"] == "ticket_metric_events[13].time"
    tickets = tickets_of(await account_360(zendesk, admin_key, "509974"))
    export = tickets["Export to CSV times out"]
    assert export["firstResponseAt"].startswith("2026-11-02T09:59:51")  # the first reply, not the second
    assert export["solvedAt"].startswith("2026-11-05T11:00:00")
    sso = tickets_of(await account_360(zendesk, admin_key, "509975"))["SSO login loops"]
    assert (sso["firstResponseAt"][:19], sso["solvedAt"]) == ("2026-11-03T08:20:00", None)

    # Replayed: unchanged. The ticket re-sent later (without metric sets) keeps its times, and is not stale.
    before = await snapshot(engine)
    again = (await send_tickets(zendesk, ingest_key, payload("ticket_metric_events_page"))).json()
    assert again["totals"]["created"] == again["totals"]["updated"] == 0, again
    assert await snapshot(engine) == before
    page["tickets"][0] = {**page["tickets"][0], "updated_at": "2026-11-02T10:00:00Z", "priority": "urgent"}
    assert (
        by_item((await send_tickets(zendesk, ingest_key, page)).json())[("tickets[0]", "tickets")]["status"]
        == "updated"
    )
    export = tickets_of(await account_360(zendesk, admin_key, "509974"))["Export to CSV times out"]
    assert (export["priority"], export["solvedAt"][:19]) == ("URGENT", "2026-11-05T11:00:00")
