"""``timeline.entry_added`` and the ``timelineAdded`` subscription: a touchpoint added in the hub or ingested is
announced once, in the write's transaction (nothing for a refused write), reaches the subscribers whose account or
CSM-owner filter matches, and bi reads the entry's people and free text masked."""

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.events.catalogue import schemas
from service.graphql.relay import encode_global_id
from service.settings import Settings
from service.timeline.tables import TIMELINE_KINDS
from tests.conftest import make_key
from tests.event_log import emitted
from tests.factories import insert_accounts
from tests.ingesting import ingest, statuses
from tests.subscription_client import client, served

TIMELINE = """
subscription($accountId: ID, $csmOwner: String, $after: EventSequence) {
  timelineAdded(accountId: $accountId, csmOwner: $csmOwner, after: $after) {
    eventId sequence type accountId actor
    entry { id kind occurredAt summary actor source origin }
  }
}"""
ADD = """mutation($input: AddTimelineEntryInput!) {
  addTimelineEntry(input: $input) { __typename ... on TimelineEvent { id } ... on MutationError { code field } }
}"""


def _entry(account_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    return {
        "input": {
            "accountId": encode_global_id("Account", account_id),
            "kind": "MEETING",
            "occurredAt": "2026-03-01T10:00:00Z",
            "summary": "Renewal talk with the CFO",
            **changes,
        }
    }


async def _add(http: httpx.AsyncClient, key: str, variables: dict[str, Any]) -> dict[str, Any]:
    answer = await http.post(
        "/graphql", json={"query": ADD, "variables": variables}, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["data"]["addTimelineEntry"]
    return result


async def test_an_entry_added_in_the_hub_reaches_the_subscribers_of_its_csm_only(
    engine: AsyncEngine, settings: Settings
) -> None:
    csm_key = await make_key(engine, Role.CSM, "Aiko Tanaka")
    (aikos,) = await insert_accounts(engine, "Aiko's", csm_owner="Aiko Tanaka")
    (bens,) = await insert_accounts(engine, "Ben's", csm_owner="Ben")
    async with (
        served(settings) as app,
        client(app.ws_url, csm_key) as mine,
        client(app.ws_url, csm_key) as by_account,
        httpx.AsyncClient(base_url=app.http_url) as http,
    ):
        await mine.subscribe("mine", TIMELINE, {"csmOwner": "Aiko Tanaka"})
        await by_account.subscribe("bens", TIMELINE, {"accountId": encode_global_id("Account", bens)})
        await app.following(2)
        assert (await _add(http, csm_key, _entry(bens, summary="Ben's call")))["__typename"] == "TimelineEvent"
        added = await _add(http, csm_key, _entry(aikos))
        assert added["__typename"] == "TimelineEvent"
        refused = await _add(http, csm_key, _entry(aikos, summary="  "))
        assert refused == {"__typename": "MutationError", "code": "BAD_USER_INPUT", "field": "summary"}

        item = (await mine.next_data("mine"))["timelineAdded"]
        other = (await by_account.next_data("bens"))["timelineAdded"]
        await mine.nothing_within(0.5)  # Ben's entry and the refused one: nothing
        await by_account.nothing_within(0.3)
    assert item["type"] == "timeline.entry_added"
    assert item["accountId"] == encode_global_id("Account", aikos)
    assert item["actor"].startswith("Aiko Tanaka (")  # the key's name and id, as every event names its actor
    assert item["entry"] == {
        "id": added["id"],
        "kind": "MEETING",
        "occurredAt": "2026-03-01T10:00:00+00:00",
        "summary": "Renewal talk with the CFO",
        "actor": "Aiko Tanaka",
        "source": "cshub",
        "origin": "RECORDED",
    }
    assert other["entry"]["summary"] == "Ben's call"
    events = await emitted(engine, "timeline.entry_added")  # each validated against its catalogue schema
    assert [event.account_id for event in events] == [bens, aikos]
    assert events[1].sequence == item["sequence"]
    assert str(events[1].id) == item["eventId"]


async def test_an_ingested_entry_is_announced_once_however_often_it_is_sent(engine: AsyncEngine) -> None:
    (acme,) = await insert_accounts(engine, "Acme", domain="acme.example")
    note = {"external_id": "n1", "account_domain": "acme.example", "kind": "qbr", "summary": "QBR went well",
            "occurred_at": "2026-02-10T15:00:00Z", "actor": "Casey CSM"}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "timeline-events", [note])) == ["created"]
    assert statuses(await ingest(engine, "crm", "timeline-events", [note])) == ["unchanged"]
    changed = note | {"summary": "QBR went well; expansion likely"}
    assert statuses(await ingest(engine, "crm", "timeline-events", [changed])) == ["updated"]
    (event,) = await emitted(engine, "timeline.entry_added")
    assert (event.account_id, event.actor) == (acme, None)
    assert event.payload == {
        "timelineEntryId": str(event.subject_id),
        "kind": "qbr",
        "entryOccurredAt": "2026-02-10T15:00:00+00:00",
        "summary": "QBR went well",
        "entryActor": "Casey CSM",
        "source": "crm",
    }


async def test_bi_reads_the_entry_masked_and_can_resume(engine: AsyncEngine, settings: Settings) -> None:
    bi_key = await make_key(engine, Role.BI)
    (acme,) = await insert_accounts(engine, "Acme", domain="acme.example")
    note = {"external_id": "n1", "account_domain": "acme.example", "kind": "call", "summary": "Asked about SSO",
            "occurred_at": "2026-02-10T15:00:00Z", "actor": "Casey CSM"}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "timeline-events", [note])) == ["created"]
    async with served(settings) as app, client(app.ws_url, bi_key) as ws:
        await ws.subscribe("1", TIMELINE, {"after": 0})  # replayed from the outbox
        item = (await ws.next_data("1"))["timelineAdded"]
    assert item["accountId"] == encode_global_id("Account", acme)
    assert item["entry"]["summary"] == "•••"
    assert item["entry"]["actor"] == "•••"
    assert (item["entry"]["kind"], item["entry"]["source"]) == ("CALL", "crm")


def test_the_catalogue_names_the_kinds_a_timeline_records() -> None:
    assert schemas()["timeline.entry_added"]["properties"]["kind"]["enum"] == list(TIMELINE_KINDS)
