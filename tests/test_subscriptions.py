"""GraphQL subscriptions over a real WebSocket against the app under uvicorn on loopback: authentication in
connection_init, events committed through another app instance (its own listener), resume with ``after``,
limits and their close codes, bi masking."""

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.api_keys.service import Principal
from service.events.outbox import append_event
from service.graphql.relay import encode_global_id
from service.handoffs import service as handoffs
from service.handoffs.workflow import Action
from service.settings import Settings
from tests.conftest import make_key
from tests.factories import insert_accounts
from tests.handoff_factories import T0, create, principal
from tests.subscription_client import client, kill_listener, served

HANDOFFS = """
subscription($accountId: ID, $csmOwner: String, $after: EventSequence) {
  handoffChanged(accountId: $accountId, csmOwner: $csmOwner, after: $after) {
    eventId sequence type occurredAt accountId actor fromState toState comment
    handoff { id state salesOwner }
  }
}"""
SUBMIT = "mutation($id: ID!) { submitHandoff(id: $id) { __typename } }"


SALES = principal(Role.SALES, "Sato")
CSM = principal(Role.CSM, "Aiko")


async def _step(
    engine: AsyncEngine, handoff_id: uuid.UUID, action: Action, by: Principal = SALES, comment: str | None = None
) -> None:
    async with engine.begin() as conn:
        await handoffs.transition(conn, handoff_id, action, by=by, now=T0, comment=comment)


async def _handoff_events(engine: AsyncEngine, account_id: uuid.UUID, count: int) -> None:
    """``count`` handoff events of one account, appended in one transaction (one NOTIFY burst)."""
    async with engine.begin() as conn:
        for _ in range(count):
            payload = {"handoffId": uuid.uuid4(), "fromState": "DRAFT", "toState": "SUBMITTED", "handoffVersion": 1}
            await append_event(conn, "handoff.submitted", payload, account_id=account_id, actor="Sato")


async def test_connection_init_without_a_valid_key_is_closed_4401(engine: AsyncEngine, settings: Settings) -> None:
    async with served(settings) as app:
        for key in (None, "cshub_not-a-key"):
            async with client(app.ws_url) as ws:
                await ws.init(key)  # answered by the close, not by connection_ack
                code, reason = await ws.closed()
                assert code == 4401, (key, code, reason)
        async with client(app.ws_url) as ws:  # subscribing before connection_init: the protocol's 4401
            await ws.subscribe("1", HANDOFFS)
            assert (await ws.closed())[0] == 4401


async def test_a_role_that_may_not_subscribe_is_closed_4403(engine: AsyncEngine, settings: Settings) -> None:
    ingest_key = await make_key(engine, Role.INGEST, "feeder")
    async with served(settings) as app, client(app.ws_url) as ws:
        await ws.init(ingest_key)
        code, reason = await ws.closed()
        assert (code, reason) == (4403, "role 'ingest' may not subscribe")


async def test_a_step_committed_through_one_instance_reaches_subscribers_of_another(
    engine: AsyncEngine, settings: Settings
) -> None:
    admin_key = await make_key(engine, Role.ADMIN)
    csm_key = await make_key(engine, Role.CSM)
    row = await create(engine, SALES)
    other = await create(engine, SALES)
    account = encode_global_id("Account", row.account_id)
    async with (
        served(settings) as writer,  # two apps: two listeners, one database
        served(settings) as reader,
        client(reader.ws_url, csm_key) as mine,
        client(reader.ws_url, csm_key) as others,
    ):
        await mine.subscribe("1", HANDOFFS, {"accountId": account})
        await others.subscribe("1", HANDOFFS, {"accountId": encode_global_id("Account", other.account_id)})
        await reader.following(2)
        async with httpx.AsyncClient(base_url=writer.http_url) as http:
            answer = await http.post(
                "/graphql",
                json={"query": SUBMIT, "variables": {"id": encode_global_id("Handoff", row.id)}},
                headers={"Authorization": f"Bearer {admin_key}"},
            )
        assert answer.json() == {"data": {"submitHandoff": {"__typename": "Handoff"}}}
        item = (await mine.next_data("1"))["handoffChanged"]
        assert item["type"] == "handoff.submitted"
        assert (item["accountId"], item["fromState"], item["toState"]) == (account, "DRAFT", "SUBMITTED")
        assert item["handoff"] == {
            "id": encode_global_id("Handoff", row.id),
            "state": "SUBMITTED",
            "salesOwner": "Sato",
        }
        assert isinstance(item["sequence"], int)
        await others.nothing_within(0.5)  # another account's subscription heard nothing


async def test_resuming_after_a_sequence_sends_the_missed_events_then_live_ones_once_each(
    engine: AsyncEngine, settings: Settings
) -> None:
    csm_key = await make_key(engine, Role.CSM)
    row = await create(engine, SALES)
    variables: dict[str, Any] = {"accountId": encode_global_id("Account", row.account_id)}
    async with served(settings) as app:
        async with client(app.ws_url, csm_key) as ws:
            await ws.subscribe("1", HANDOFFS, variables)
            await app.following()
            await _step(engine, row.id, Action.SUBMIT)
            last_seen = (await ws.next_data("1"))["handoffChanged"]["sequence"]
        # Disconnected: two steps happen meanwhile.
        await _step(engine, row.id, Action.RETURN, by=CSM, comment="add the DPA")
        await _step(engine, row.id, Action.SUBMIT)
        async with client(app.ws_url, csm_key) as ws:
            await ws.subscribe("1", HANDOFFS, {**variables, "after": last_seen})
            missed = [(await ws.next_data("1"))["handoffChanged"] for _ in range(2)]
            assert [(item["type"], item["comment"]) for item in missed] == [
                ("handoff.returned", "add the DPA"),
                ("handoff.submitted", None),
            ]
            assert last_seen < missed[0]["sequence"] < missed[1]["sequence"]
            await _step(engine, row.id, Action.CANCEL, by=CSM)
            live = (await ws.next_data("1"))["handoffChanged"]
            assert live["type"] == "handoff.cancelled"
            await ws.nothing_within(0.5)  # nothing twice


async def test_a_slow_consumer_is_dropped_with_4429_and_the_others_go_on(
    engine: AsyncEngine, settings: Settings
) -> None:
    csm_key = await make_key(engine, Role.CSM)
    busy, quiet = await insert_accounts(engine, "Busy", "Quiet")
    settings = settings.model_copy(update={"subscription_queue_size": 3})
    async with (
        served(settings) as app,
        client(app.ws_url, csm_key) as everything,
        client(app.ws_url, csm_key) as one_account,
    ):
        await everything.subscribe("all", HANDOFFS)
        await one_account.subscribe("q", HANDOFFS, {"accountId": encode_global_id("Account", quiet)})
        await app.following(2)
        await _handoff_events(engine, busy, 20)  # one burst: more than a queue holds at once
        await _handoff_events(engine, quiet, 1)
        code, reason = await everything.closed()
        assert code == 4429
        assert reason.startswith("slow consumer")
        item = (await one_account.next_data("q"))["handoffChanged"]
        assert item["accountId"] == encode_global_id("Account", quiet)


async def test_bi_sees_people_and_free_text_masked(engine: AsyncEngine, settings: Settings) -> None:
    bi_key = await make_key(engine, Role.BI)
    row = await create(engine, SALES)
    await _step(engine, row.id, Action.SUBMIT)
    await _step(engine, row.id, Action.RETURN, by=CSM, comment="DPA")  # replayed below from the outbox (after: 0)
    async with served(settings) as app, client(app.ws_url, bi_key) as ws:
        await ws.subscribe("1", HANDOFFS, {"after": 0})
        submitted = (await ws.next_data("1"))["handoffChanged"]
        returned = (await ws.next_data("1"))["handoffChanged"]
    assert submitted["type"] == "handoff.submitted"
    assert (returned["type"], returned["comment"], returned["actor"]) == ("handoff.returned", "•••", "•••")
    assert returned["handoff"]["salesOwner"] == "•••"
    assert returned["toState"] == "RETURNED"  # not text: as is


async def test_connections_per_key_and_idle_connections_are_closed(engine: AsyncEngine, settings: Settings) -> None:
    csm_key = await make_key(engine, Role.CSM)
    limited = settings.model_copy(update={"subscription_connections_per_key": 1, "subscription_idle_seconds": 1.0})
    async with served(limited) as app:
        async with client(app.ws_url, csm_key) as first:
            await first.subscribe("1", HANDOFFS)
            async with client(app.ws_url) as second:
                await second.init(csm_key)
                code, reason = await second.closed()
                assert (code, reason) == (4429, "this key already holds 1 subscription connections")
            await first.nothing_within(1.5)  # subscribed: not idle
        async with client(app.ws_url, csm_key) as idle:  # the first one left: admitted again
            code, reason = await idle.closed(5)
            assert (code, reason) == (4408, "idle for 1 s with no subscription")


async def test_events_are_announced_only_when_committed(engine: AsyncEngine, settings: Settings) -> None:
    csm_key = await make_key(engine, Role.CSM)
    (account_id,) = await insert_accounts(engine, "Acme")
    async with served(settings) as app, client(app.ws_url, csm_key) as ws:
        await ws.subscribe("1", HANDOFFS)
        await app.following()
        async with engine.connect() as conn:
            transaction = await conn.begin()
            payload = {"handoffId": uuid.uuid4(), "fromState": "DRAFT", "toState": "SUBMITTED"}
            await append_event(conn, "handoff.submitted", payload, account_id=account_id)
            await transaction.rollback()
        await ws.nothing_within(0.5)
        async with engine.connect() as conn:
            count = (await conn.execute(sa.text("SELECT count(*) FROM events"))).scalar_one()
        assert count == 0


ALERTS_AND_HEALTH = """
subscription($csmOwner: String) {
  alertOpened(csmOwner: $csmOwner) { type accountId alertId alert { rule message status } }
}"""
HEALTH = """
subscription($accountId: ID) {
  healthChanged(accountId: $accountId) { type accountId scoreName fromBand toBand score }
}"""


async def test_alerts_opened_and_band_changes_reach_their_subscribers_filtered(
    engine: AsyncEngine, settings: Settings
) -> None:
    csm_key = await make_key(engine, Role.CSM)
    (aiko,) = await insert_accounts(engine, "Aiko's", csm_owner="Aiko")
    (other,) = await insert_accounts(engine, "Somebody else's", csm_owner="Ben")
    async with served(settings) as app, client(app.ws_url, csm_key) as ws:
        await ws.subscribe("alerts", ALERTS_AND_HEALTH, {"csmOwner": "Aiko"})
        await ws.subscribe("health", HEALTH, {"accountId": encode_global_id("Account", aiko)})
        await app.following(2)
        async with engine.begin() as conn:
            for account_id in (other, aiko):  # Ben's first: it must not reach Aiko's subscription
                alert_id = (
                    await conn.execute(
                        sa.text(
                            "INSERT INTO alerts (account_id, rule, message, details, opened_at) "
                            "VALUES (:a, 'no_logins', 'Nobody for 20 days', '{}', now()) RETURNING id"
                        ),
                        {"a": account_id},
                    )
                ).scalar_one()
                payload = {"alertId": alert_id, "rule": "no_logins", "message": "Nobody for 20 days", "details": {}}
                await append_event(conn, "alert.opened", payload, account_id=account_id, subject_id=alert_id)
            band = {"healthScoreId": uuid.uuid4(), "scoreName": "overall", "fromBand": "green", "toBand": "red",
                    "score": 31.5, "computedAt": T0}  # fmt: skip
            await append_event(conn, "health.band_changed", band, account_id=other)
            await append_event(conn, "health.band_changed", band, account_id=aiko)
        received = {message["id"]: message["payload"]["data"] for message in [await ws.receive(), await ws.receive()]}
        await ws.nothing_within(0.5)
    assert received["alerts"]["alertOpened"] == {
        "type": "alert.opened",
        "accountId": encode_global_id("Account", aiko),
        "alertId": received["alerts"]["alertOpened"]["alertId"],
        "alert": {"rule": "NO_LOGINS", "message": "Nobody for 20 days", "status": "OPEN"},
    }
    assert received["health"]["healthChanged"] == {
        "type": "health.band_changed",
        "accountId": encode_global_id("Account", aiko),
        "scoreName": "overall",
        "fromBand": "GREEN",
        "toBand": "RED",
        "score": "31.5",
    }


async def test_a_lost_listener_connection_comes_back_and_misses_nothing(
    engine: AsyncEngine, settings: Settings
) -> None:
    csm_key = await make_key(engine, Role.CSM)
    (account_id,) = await insert_accounts(engine, "Acme")
    async with served(settings) as app, client(app.ws_url, csm_key) as ws:
        await ws.subscribe("1", HANDOFFS)
        await app.following()
        assert await kill_listener(engine) == 1  # the listener's connection dies (a failover, an idle-session kill)…
        await _handoff_events(engine, account_id, 2)  # …and events are committed before it is back
        items = [(await ws.next_data("1"))["handoffChanged"] for _ in range(2)]
        assert [item["type"] for item in items] == ["handoff.submitted"] * 2
        await ws.nothing_within(0.5)
