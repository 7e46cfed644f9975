"""The process's one listener on ``cshub_events`` and its fan-out to subscribers (``EventHub``).

Every event appended to the outbox is announced at commit (migration ``0011_events_notify``), by whichever
process or replica wrote it. The hub holds one dedicated asyncpg connection that LISTENs; an announcement only
wakes it. Awake, it reads the outbox after the last event it fanned out, in commit order and below the horizon
(``service.events.commit_order``), and offers each event to every subscriber whose filter matches. So events go
out in one order that never goes back, and an event committed while an older transaction of the database is
still open waits for it: once it has ended (its own events then come first). While committed events wait, the
hub looks again after a short pause, growing to a second — a transaction that rolls back, or that appends
nothing, announces nothing. A subscriber's queue is bounded: when it is full the subscriber is dropped (its
``on_drop`` closes its WebSocket) and the others go on — the hub never waits for a consumer.

The listening connection is watched: when it is lost the hub connects again (with a growing pause) and reads
what was committed meanwhile, from where it was. A hub without subscribers reads nothing.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from service.background import BackgroundTask
from service.events.commit_order import Position, head, horizon
from service.subscriptions.queries import CATCH_UP_PAGE, EventRow, events_after

logger = logging.getLogger("cshub.subscriptions")

CHANNEL = "cshub_events"
APPLICATION_NAME = "cshub-event-listener"  # how the LISTEN connection shows in pg_stat_activity
RECONNECT_PAUSES = (0.1, 0.5, 1, 2, 5)  # seconds before each further attempt (the last one repeats)
HELD_BACK_PAUSES = (0.05, 0.1, 0.2, 0.5, 1)  # seconds before looking again while committed events wait


# The process-long task reading announced events (named, so tools can tell it from a request's work).
PUMP_TASK_NAME = "cshub-event-hub-pump"


class SlowConsumer(Exception):
    """The subscriber's queue filled up: it was dropped."""


@dataclass(eq=False)
class Subscriber:
    matches: Callable[[EventRow], bool]
    on_drop: Callable[[], Coroutine[Any, Any, None]]
    queue: asyncio.Queue[EventRow]
    dropped: asyncio.Event = field(default_factory=asyncio.Event)

    async def get(self) -> EventRow:
        """The next event; ``SlowConsumer`` once the subscriber has been dropped."""
        if self.dropped.is_set():
            raise SlowConsumer
        if not self.queue.empty():
            return self.queue.get_nowait()
        getting = asyncio.ensure_future(self.queue.get())
        dropping = asyncio.ensure_future(self.dropped.wait())
        try:
            await asyncio.wait((getting, dropping), return_when=asyncio.FIRST_COMPLETED)
        finally:
            dropping.cancel()
            if not getting.done():
                getting.cancel()
        if getting.done() and not getting.cancelled():
            return getting.result()
        raise SlowConsumer


@dataclass(frozen=True, slots=True)
class Live:
    """What a subscription on one WebSocket needs: the process's hub, and how to drop this connection."""

    hub: "EventHub"
    slow_consumer: Callable[[], Coroutine[Any, Any, None]]  # closes the WebSocket (4429) when a subscriber fell behind


def listen_url(engine: AsyncEngine) -> str:
    """The engine's database as a plain ``postgresql://`` address asyncpg connects to itself."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class EventHub:
    def __init__(self, engine: AsyncEngine, *, queue_size: int) -> None:
        self.engine = engine
        self.queue_size = queue_size
        self.subscribers: set[Subscriber] = set()
        self._stirred = asyncio.Event()  # something was announced, or the connection is new: read
        self._position: Position | None = None  # of the last event fanned out; None while nobody subscribes
        self._background = BackgroundTask("cshub-event-hub")
        self._closing: set[asyncio.Task[None]] = set()  # held until done: the loop keeps only weak references
        self.listening = asyncio.Event()  # set while the LISTEN connection is up

    def start(self) -> None:
        self._background.start(self._run)

    def following(self) -> int:
        """The subscriptions that receive every event committed from now on (until the first one's starting point
        is read, none)."""
        return len(self.subscribers) if self._position is not None else 0

    async def stop(self) -> None:
        await self._background.stop()
        for subscriber in list(self.subscribers):
            subscriber.dropped.set()

    @contextlib.asynccontextmanager
    async def subscribe(
        self, matches: Callable[[EventRow], bool], on_drop: Callable[[], Coroutine[Any, Any, None]]
    ) -> AsyncIterator[Subscriber]:
        """A subscriber receiving every matching event after the hub's position (in commit order) until the block
        ends: the events committed from now on, and any committed earlier but still held back by an open one."""
        subscriber = Subscriber(matches, on_drop, asyncio.Queue(self.queue_size))
        self.subscribers.add(subscriber)
        try:
            if self._position is None:  # the first subscriber: the hub reads on from the outbox's final part
                async with self.engine.connect() as conn:
                    position = await head(conn, (await horizon(conn)).tx_id)
                if self._position is None:
                    self._position = position
                self._stirred.set()  # events may be waiting above the horizon already
            yield subscriber
        finally:
            self.subscribers.discard(subscriber)

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._listen()
            except Exception as error:  # whatever broke it (network, database, a read): listen again
                if self.listening.is_set():
                    attempt = 0  # it had been up: the pauses start again
                self.listening.clear()
                pause = RECONNECT_PAUSES[min(attempt, len(RECONNECT_PAUSES) - 1)]
                logger.warning("event listener lost its connection; again in %s s", pause, exc_info=error)
                attempt += 1
                await asyncio.sleep(pause)

    async def _listen(self) -> None:
        lost = asyncio.Event()
        conn = await asyncpg.connect(
            listen_url(self.engine), timeout=10, server_settings={"application_name": APPLICATION_NAME}
        )
        try:
            conn.add_termination_listener(lambda _: lost.set())
            await conn.add_listener(CHANNEL, self._heard)
            self.listening.set()
            self._stirred.set()  # whatever was committed while no connection listened
            pump = asyncio.create_task(self._pump(), name=PUMP_TASK_NAME)
            pump.add_done_callback(lambda _: lost.set())  # a failed read: listen again, and catch up
            try:
                await lost.wait()
            finally:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
        finally:
            if not conn.is_closed():
                await conn.close(timeout=2)
        raise ConnectionError("the event listener's connection closed")

    def _heard(self, _conn: object, _pid: int, _channel: str, _payload: object) -> None:
        self._stirred.set()  # the payload (the event's id) is not needed: the hub reads on from its position

    async def _pump(self) -> None:
        waited = 0  # reads in a row that left committed events held back
        while True:
            if waited:
                pause = HELD_BACK_PAUSES[min(waited, len(HELD_BACK_PAUSES)) - 1]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stirred.wait(), pause)
            else:
                await self._stirred.wait()
            self._stirred.clear()
            if not self.subscribers:
                self._position = None  # nobody to tell, and nobody to catch up for: no read at all
                waited = 0
                continue
            waited = waited + 1 if await self._read_on() else 0

    async def _read_on(self) -> bool:
        """Fan out every event after the hub's position that is below the horizon; whether committed events
        still wait above it."""
        while self._position is not None:
            async with self.engine.connect() as conn:
                final = await horizon(conn)
                rows = await events_after(conn, self._position, final.tx_id, prefixes=("",))
            self._fan_out(rows)
            if len(rows) < CATCH_UP_PAGE:
                return final.held_back
        return False

    def _fan_out(self, rows: list[EventRow]) -> None:
        for row in rows:
            self._position = row.position
            for subscriber in list(self.subscribers):
                if subscriber.dropped.is_set() or not subscriber.matches(row):
                    continue
                try:
                    subscriber.queue.put_nowait(row)
                except asyncio.QueueFull:
                    self._drop(subscriber)

    def _drop(self, subscriber: Subscriber) -> None:
        subscriber.dropped.set()
        self.subscribers.discard(subscriber)
        task = asyncio.create_task(subscriber.on_drop())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        task.add_done_callback(_log_failure)


def _log_failure(task: "asyncio.Task[None]") -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.warning("closing a dropped subscriber failed", exc_info=error)
