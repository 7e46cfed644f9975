"""GraphQL types of the account timeline (recorded touchpoints and entries derived from the hub's records),
mapped from ``TimelineRow`` here."""

import dataclasses
import uuid
from datetime import datetime
from enum import Enum

import strawberry

from service.db.paging import UNPAGED
from service.graphql.context import Context
from service.graphql.relay import PageInfo, encode_cursor, encode_global_id
from service.timeline import queries
from service.timeline.queries import TimelineQuery, TimelineRow

TIMELINE_EVENT_TYPE_NAME = "TimelineEvent"


@strawberry.enum(
    description="What a timeline entry records: a touchpoint (MEETING … OTHER, ingested or added with "
    "`addTimelineEntry`) or something the hub derives from its own records (CONTRACT_STARTED … "
    "HEALTH_BAND_CHANGED, read-only)."
)
class TimelineKind(Enum):
    MEETING = strawberry.enum_value("meeting", description="A meeting with the customer.")
    QBR = strawberry.enum_value("qbr", description="Quarterly business review.")
    CALL = strawberry.enum_value("call", description="A phone or video call.")
    EMAIL = strawberry.enum_value("email", description="An e-mail exchange.")
    NOTE = strawberry.enum_value("note", description="An internal note about the customer.")
    KICKOFF = strawberry.enum_value("kickoff", description="The kickoff meeting after the deal.")
    ONBOARDING = strawberry.enum_value("onboarding", description="An onboarding session or milestone.")
    ESCALATION = strawberry.enum_value("escalation", description="An escalation (complaint, executive involvement).")
    RENEWAL = strawberry.enum_value("renewal", description="A renewal conversation or decision.")
    HANDOFF = strawberry.enum_value("handoff", description="The sales-to-CSM handoff.")
    OTHER = strawberry.enum_value("other", description="Any other touchpoint.")
    CONTRACT_STARTED = strawberry.enum_value(
        "contract_started", description="Derived: a contract started (its start date, midnight UTC)."
    )
    CONTRACT_RENEWED = strawberry.enum_value(
        "contract_renewed",
        description="Derived: a contract started the day an earlier contract of the account ended — a renewal.",
    )
    CONTRACT_ENDED = strawberry.enum_value(
        "contract_ended", description="Derived: a contract reached its (exclusive) end date and no renewal followed."
    )
    TICKET_OPENED = strawberry.enum_value("ticket_opened", description="Derived: the customer opened a ticket.")
    TICKET_SOLVED = strawberry.enum_value("ticket_solved", description="Derived: support solved a ticket.")
    SURVEY_ANSWERED = strawberry.enum_value(
        "survey_answered", description="Derived: a contact answered an NPS or CSAT survey."
    )
    HANDOFF_TRANSITION = strawberry.enum_value(
        "handoff_transition", description="Derived: a sales-to-CSM handoff moved to another state."
    )
    HEALTH_BAND_CHANGED = strawberry.enum_value(
        "health_band_changed", description="Derived: a health score moved to another band (e.g. yellow → red)."
    )


@strawberry.enum(description="Which record a timeline entry comes from.")
class TimelineOrigin(Enum):
    RECORDED = strawberry.enum_value(
        "recorded", description="Recorded as a touchpoint: ingested from a source system or added in the hub."
    )
    CONTRACT = strawberry.enum_value("contract", description="Derived from a contract's dates.")
    TICKET = strawberry.enum_value("ticket", description="Derived from a support ticket.")
    SURVEY = strawberry.enum_value("survey", description="Derived from a survey response.")
    HANDOFF = strawberry.enum_value("handoff", description="Derived from a handoff's workflow events.")
    HEALTH = strawberry.enum_value("health", description="Derived from the account's health score history.")


@strawberry.type(
    description="One entry on an account's timeline: a meeting, call, note, escalation… or a contract, ticket, "
    "survey, handoff or health event the hub knows of."
)
class TimelineEvent:
    id: strawberry.ID = strawberry.field(
        description="Global id of the entry; stable across reads, derived entries included."
    )
    kind: TimelineKind = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(
        description="When it happened (UTC); entries of a day (contract dates) at its midnight UTC."
    )
    summary: str = strawberry.field(description="What was said or done, in one line for derived entries.")
    actor: str | None = strawberry.field(
        description="Who did it, when known: the person recorded, the handoff's actor, the survey respondent's "
        "e-mail; null for what no person did (contract dates, health changes).",
    )
    source: str | None = strawberry.field(
        description="The system it came from: the source system of an ingested entry or of the contract, ticket "
        "or survey it derives from; `cshub` for what was added or computed in the hub."
    )
    origin: TimelineOrigin = strawberry.field(description="Which record the entry comes from.")

    @classmethod
    def from_row(cls, row: TimelineRow) -> "TimelineEvent":
        return cls(
            id=encode_global_id(TIMELINE_EVENT_TYPE_NAME, row.id),
            kind=TimelineKind(row.kind),
            occurred_at=row.occurred_at,
            summary=row.summary,
            actor=row.actor,
            source=row.source,
            origin=TimelineOrigin(row.origin),
        )


@strawberry.type(description="A timeline entry and its cursor in a connection.")
class TimelineEventEdge:
    node: TimelineEvent = strawberry.field(description="The entry.")
    cursor: str = strawberry.field(description="Opaque cursor; pass it as `after` to continue after this item.")


async def _total_entries(root: "TimelineEventConnection", info: strawberry.Info[Context]) -> int:
    unpaged = dataclasses.replace(root.query, page=UNPAGED)
    return await info.context.batch(queries.timeline_counts_as_of, int).load(
        (root.account_id, (unpaged, info.context.loaders.today))
    )


@strawberry.type(
    description="A page of timeline entries, newest first (ties in time by id; Relay connection). A cursor "
    "is a position in the account's whole timeline, so it stays valid under another `kinds` filter."
)
class TimelineEventConnection:
    edges: list[TimelineEventEdge] = strawberry.field(description="The entries of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Pagination state of this page.")
    account_id: strawberry.Private[uuid.UUID]
    query: strawberry.Private[TimelineQuery]

    total_count: int = strawberry.field(
        resolver=_total_entries,
        description="Number of entries over all pages (under the same filter); costs an extra count, so ask only "
        "when needed.",
    )


def timeline_edge(row: TimelineRow) -> TimelineEventEdge:
    return TimelineEventEdge(
        node=TimelineEvent.from_row(row), cursor=encode_cursor((row.occurred_at.isoformat(), row.id))
    )


@strawberry.input(description="A touchpoint to record on an account's timeline.")
class AddTimelineEntryInput:
    account_id: strawberry.ID = strawberry.field(description="Global id of the account.")
    kind: TimelineKind = strawberry.field(
        description="What kind of touchpoint: MEETING … OTHER. Derived kinds (CONTRACT_STARTED …) are refused."
    )
    occurred_at: datetime = strawberry.field(description="When it happened, with a time zone; at most a day ahead.")
    summary: str = strawberry.field(description="What was said or done: 1 to 2000 characters once trimmed.")
