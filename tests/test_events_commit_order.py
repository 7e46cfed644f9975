"""Subscriptions in commit order, over a real WebSocket: an event is sent once every older transaction of the
database has ended (committed or rolled back), so resuming after the ``sequence`` of the last event received
never misses a committed event — even when a transaction that appended a lower sequence commits later.

Two real connections write: T1 appends and stays open, T2 appends a higher sequence and commits first. The last
test reads the outbox as the hub and a resume do (service.events.commit_order): what holds events back."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from service.api_keys.roles import Role
from service.events.commit_order import START, horizon
from service.events.outbox import append_event
from service.settings import Settings
from service.subscriptions.queries import events_after
from tests.conftest import make_key
from tests.factories import insert_accounts
from tests.subscription_client import Client, client, kill_listener, served

HANDOFFS = """
subscription($after: EventSequence) {
  handoffChanged(after: $after) { eventId sequence comment }
}"""


@asynccontextmanager
async def _open(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction the test commits or rolls back itself."""
    async with engine.connect() as conn:
        await conn.begin()
        yield conn


async def _append(conn: AsyncConnection, account_id: uuid.UUID, comment: str) -> int:
    payload = {"handoffId": uuid.uuid4(), "fromState": "DRAFT", "toState": "SUBMITTED", "comment": comment}
    event_id = await append_event(conn, "handoff.submitted", payload, account_id=account_id)
    found = await conn.execute(sa.text("SELECT sequence FROM events WHERE id = :id"), {"id": event_id})
    return int(found.scalar_one())


async def _committed(engine: AsyncEngine, account_id: uuid.UUID, comment: str) -> int:
    async with engine.begin() as conn:
        return await _append(conn, account_id, comment)


async def _items(ws: Client, count: int) -> list[dict[str, Any]]:
    return [(await ws.next_data("1"))["handoffChanged"] for _ in range(count)]


async def _drain(ws: Client, quiet: float = 0.7) -> list[dict[str, Any]]:
    """Every item sent until none comes for ``quiet`` seconds."""
    items: list[dict[str, Any]] = []
    while True:
        try:
            message = await ws.receive(quiet)
        except TimeoutError:
            return items
        assert (message["type"], "errors" in message["payload"]) == ("next", False), message
        items.append(message["payload"]["data"]["handoffChanged"])


async def test_an_event_committed_before_an_older_one_waits_for_it_and_they_arrive_in_commit_order(
    engine: AsyncEngine, settings: Settings
) -> None:
    csm_key = await make_key(engine, Role.CSM)
    (account_id,) = await insert_accounts(engine, "Acme")
    async with served(settings) as app, client(app.ws_url, csm_key) as ws:
        await ws.subscribe("1", HANDOFFS)
        await app.following()  # the first subscriber fixes where the hub reads on from
        async with _open(engine) as t1:
            ten = await _append(t1, account_id, "T1")
            eleven = await _committed(engine, account_id, "T2")
            assert ten < eleven
            await ws.nothing_within(0.7)  # T2's event waits: T1, older, is still open
            await t1.commit()
        items = await _items(ws, 2)
        assert [(item["sequence"], item["comment"]) for item in items] == [(ten, "T1"), (eleven, "T2")]
        await ws.nothing_within(0.3)


async def test_resuming_after_the_last_event_received_misses_nothing_committed_late(
    engine: AsyncEngine, settings: Settings
) -> None:
    csm_key = await make_key(engine, Role.CSM)
    (account_id,) = await insert_accounts(engine, "Acme")
    first = await _committed(engine, account_id, "before")
    async with served(settings) as app:
        async with _open(engine) as t1:
            ten = await _append(t1, account_id, "T1")
            eleven = await _committed(engine, account_id, "T2")
            async with client(app.ws_url, csm_key) as ws:  # connected while T1 is open, then gone
                await ws.subscribe("1", HANDOFFS, {"after": 0})
                received = await _drain(ws)
            await t1.commit()
        async with client(app.ws_url, csm_key) as ws:  # back: after the last event it received
            await ws.subscribe("1", HANDOFFS, {"after": received[-1]["sequence"]})
            received += await _drain(ws)
    assert [(item["sequence"], item["comment"]) for item in received] == [
        (first, "before"),
        (ten, "T1"),
        (eleven, "T2"),
    ]


async def test_a_rolled_back_append_leaves_a_gap_that_holds_nothing_back(
    engine: AsyncEngine, settings: Settings
) -> None:
    csm_key = await make_key(engine, Role.CSM)
    (account_id,) = await insert_accounts(engine, "Acme")
    async with served(settings) as app, client(app.ws_url, csm_key) as ws:
        await ws.subscribe("1", HANDOFFS)
        await app.following()
        async with _open(engine) as t1:
            await _append(t1, account_id, "T1")
            eleven = await _committed(engine, account_id, "T2")
            await ws.nothing_within(0.5)
            await t1.rollback()  # no announcement: the hub looks again by itself
        (item,) = await _items(ws, 1)
        assert (item["sequence"], item["comment"]) == (eleven, "T2")
        resumed_from = await _committed(engine, account_id, "after")
        assert (await _items(ws, 1))[0]["sequence"] == resumed_from
    async with served(settings) as app, client(app.ws_url, csm_key) as ws:  # replaying across the gap
        await ws.subscribe("1", HANDOFFS, {"after": 0})
        assert [item["comment"] for item in await _drain(ws)] == ["T2", "after"]


async def test_the_hub_catching_up_after_a_lost_listener_misses_nothing_committed_late(
    engine: AsyncEngine, settings: Settings
) -> None:
    csm_key = await make_key(engine, Role.CSM)
    (account_id,) = await insert_accounts(engine, "Acme")
    async with served(settings) as app, client(app.ws_url, csm_key) as ws:
        await ws.subscribe("1", HANDOFFS)
        await app.following()
        async with _open(engine) as t1:
            await _append(t1, account_id, "T1")
            await _committed(engine, account_id, "T2")
            await asyncio.sleep(0.3)  # heard by the hub
            await kill_listener(engine)  # the listener's connection dies…
            await t1.commit()  # …and T1 commits before it is back: nobody hears it
        assert [item["comment"] for item in await _drain(ws)] == ["T1", "T2"]


async def test_a_transaction_open_in_another_database_holds_nothing_back(
    engine: AsyncEngine, settings: Settings, server_url: str
) -> None:
    csm_key = await make_key(engine, Role.CSM)
    (account_id,) = await insert_accounts(engine, "Acme")
    elsewhere = create_async_engine(server_url)
    try:
        async with served(settings) as app, client(app.ws_url, csm_key) as ws, _open(elsewhere) as other:
            await ws.subscribe("1", HANDOFFS)
            await app.following()
            await other.execute(sa.text("SELECT pg_current_xact_id()"))  # it has a transaction id, and stays open
            sequence = await _committed(engine, account_id, "here")
            (item,) = await _items(ws, 1)
            assert item["sequence"] == sequence
            await other.rollback()
    finally:
        await elsewhere.dispose()


async def test_resuming_after_a_sequence_no_event_has_is_refused(engine: AsyncEngine, settings: Settings) -> None:
    csm_key = await make_key(engine, Role.CSM)
    async with served(settings) as app, client(app.ws_url, csm_key) as ws:
        await ws.subscribe("1", HANDOFFS, {"after": 12345})
        message = await ws.receive()
        assert (message["type"], message["payload"]["data"]) == ("next", None), message
        assert message["payload"]["errors"][0]["message"] == (
            "no event has sequence 12345: resume after the `sequence` of an event received (0: from the start)"
        )


async def _readable(engine: AsyncEngine) -> list[str]:
    """The comments of the events a reader may hand out now (below the horizon), in commit order."""
    async with engine.connect() as conn:
        final = await horizon(conn)
        rows = await events_after(conn, START, final.tx_id, prefixes=("",))
    return [row.payload["comment"] for row in rows]


async def test_only_an_open_transaction_that_wrote_holds_events_back(engine: AsyncEngine) -> None:
    (account_id,) = await insert_accounts(engine, "Acme")
    async with _open(engine) as reading:  # a long read (no transaction id): holds nothing back
        await reading.execute(sa.text("SELECT count(*) FROM accounts"))
        await _committed(engine, account_id, "while reading")
        assert await _readable(engine) == ["while reading"]
    async with _open(engine) as writing:  # a write of anything: later commits wait for it
        await writing.execute(sa.text("UPDATE accounts SET name = 'Acme Corp'"))
        await _committed(engine, account_id, "while writing")
        assert await _readable(engine) == ["while reading"]
        await writing.commit()
    assert await _readable(engine) == ["while reading", "while writing"]
