"""The ``Subscription`` root fields: outbox events by kind, filtered by account and CSM owner, resumable.

Events are sent in commit order (``service.events.commit_order``): an event is sent once every transaction of
the database older than its own has ended (committed or rolled back), so resuming after the ``sequence`` of the
last event received never misses a committed event. A subscription registers with the process's hub *before* it
reads the outbox after ``after``, so an event committed meanwhile is both queued and read: the live part skips
what is not after the last event sent (no duplicate), and nothing committed after the registration can be
missed (no gap). Without ``after`` only events committed from the subscription on are sent (and any committed
just before it that were still held back by an older transaction).
"""

from collections.abc import AsyncGenerator, Callable
from typing import Annotated, TypeVar

import strawberry

from service.events.commit_order import Position, horizon, resume_position
from service.graphql.context import Context
from service.graphql.relay import decode_typed_id
from service.subscriptions.hub import Live, SlowConsumer
from service.subscriptions.queries import CATCH_UP_PAGE, EventRow, events_after
from service.subscriptions.types import (
    AlertOpenedEvent,
    EventSequence,
    HandoffChangedEvent,
    HealthChangedEvent,
    TimelineAddedEvent,
)

T = TypeVar("T")

AccountArgument = Annotated[
    strawberry.ID | None, strawberry.argument(description="Only events of this account (global id).")
]
CsmOwnerArgument = Annotated[
    str | None, strawberry.argument(description="Only events of accounts this CSM owns (as in `Account.csmOwner`).")
]
AfterArgument = Annotated[
    EventSequence | None,
    strawberry.argument(
        description="Resume: first send the matching events after the event of this `sequence` (the last one "
        "received; 0: from the start), read from the outbox, then live ones. Nothing committed is missed."
    ),
]


async def _events(
    info: strawberry.Info[Context],
    prefixes: tuple[str, ...],
    account_id: strawberry.ID | None,
    csm_owner: str | None,
    after: int | None,
    build: Callable[[EventRow], T],
) -> AsyncGenerator[T, None]:
    account = decode_typed_id(account_id, "Account") if account_id is not None else None
    live: Live = info.context.live

    def matches(row: EventRow) -> bool:
        return (
            row.type.startswith(prefixes)
            and (account is None or row.account_id == account)
            and (csm_owner is None or row.csm_owner == csm_owner)
        )

    async with live.hub.subscribe(matches, live.slow_consumer) as subscriber:
        sent: Position | None = None  # the last event sent
        if after is not None:
            async with info.context.read() as conn:
                sent = await resume_position(conn, after)
            while True:
                async with info.context.read() as conn:
                    final = await horizon(conn)
                    rows = await events_after(
                        conn, sent, final.tx_id, prefixes=prefixes, account_id=account, csm_owner=csm_owner
                    )
                for row in rows:
                    sent = row.position
                    yield build(row)
                if len(rows) < CATCH_UP_PAGE:
                    break
        while True:
            try:
                row = await subscriber.get()
            except SlowConsumer:
                return  # dropped: its WebSocket is being closed (4429)
            if sent is not None and row.position <= sent:
                continue  # replayed already
            yield build(row)


async def alert_opened(
    info: strawberry.Info[Context],
    account_id: AccountArgument = None,
    csm_owner: CsmOwnerArgument = None,
    after: AfterArgument = None,
) -> AsyncGenerator[AlertOpenedEvent, None]:
    async for item in _events(info, ("alert.opened",), account_id, csm_owner, after, AlertOpenedEvent.from_row):
        yield item


async def health_changed(
    info: strawberry.Info[Context],
    account_id: AccountArgument = None,
    csm_owner: CsmOwnerArgument = None,
    after: AfterArgument = None,
) -> AsyncGenerator[HealthChangedEvent, None]:
    prefixes = ("health.band_changed",)
    async for item in _events(info, prefixes, account_id, csm_owner, after, HealthChangedEvent.from_row):
        yield item


async def handoff_changed(
    info: strawberry.Info[Context],
    account_id: AccountArgument = None,
    csm_owner: CsmOwnerArgument = None,
    after: AfterArgument = None,
) -> AsyncGenerator[HandoffChangedEvent, None]:
    async for item in _events(info, ("handoff.",), account_id, csm_owner, after, HandoffChangedEvent.from_row):
        yield item


async def timeline_added(
    info: strawberry.Info[Context],
    account_id: AccountArgument = None,
    csm_owner: CsmOwnerArgument = None,
    after: AfterArgument = None,
) -> AsyncGenerator[TimelineAddedEvent, None]:
    prefixes = ("timeline.entry_added",)
    async for item in _events(info, prefixes, account_id, csm_owner, after, TimelineAddedEvent.from_row):
        yield item


@strawberry.type(description="Events as they happen, over WebSocket (graphql-transport-ws at /graphql).")
class Subscription:
    alert_opened: AsyncGenerator[AlertOpenedEvent, None] = strawberry.subscription(
        resolver=alert_opened, description="Alerts opened by the hub's rules (`alert.opened`)."
    )
    health_changed: AsyncGenerator[HealthChangedEvent, None] = strawberry.subscription(
        resolver=health_changed, description="Health scores moving to another band (`health.band_changed`)."
    )
    handoff_changed: AsyncGenerator[HandoffChangedEvent, None] = strawberry.subscription(
        resolver=handoff_changed,
        description="Handoff workflow steps (`handoff.submitted`, `.accepted`, `.returned`, …).",
    )
    timeline_added: AsyncGenerator[TimelineAddedEvent, None] = strawberry.subscription(
        resolver=timeline_added,
        description="Touchpoints recorded on timelines, added in the hub or ingested (`timeline.entry_added`); "
        "entries derived from contracts, tickets, handoffs… come with their own subscriptions or none.",
    )
