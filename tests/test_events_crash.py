"""kill -9 of a real ``cshub serve`` with webhook deliveries pending and posting, and an event-producing write in
flight: after a restart every committed event is delivered at least once, with the same webhook-id on every
try, and the write that never committed is neither in the outbox nor delivered.

The write is held in flight deterministically: the test locks ``audit_log`` (SHARE), so ``addTimelineEntry``
waits for it when its transaction has already inserted the timeline entry, its event and its delivery, and only
has the audit row and the commit left. The process is killed while its backend waits, so the commit never comes.
"""

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from standardwebhooks import Webhook

from service.api_keys.roles import Role
from service.events import service as webhooks
from service.events.messages import message_id
from service.events.ssrf import AddressPolicy
from tests.conftest import make_key
from tests.event_log import emitted
from tests.event_processes import add_entry, events_env
from tests.factories import insert_accounts
from tests.serve_process import serving
from tests.webhook_receiver import Receiver, receiver

DEADLINE_SECONDS = 30
COMMITTED = 5
CONCURRENCY = 2  # posts the worker claims and opens at once
IN_FLIGHT = "never committed"


async def _until(check: Any, what: str) -> Any:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not (found := await check()):
        assert time.monotonic() < deadline, f"not within {DEADLINE_SECONDS} s: {what}"
        await asyncio.sleep(0.05)
    return found


async def _waiting_write(engine: AsyncEngine) -> int | None:
    """The backend waiting for the audit_log lock while it holds the outbox's insert lock: the write in flight."""
    async with engine.connect() as conn:
        found = await conn.execute(
            sa.text("""
            SELECT w.pid FROM pg_locks AS w
            JOIN pg_locks AS e ON e.pid = w.pid AND e.relation = 'events'::regclass AND e.mode = 'RowExclusiveLock'
            WHERE w.relation = 'audit_log'::regclass AND NOT w.granted
              AND w.database = (SELECT oid FROM pg_database WHERE datname = current_database())""")
        )
        return found.scalar_one_or_none()


async def _gone(engine: AsyncEngine, pid: int) -> bool:
    async with engine.connect() as conn:
        found = await conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
        return int(found.scalar_one()) == 0


async def _counts(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(sa.text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status"))
    return {str(row[0]): int(row[1]) for row in rows}


async def test_kill_9_with_deliveries_pending_and_a_write_in_flight_loses_nothing_and_invents_nothing(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    admin_key = await make_key(engine, Role.ADMIN)
    (acme,) = await insert_accounts(engine, "Acme")
    env = events_env(
        database_url, tmp_path / "data", CSHUB_WEBHOOK_CONCURRENCY=str(CONCURRENCY), CSHUB_WEBHOOK_TIMEOUT_SECONDS="20"
    )
    with receiver() as receiving:
        async with engine.begin() as conn:
            created = await webhooks.create_endpoint(
                conn, webhooks.NewEndpoint(receiving.url, ["timeline.*"]), by="test", policy=AddressPolicy(True)
            )
        receiving.hold()  # a slow receiver: the posts the worker makes hang
        with serving("--no-migrate", env=env, workdir=tmp_path) as doomed:
            async with httpx.AsyncClient(base_url=doomed.base_url) as http:
                for index in range(COMMITTED):
                    await add_entry(http, admin_key, acme, f"committed {index}")
                # The worker is stuck on what it claimed (at most CONCURRENCY), the rest stays pending.
                cut_off = await _until(lambda: _claimed_and_arrived(engine, receiving), "the worker's first posts")

                async with engine.connect() as blocker:
                    await blocker.execute(sa.text("LOCK TABLE audit_log IN SHARE MODE"))
                    write = asyncio.create_task(add_entry(http, admin_key, acme, IN_FLIGHT))
                    backend = await _until(lambda: _waiting_write(engine), "the write waiting to commit")
                    doomed.process.send_signal(signal.SIGKILL)
                    assert await asyncio.to_thread(doomed.process.wait, DEADLINE_SECONDS) == -signal.SIGKILL
                    await blocker.rollback()  # the lock goes; the orphaned backend finds its client gone
                answers: list[object] = await asyncio.gather(write, return_exceptions=True)
                assert isinstance(answers[0], httpx.TransportError), answers  # never answered
        await _until(lambda: _gone(engine, backend), "the killed process's transaction to end")
        receiving.release()  # the posts in flight are answered to nobody

        async with engine.begin() as conn:
            assert await _counts(conn) == {"pending": COMMITTED}  # the killed worker delivered nothing
            assert len(cut_off) < COMMITTED
            # The posts it had claimed stay leased for 2 × timeout + 30 s; let that time pass.
            await conn.execute(
                sa.text("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending'")
            )
        with serving("--no-migrate", env=env, workdir=tmp_path):
            await _until(lambda: _all_delivered(engine), "every committed event delivered after the restart")

    events = await emitted(engine, "timeline.entry_added")
    assert sorted(event.payload["summary"] for event in events) == [f"committed {i}" for i in range(COMMITTED)]
    async with engine.connect() as conn:
        deliveries = {
            message_id(row.id): str(row.event_id)
            for row in await conn.execute(sa.text("SELECT id, event_id FROM webhook_deliveries"))
        }
        entries = await conn.execute(
            sa.text("SELECT count(*) FROM timeline_events WHERE summary = :s"), {"s": IN_FLIGHT}
        )
        assert entries.scalar_one() == 0
    arrived: Counter[str] = Counter()
    for request in receiving.received:
        message = Webhook(created.secret).verify(request.body, request.headers)
        assert message["data"]["summary"] != IN_FLIGHT
        assert deliveries[request.headers["webhook-id"]] == message["data"]["eventId"]
        arrived[request.headers["webhook-id"]] += 1
    assert set(arrived) == set(deliveries)  # every committed event, at least once…
    assert arrived == {webhook_id: 2 if webhook_id in cut_off else 1 for webhook_id in deliveries}  # …cut off: twice


async def _claimed_and_arrived(engine: AsyncEngine, receiving: Receiver) -> set[str]:
    """The webhook-ids of the deliveries claimed so far, once each of their posts has arrived (else nothing)."""
    async with engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT id FROM webhook_deliveries WHERE attempts > 0"))
        claimed = {message_id(row.id) for row in rows}
    arrived = {request.headers["webhook-id"] for request in list(receiving.received)}
    return claimed if claimed and claimed == arrived else set()


async def _all_delivered(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return await _counts(conn) == {"delivered": COMMITTED}
