"""Replaying a time window to a webhook endpoint: every event of [from, to) the endpoint wants is queued again, with
the webhook-id it had (a new one only for events it never had), and a real receiver on loopback verifies each
message with the reference Standard Webhooks library; refusals are typed errors that write nothing."""

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from service.api_keys.roles import Role
from service.events import service as webhooks
from service.events.delivery import DeliveryConfig, DeliveryWorker
from service.events.outbox import append_event
from service.events.ssrf import AddressPolicy
from service.events.tables import webhook_deliveries
from tests.conftest import make_key
from tests.factories import insert_accounts
from tests.graphql_client import gql
from tests.webhook_receiver import Receiver, receiver

LOOPBACK = AddressPolicy(allow_loopback=True)
T0 = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
REPLAY = """mutation($id: ID!, $from: DateTime!, $to: DateTime!) {
  replayWebhookDeliveries(endpointId: $id, from: $from, to: $to) {
    __typename
    ... on WebhookReplay { endpointId from to queued created }
    ... on MutationError { code message field }
  }
}"""


@pytest.fixture
def receiving() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


def worker(engine: AsyncEngine) -> DeliveryWorker:
    return DeliveryWorker(engine, dataclasses.replace(DeliveryConfig(timeout_seconds=5, policy=LOOPBACK)))


async def endpoint(engine: AsyncEngine, url: str, patterns: list[str], **filters: Any) -> webhooks.WithSecret:
    async with engine.begin() as conn:
        return await webhooks.create_endpoint(
            conn, webhooks.NewEndpoint(url, patterns, **filters), by="test", policy=LOOPBACK
        )


async def event(engine: AsyncEngine, at: dt.datetime, event_type: str = "goal.status_changed", **kw: Any) -> uuid.UUID:
    payload: dict[str, Any] = {
        "goalId": uuid.uuid4(), "fromStatus": "on_track", "toStatus": "at_risk", "achievedOn": None, "note": None,
    }  # fmt: skip
    if event_type == "alert.resolved":
        payload = {"alertId": uuid.uuid4(), "rule": "no_logins", "note": None}
    async with engine.begin() as conn:
        return await append_event(conn, event_type, payload, occurred_at=at, account_id=kw.get("account_id"))


async def replay(engine: AsyncEngine, endpoint_id: uuid.UUID, start: dt.datetime, end: dt.datetime) -> Any:
    async with engine.begin() as conn:
        return await webhooks.replay(conn, endpoint_id, start, end, now=T0)


def messages(secret: str, received: Receiver) -> list[tuple[str, str]]:
    """(webhook-id, event id) of every message, each verified by the reference library."""
    return [
        (request.headers["webhook-id"], Webhook(secret).verify(request.body, request.headers)["data"]["eventId"])
        for request in received.received
    ]


async def test_a_window_is_sent_again_with_the_same_webhook_ids(engine: AsyncEngine, receiving: Receiver) -> None:
    enterprise = await insert_accounts(engine, "Big", segment="enterprise")
    (smb,) = await insert_accounts(engine, "Small", segment="smb")
    before = await event(engine, T0 - dt.timedelta(days=3), account_id=enterprise[0])  # before the endpoint
    made = await endpoint(engine, receiving.url, ["goal.*"], segments=["enterprise"])
    delivered = await event(engine, T0 - dt.timedelta(days=1), account_id=enterprise[0])
    await event(engine, T0 - dt.timedelta(days=1), account_id=smb)  # another segment: never this endpoint's
    await event(engine, T0 - dt.timedelta(days=1), "alert.resolved", account_id=enterprise[0])  # not wanted
    await event(engine, T0 - dt.timedelta(days=10), account_id=enterprise[0])  # outside the window
    await event(engine, T0, account_id=enterprise[0])  # at `to`: outside (the window is [from, to))
    delivering = worker(engine)
    assert await delivering.run_once() == 3  # those appended after the endpoint existed and wanted by it
    first = messages(made.secret, receiving)
    receiving.received.clear()

    result = await replay(engine, made.endpoint.id, T0 - dt.timedelta(days=4), T0)
    assert (result.queued, result.created) == (2, 1)  # `before` gets its first delivery
    assert await delivering.run_once() == 2
    again = messages(made.secret, receiving)
    assert {event_id for _, event_id in again} == {str(before), str(delivered)}
    ids = {event_id: msg_id for msg_id, event_id in again}
    assert (ids[str(delivered)], str(delivered)) in first  # the same webhook-id as its first delivery
    receiving.received.clear()

    # replayed once more: every message keeps its webhook-id (at least once; the receiver deduplicates on it)
    assert (await replay(engine, made.endpoint.id, T0 - dt.timedelta(days=4), T0)).created == 0
    assert await delivering.run_once() == 2
    assert sorted(messages(made.secret, receiving)) == sorted(again)
    async with engine.connect() as conn:
        statuses = (await conn.execute(sa.select(webhook_deliveries.c.status))).scalars().all()
    assert sorted(statuses) == ["delivered"] * 4
    await delivering.stop()


async def test_replay_over_graphql_and_its_refusals(
    client: httpx.AsyncClient, admin_key: str, engine: AsyncEngine, receiving: Receiver
) -> None:
    made = await endpoint(engine, receiving.url, ["*"])
    await event(engine, T0 - dt.timedelta(hours=1))
    window = {"id": str(made.endpoint.id), "from": "2026-06-15T00:00:00Z", "to": "2026-06-16T00:00:00Z"}
    ok = (await gql(client, admin_key, REPLAY, window))["data"]["replayWebhookDeliveries"]
    assert ok == {
        "__typename": "WebhookReplay", "endpointId": str(made.endpoint.id), "from": "2026-06-15T00:00:00+00:00",
        "to": "2026-06-16T00:00:00+00:00", "queued": 1, "created": 0,
    }  # fmt: skip

    async def refused(variables: dict[str, Any], key: str = admin_key) -> tuple[str, str | None]:
        answer = (await gql(client, key, REPLAY, window | variables))["data"]["replayWebhookDeliveries"]
        assert answer["__typename"] == "MutationError", answer
        return answer["code"], answer["field"]

    assert await refused({"to": "2026-06-15T00:00:00Z"}) == ("BAD_USER_INPUT", "from")  # empty window
    assert await refused({"from": "2026-06-17T00:00:00Z"}) == ("BAD_USER_INPUT", "from")  # from after to
    assert await refused({"from": "2026-05-15T00:00:00Z"}) == ("BAD_USER_INPUT", "to")  # 32 days
    assert await refused({"id": str(uuid.uuid4())}) == ("NOT_FOUND", "endpointId")
    assert await refused({"id": "not-an-id"}) == ("BAD_USER_INPUT", "endpointId")
    async with engine.begin() as conn:
        await webhooks.update_endpoint(conn, made.endpoint.id, webhooks.EndpointChanges(enabled=False), policy=LOOPBACK)
    assert await refused({}) == ("CONFLICT", "endpointId")
    csm = await make_key(engine, Role.CSM, "a csm")
    forbidden = await gql(client, csm, REPLAY, window)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with engine.connect() as conn:  # the refusals queued nothing: still the one delivery, pending
        pending = (await conn.execute(sa.select(webhook_deliveries.c.status))).scalars().all()
    assert pending == ["pending"]


async def test_a_31_day_window_is_allowed(engine: AsyncEngine, receiving: Receiver) -> None:
    made = await endpoint(engine, receiving.url, ["*"])
    await event(engine, T0 - dt.timedelta(days=30, hours=23))
    result = await replay(engine, made.endpoint.id, T0 - dt.timedelta(days=31), T0)
    assert (result.queued, result.created) == (1, 0)
