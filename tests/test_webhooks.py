"""Webhooks end to end: endpoints managed over GraphQL, messages posted to a real receiver on loopback and verified
there with the reference Standard Webhooks library (not our code), retries with the same webhook-id, Retry-After,
410 and long failure disabling the endpoint, the SSRF guard, rotation with overlap, and two workers that never
post one attempt twice."""

import asyncio
import dataclasses
import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from service.errors import InvalidInput
from service.events import service as webhooks
from service.events.delivery import RETRY_SCHEDULE, DeliveryConfig, DeliveryWorker
from service.events.outbox import append_event
from service.events.ssrf import AddressPolicy
from service.events.tables import webhook_deliveries, webhook_endpoints
from service.health_scores import overrides
from tests.event_log import emitted
from tests.factories import insert_accounts
from tests.graphql_client import gql
from tests.webhook_receiver import Received, Receiver, receiver

LOOPBACK = AddressPolicy(allow_loopback=True)
T0 = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)

CREATE = """mutation($url: String!, $types: [String!]!, $segments: [String!]) {
  createWebhookEndpoint(input: {url: $url, eventTypes: $types, segments: $segments}) {
    __typename
    ... on WebhookEndpointWithSecret { secret endpoint { id url eventTypes enabled } }
    ... on MutationError { code message field }
  }
}"""
DELIVERIES = """query($id: ID!) {
  webhookDeliveries(endpointId: $id) {
    id webhookId eventType status attempts responseStatus latencyMs lastError
    attemptLog { attempt responseStatus latencyMs error }
  }
}"""


class Clock:
    """The worker's clock, starting at the real time (deliveries are queued at the database's now())."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now or dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def receiving() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


def worker(engine: AsyncEngine, clock: Clock | None = None, **config: Any) -> DeliveryWorker:
    settings = dataclasses.replace(DeliveryConfig(timeout_seconds=5, policy=LOOPBACK), **config)
    return DeliveryWorker(engine, settings, clock=clock or Clock())


async def endpoint(engine: AsyncEngine, url: str, patterns: list[str], **filters: Any) -> webhooks.WithSecret:
    async with engine.begin() as conn:
        return await webhooks.create_endpoint(
            conn, webhooks.NewEndpoint(url, patterns, **filters), by="test", policy=LOOPBACK
        )


def goal_payload() -> dict[str, Any]:
    return {"goalId": uuid.uuid4(), "fromStatus": "on_track", "toStatus": "at_risk", "achievedOn": None, "note": None}


async def goal_event(engine: AsyncEngine, account_id: uuid.UUID | None = None) -> uuid.UUID:
    async with engine.begin() as conn:
        return await append_event(conn, "goal.status_changed", goal_payload(), account_id=account_id, occurred_at=T0)


def verified(secret: str, request: Received) -> Any:
    """What the reference library accepts (it raises on a bad signature or a stale timestamp)."""
    return Webhook(secret).verify(request.body, request.headers)


async def test_an_endpoint_made_over_graphql_gets_signed_messages_and_a_delivery_log(
    client: httpx.AsyncClient, admin_key: str, engine: AsyncEngine, receiving: Receiver
) -> None:
    body = await gql(client, admin_key, CREATE, {"url": receiving.url, "types": ["health.*"]})
    created = body["data"]["createWebhookEndpoint"]
    assert created["__typename"] == "WebhookEndpointWithSecret", created
    secret, endpoint_id = created["secret"], created["endpoint"]["id"]
    assert secret.startswith("whsec_")
    listed = await gql(client, admin_key, "{ webhookEndpoints { id url } }")
    assert listed["data"]["webhookEndpoints"] == [{"id": endpoint_id, "url": receiving.url}]  # no secret there

    (account_id,) = await insert_accounts(engine, "Acme")
    async with engine.begin() as conn:
        await overrides.override_score(
            conn, account_id=account_id, name="overall", score=Decimal("75"), reason="renewal signed",
            expires_at=T0 + dt.timedelta(days=10), by="Aiko", now=T0,
        )  # fmt: skip
    await goal_event(engine, account_id)  # not a health event: not for this endpoint
    assert await worker(engine).run_once() == 1

    (request,) = receiving.received
    message = verified(secret, request)
    (event,) = await emitted(engine, "health.override_set")
    assert message["type"] == "health.override_set"
    assert message["timestamp"] == "2026-06-15T12:00:00Z"
    assert message["data"]["eventId"] == str(event.id)
    assert message["data"]["reason"] == "renewal signed"
    assert request.headers["webhook-id"].startswith("msg_")

    log = (await gql(client, admin_key, DELIVERIES, {"id": endpoint_id}))["data"]["webhookDeliveries"]
    assert len(log) == 1
    assert log[0]["webhookId"] == request.headers["webhook-id"]
    assert (log[0]["status"], log[0]["attempts"], log[0]["responseStatus"]) == ("DELIVERED", 1, 200)
    assert log[0]["attemptLog"][0]["latencyMs"] >= 0


async def test_a_failed_attempt_is_retried_later_with_the_same_webhook_id(
    engine: AsyncEngine, receiving: Receiver
) -> None:
    made = await endpoint(engine, receiving.url, ["*"])
    await goal_event(engine)
    receiving.answer(500)
    clock = Clock()
    start = clock.now
    delivering = worker(engine, clock)
    assert await delivering.run_once() == 1
    assert await delivering.run_once() == 0  # not due yet: the first retry waits about 5 s
    async with engine.connect() as conn:
        due = (await conn.execute(sa.select(webhook_deliveries.c.next_attempt_at))).scalar_one()
    assert start + dt.timedelta(seconds=4) <= due <= start + dt.timedelta(seconds=6)
    clock.now = start + dt.timedelta(seconds=7)
    assert await delivering.run_once() == 1

    first, second = receiving.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    verified(made.secret, second)
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(webhook_deliveries))).one()
        endpoint_row = (await conn.execute(sa.select(webhook_endpoints))).one()
    assert (row.status, row.attempts, row.response_status) == ("delivered", 2, 200)
    assert endpoint_row.failing_since is None  # the success ended the failing streak


async def test_retry_after_decides_when_the_next_attempt_is(engine: AsyncEngine, receiving: Receiver) -> None:
    await endpoint(engine, receiving.url, ["goal.*"])
    await goal_event(engine)
    receiving.answer(503, headers={"Retry-After": "120"})
    clock = Clock()
    assert await worker(engine, clock).run_once() == 1
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(webhook_deliveries))).one()
    assert row.status == "pending"
    assert row.next_attempt_at == clock.now + dt.timedelta(seconds=120)
    assert row.last_error == "answered 503"


async def test_410_gone_disables_the_endpoint_and_says_so(engine: AsyncEngine, receiving: Receiver) -> None:
    made = await endpoint(engine, receiving.url, ["goal.*"])
    await goal_event(engine)
    await goal_event(engine)
    receiving.answer(410, 410)
    delivering = worker(engine, batch=1)
    assert await delivering.run_once() == 1
    assert await delivering.run_once() == 0  # the endpoint is disabled: nothing more goes out
    async with engine.connect() as conn:
        endpoint_row = (await conn.execute(sa.select(webhook_endpoints))).one()
        statuses = sorted((await conn.execute(sa.select(webhook_deliveries.c.status))).scalars())
    assert not endpoint_row.enabled
    assert endpoint_row.disabled_reason == "the receiver answered 410 Gone"
    assert statuses == ["failed", "pending"]
    (disabled,) = await emitted(engine, "webhook.endpoint_disabled")
    assert disabled.payload["endpointId"] == str(made.endpoint.id)
    assert len(receiving.received) == 1


async def test_an_endpoint_failing_longer_than_the_span_is_disabled(engine: AsyncEngine, receiving: Receiver) -> None:
    await endpoint(engine, receiving.url, ["*"])
    await goal_event(engine)
    receiving.answer(*[500] * 10)
    clock = Clock()
    start = clock.now
    delivering = worker(engine, clock, disable_after=dt.timedelta(minutes=10))
    assert await delivering.run_once() == 1
    clock.now = start + dt.timedelta(seconds=10)
    assert await delivering.run_once() == 1  # failing for 10 s: still enabled
    clock.now = start + dt.timedelta(minutes=11)
    assert await delivering.run_once() == 1  # failing for 11 min: disabled after this attempt
    async with engine.connect() as conn:
        endpoint_row = (await conn.execute(sa.select(webhook_endpoints))).one()
    assert not endpoint_row.enabled
    assert endpoint_row.disabled_reason == "every attempt failed for 0.166667 hours"
    assert len(await emitted(engine, "webhook.endpoint_disabled")) == 1


async def test_the_schedule_runs_out_after_about_a_day() -> None:
    total = sum(RETRY_SCHEDULE, dt.timedelta())
    assert dt.timedelta(hours=20) < total < dt.timedelta(hours=30)


async def test_two_workers_never_post_one_attempt_twice(engine: AsyncEngine, receiving: Receiver) -> None:
    made = await endpoint(engine, receiving.url, ["*"])
    for _ in range(24):
        await goal_event(engine)
    first, second = worker(engine, batch=4), worker(engine, batch=4)

    async def drain(one: DeliveryWorker) -> int:
        posted = 0
        while attempts := await one.run_once():
            posted += attempts
        return posted

    counts = await asyncio.gather(drain(first), drain(second))
    ids = Counter(request.headers["webhook-id"] for request in receiving.received)
    assert len(ids) == 24
    assert set(ids.values()) == {1}
    assert sum(counts) == 24
    assert all(count > 0 for count in counts)  # both took part
    for request in receiving.received:
        verified(made.secret, request)


async def test_only_accounts_matching_the_filter_are_sent(engine: AsyncEngine, receiving: Receiver) -> None:
    big, small = await insert_accounts(engine, "Big", "Small")
    async with engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE accounts SET segment = 'enterprise', csm_owner = 'Aiko' WHERE id = :i"), {"i": big}
        )
    await endpoint(engine, receiving.url, ["*"], segments=["enterprise"], csm_owners=["Aiko"])
    await goal_event(engine, big)
    await goal_event(engine, small)
    await goal_event(engine, None)
    assert await worker(engine).run_once() == 1
    (request,) = receiving.received
    assert json.loads(request.body)["data"]["accountId"] == str(big)


async def test_a_rotated_secret_signs_beside_the_old_one_during_the_overlap(
    engine: AsyncEngine, receiving: Receiver
) -> None:
    made = await endpoint(engine, receiving.url, ["*"])
    clock = Clock()
    start = clock.now
    async with engine.begin() as conn:
        rotated = await webhooks.rotate_secret(conn, made.endpoint.id, now=start, overlap=dt.timedelta(hours=1))
    await goal_event(engine)
    clock.now = start + dt.timedelta(minutes=30)
    assert await worker(engine, clock).run_once() == 1
    (request,) = receiving.received
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    verified(made.secret, request)
    verified(rotated.secret, request)

    await goal_event(engine)
    clock.now = start + dt.timedelta(hours=2)  # the overlap is over: only the new secret signs
    assert await worker(engine, clock).run_once() == 1
    later = receiving.received[1]
    verified(rotated.secret, later)
    with pytest.raises(Exception, match="No matching signature"):
        verified(made.secret, later)


async def test_a_delivery_redelivered_by_hand_keeps_its_webhook_id(
    client: httpx.AsyncClient, admin_key: str, engine: AsyncEngine, receiving: Receiver
) -> None:
    made = await endpoint(engine, receiving.url, ["*"])
    await goal_event(engine)
    assert await worker(engine).run_once() == 1
    async with engine.connect() as conn:
        delivery_id = await conn.scalar(sa.select(webhook_deliveries.c.id))
    redeliver = "mutation($id: ID!) { redeliverWebhook(id: $id) { __typename ... on WebhookDelivery { status } } }"
    body = await gql(client, admin_key, redeliver, {"id": str(delivery_id)})
    assert body["data"]["redeliverWebhook"] == {"__typename": "WebhookDelivery", "status": "PENDING"}
    assert await worker(engine).run_once() == 1
    first, again = receiving.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    verified(made.secret, again)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.0.10/hook", "private"),
        ("http://0.0.0.0/hook", "unspecified"),
    ],
)
async def test_the_ssrf_guard_refuses_private_addresses_unless_allowed(
    engine: AsyncEngine, url: str, says: str
) -> None:
    async with engine.begin() as conn:
        with pytest.raises(InvalidInput, match=says):
            await webhooks.create_endpoint(conn, webhooks.NewEndpoint(url, ["*"]), by="t", policy=AddressPolicy())


async def test_refused_inputs_say_what_to_fix_and_write_nothing(client: httpx.AsyncClient, admin_key: str) -> None:
    cases = [
        ({"url": "http://169.254.169.254/", "types": ["*"]}, "url", "link-local"),
        ({"url": "ftp://files.example/hook", "types": ["*"]}, "url", "https://"),
        ({"url": "http://user:pw@127.0.0.1/", "types": ["*"]}, "url", "credentials"),
        ({"url": "http://127.0.0.1/", "types": ["handoff.teleported"]}, "eventTypes", "handoff.*"),
        ({"url": "http://127.0.0.1/", "types": []}, "eventTypes", "at least one"),
        ({"url": "http://127.0.0.1/", "types": ["*"], "segments": ["huge"]}, "segments", "enterprise"),
    ]
    for variables, field, says in cases:
        answer = (await gql(client, admin_key, CREATE, variables))["data"]["createWebhookEndpoint"]
        assert answer["__typename"] == "MutationError", variables
        assert answer["field"] == field
        assert says in answer["message"]
    listed = await gql(client, admin_key, "{ webhookEndpoints { id } }")
    assert listed["data"]["webhookEndpoints"] == []


async def test_a_refused_address_at_delivery_time_is_a_failed_attempt(engine: AsyncEngine) -> None:
    await endpoint(engine, "http://127.0.0.1:9/hook", ["*"])  # allowed when created…
    await goal_event(engine)
    assert await worker(engine, policy=AddressPolicy()).run_once() == 1  # …but not by this worker's policy
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(webhook_deliveries))).one()
    assert row.status == "pending"
    assert "loopback" in row.last_error
    assert row.response_status is None
