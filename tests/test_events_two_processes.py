"""Two real ``cshub serve`` processes on one database: a write through one reaches the subscribers of both (each
process LISTENs and fans out on its own), and with both delivering webhooks every attempt is posted once —
the receiver counts each webhook-id's arrivals against the attempts the database recorded."""

import asyncio
import time
from collections import Counter
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from service.api_keys.roles import Role
from service.events import service as webhooks
from service.events.messages import message_id
from service.events.outbox import append_event
from service.events.ssrf import AddressPolicy
from tests.conftest import make_key
from tests.event_processes import add_entry, events_env, sender_pid
from tests.factories import insert_accounts
from tests.serve_process import RunningServer, serving_together
from tests.subscription_client import client
from tests.test_subscription_timeline import TIMELINE
from tests.webhook_receiver import receiver

DEADLINE_SECONDS = 30


async def _last_sequence(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.text("SELECT coalesce(max(sequence), 0) FROM events"))).scalar_one())


def _ws_url(server: RunningServer) -> str:
    return server.base_url.replace("http://", "ws://") + "/graphql"


async def test_a_write_through_one_process_reaches_subscribers_on_both(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    admin_key = await make_key(engine, Role.ADMIN, "Aiko Tanaka")
    csm_key = await make_key(engine, Role.CSM)
    (acme,) = await insert_accounts(engine, "Acme", csm_owner="Aiko Tanaka")
    env = events_env(database_url, tmp_path / "data", CSHUB_WEBHOOKS_DELIVER="false")
    with serving_together(2, "--no-migrate", env=env, workdir=tmp_path) as (one, other):
        async with (
            client(_ws_url(one), csm_key) as on_one,
            client(_ws_url(other), csm_key) as on_other,
            httpx.AsyncClient(base_url=one.base_url) as http,
        ):
            # From the last event committed so far: a subscribe message is taken up while the test goes on, and
            # a process that takes it up after the first write commits replays that write instead of missing it.
            variables = {"csmOwner": "Aiko Tanaka", "after": await _last_sequence(engine)}
            await on_one.subscribe("1", TIMELINE, variables)
            await on_other.subscribe("1", TIMELINE, variables)
            for summary in ("First call", "Second call"):
                await add_entry(http, admin_key, acme, summary)
            seen = {
                name: [(await ws.next_data("1"))["timelineAdded"]["entry"]["summary"] for _ in range(2)]
                for name, ws in (("written through", on_one), ("the other process", on_other))
            }
            await on_other.nothing_within(0.3)  # each event once
    assert seen == {
        "written through": ["First call", "Second call"],
        "the other process": ["First call", "Second call"],
    }


async def test_two_delivering_processes_post_each_attempt_once(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    concurrency = 3
    env = events_env(database_url, tmp_path / "data", CSHUB_WEBHOOK_CONCURRENCY=str(concurrency))
    with receiver() as receiving:
        async with engine.begin() as conn:
            created = await webhooks.create_endpoint(
                conn, webhooks.NewEndpoint(receiving.url, ["goal.*"]), by="test", policy=AddressPolicy(True)
            )
        receiving.hold()  # each process keeps `concurrency` posts open: both must be posting at once
        receiving.answer(*[503] * 4, headers={"Retry-After": "1"})  # and a few are tried again, a second later
        receiver_port = int(receiving.url.split(":")[2].split("/")[0])
        with serving_together(2, "--no-migrate", env=env, workdir=tmp_path) as servers:
            pids = [server.process.pid for server in servers]
            receiving.identify = lambda port: sender_pid(port, receiver_port, pids)

            async with engine.begin() as conn:
                for index in range(40):
                    goal = {"goalId": acme, "fromStatus": "on_track", "toStatus": "at_risk", "achievedOn": None,
                            "note": f"goal {index}"}  # fmt: skip
                    await append_event(conn, "goal.status_changed", goal, account_id=acme)
            deadline = time.monotonic() + DEADLINE_SECONDS
            while receiving.arrived() < 2 * concurrency:
                assert time.monotonic() < deadline, f"only {receiving.arrived()} posts arrived"
                await asyncio.sleep(0.05)
            held = list(receiving.received)
            receiving.release()
            assert {request.sender for request in held} == set(pids), held  # both were posting

            while await _pending(engine):
                assert time.monotonic() < deadline, f"{await _pending(engine)} deliveries still pending"
                await asyncio.sleep(0.1)

    async with engine.connect() as conn:
        recorded = {
            message_id(row.id): row.attempts
            for row in await conn.execute(
                sa.text("SELECT id, attempts FROM webhook_deliveries WHERE status = 'delivered'")
            )
        }
        attempt_rows = (await conn.execute(sa.text("SELECT count(*) FROM webhook_attempts"))).scalar_one()
    arrived = Counter(request.headers["webhook-id"] for request in receiving.received)
    assert len(recorded) == 40
    assert arrived == Counter(recorded)  # every attempt arrived once: no id more often than it was tried
    assert sum(recorded.values()) == 40 + 4 == attempt_rows
    for request in receiving.received:
        Webhook(created.secret).verify(request.body, request.headers)


async def _pending(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        found = await conn.execute(sa.text("SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'"))
        return int(found.scalar_one())
