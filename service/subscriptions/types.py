"""What a subscription delivers: one typed object per kind of event, each with the outbox's fields of the event.

Every item carries ``eventId``, ``sequence`` (pass the last one seen back as ``after`` to resume), ``type``,
``occurredAt``, ``accountId`` and ``actor``; then the object the event is about, read when the item is sent
(``alert``, ``handoff``: the existing types, with their own masking) and the event's own figures. A timeline
entry is sent as it was recorded (``entry``: the ``TimelineEvent`` type, masked as in queries).
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, NewType

import strawberry

from service.graphql.context import Context
from service.graphql.relay import encode_global_id
from service.handoffs.enums import HandoffState
from service.handoffs.resolvers import handoff_by_uuid
from service.handoffs.types import Handoff
from service.health_scores.alert_types import Alert
from service.health_scores.types import HealthBand
from service.subscriptions.queries import EventRow, alert_by_id
from service.timeline.queries import TimelineRow
from service.timeline.types import TimelineEvent


def _sequence(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError("an event sequence is a whole number, 0 or more (the `sequence` of an event received)")
    return int(value)


EventSequence = NewType("EventSequence", int)
# Registered with the schema's scalar overrides (service.api.schema): an outbox sequence is a bigint, past
# GraphQL's 32-bit Int.
EVENT_SEQUENCE = strawberry.scalar(
    name="EventSequence",
    description="The number an event got when appended to the outbox (increasing in append order; gaps where a "
    "write rolled back). Events are sent in commit order, which differs from it when writes overlap: resume after "
    "the last one received. A JSON number below 2^53.",
    serialize=int,
    parse_value=_sequence,
)


def _event_fields(row: EventRow) -> dict[str, Any]:
    return {
        "event_id": strawberry.ID(str(row.id)),
        "sequence": row.sequence,
        "type": row.type,
        "occurred_at": row.occurred_at,
        "account_id": encode_global_id("Account", row.account_id) if row.account_id else None,
        "actor": row.actor,
    }


def _uuid(payload: dict[str, Any], key: str) -> uuid.UUID:
    return uuid.UUID(str(payload[key]))


async def _alert(root: "AlertOpenedEvent", info: strawberry.Info[Context]) -> Alert | None:
    async with info.context.read() as conn:
        row = await alert_by_id(conn, root._alert_uuid)
    return Alert.from_row(row) if row else None


async def _handoff(root: "HandoffChangedEvent", info: strawberry.Info[Context]) -> Handoff | None:
    return await handoff_by_uuid(info, root._handoff_uuid)


@strawberry.type(description="An alert was opened on an account (event `alert.opened`).")
class AlertOpenedEvent:
    event_id: strawberry.ID = strawberry.field(description="Id of the event in the outbox.")
    sequence: EventSequence = strawberry.field(description="Its number in the outbox; resume with `after: sequence`.")
    type: str = strawberry.field(description="The catalogue's event type: `alert.opened`.")
    occurred_at: dt.datetime = strawberry.field(description="When it happened (UTC).")
    account_id: strawberry.ID | None = strawberry.field(description="Global id of the account.")
    actor: str | None = strawberry.field(description="Who caused it; null for the hub's own rules.")
    alert_id: strawberry.ID = strawberry.field(description="Global id of the alert.")

    alert: Alert | None = strawberry.field(
        resolver=_alert, description="The alert as it is now (null once it no longer exists)."
    )
    _alert_uuid: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: EventRow) -> "AlertOpenedEvent":
        alert_id = _uuid(row.payload, "alertId")
        return cls(**_event_fields(row), alert_id=encode_global_id("Alert", alert_id), _alert_uuid=alert_id)


@strawberry.type(description="An account's health score moved to another band (event `health.band_changed`).")
class HealthChangedEvent:
    event_id: strawberry.ID = strawberry.field(description="Id of the event in the outbox.")
    sequence: EventSequence = strawberry.field(description="Its number in the outbox; resume with `after: sequence`.")
    type: str = strawberry.field(description="The catalogue's event type: `health.band_changed`.")
    occurred_at: dt.datetime = strawberry.field(description="When the score was computed (UTC).")
    account_id: strawberry.ID | None = strawberry.field(description="Global id of the account.")
    actor: str | None = strawberry.field(description="Who caused it; null for the hub's own rules.")
    score_name: str = strawberry.field(description="The score (scorecard) that moved.")
    from_band: HealthBand | None = strawberry.field(description="The band before; null when there was none.")
    to_band: HealthBand | None = strawberry.field(description="The band now; null when there is no score.")
    score: Decimal | None = strawberry.field(description="The new score, 0–100.")

    @classmethod
    def from_row(cls, row: EventRow) -> "HealthChangedEvent":
        p = row.payload
        return cls(
            **_event_fields(row),
            score_name=p["scoreName"],
            from_band=HealthBand(p["fromBand"]) if p.get("fromBand") else None,
            to_band=HealthBand(p["toBand"]) if p.get("toBand") else None,
            score=Decimal(str(p["score"])) if p.get("score") is not None else None,
        )


@strawberry.type(description="A handoff took a workflow step (events `handoff.submitted`, `.accepted`, …).")
class HandoffChangedEvent:
    event_id: strawberry.ID = strawberry.field(description="Id of the event in the outbox.")
    sequence: EventSequence = strawberry.field(description="Its number in the outbox; resume with `after: sequence`.")
    type: str = strawberry.field(description="The catalogue's event type, e.g. `handoff.accepted`.")
    occurred_at: dt.datetime = strawberry.field(description="When the step was taken (UTC).")
    account_id: strawberry.ID | None = strawberry.field(description="Global id of the account.")
    actor: str | None = strawberry.field(description="Who took the step.")
    handoff_id: strawberry.ID = strawberry.field(description="Global id of the handoff.")
    from_state: HandoffState = strawberry.field(description="The state before the step.")
    to_state: HandoffState = strawberry.field(description="The state after it.")
    comment: str | None = strawberry.field(description="The comment left with the step (a return's reason).")

    handoff: Handoff | None = strawberry.field(resolver=_handoff, description="The handoff as it is now.")
    _handoff_uuid: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: EventRow) -> "HandoffChangedEvent":
        p = row.payload
        handoff_id = _uuid(p, "handoffId")
        return cls(
            **_event_fields(row),
            handoff_id=encode_global_id("Handoff", handoff_id),
            from_state=HandoffState(p["fromState"]),
            to_state=HandoffState(p["toState"]),
            comment=p.get("comment"),
            _handoff_uuid=handoff_id,
        )


@strawberry.type(description="A touchpoint was recorded on an account's timeline (event `timeline.entry_added`).")
class TimelineAddedEvent:
    event_id: strawberry.ID = strawberry.field(description="Id of the event in the outbox.")
    sequence: EventSequence = strawberry.field(description="Its number in the outbox; resume with `after: sequence`.")
    type: str = strawberry.field(description="The catalogue's event type: `timeline.entry_added`.")
    occurred_at: dt.datetime = strawberry.field(description="When the entry was recorded in the hub (UTC).")
    account_id: strawberry.ID | None = strawberry.field(description="Global id of the account.")
    actor: str | None = strawberry.field(description="Who added it in the hub; null for an ingested entry.")
    entry: TimelineEvent = strawberry.field(
        description="The entry as it was recorded (as `Account.timeline` lists it; `occurredAt` is when the "
        "touchpoint happened)."
    )

    @classmethod
    def from_row(cls, row: EventRow) -> "TimelineAddedEvent":
        p = row.payload
        recorded = TimelineRow(
            id=_uuid(p, "timelineEntryId"),
            account_id=row.account_id or _uuid(p, "timelineEntryId"),
            kind=p["kind"],
            occurred_at=dt.datetime.fromisoformat(p["entryOccurredAt"]),
            summary=p["summary"],
            actor=p.get("entryActor"),
            source=p.get("source"),
            origin="recorded",
        )
        return cls(**_event_fields(row), entry=TimelineEvent.from_row(recorded))
