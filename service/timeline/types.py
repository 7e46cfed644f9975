"""GraphQL types of the account timeline, mapped from ``TimelineRow`` here."""

import dataclasses
import uuid
from datetime import datetime
from enum import Enum

import strawberry

from service.db_paging import UNPAGED
from service.graphql.context import Context
from service.graphql.relay import PageInfo, encode_cursor, encode_global_id
from service.timeline.queries import TimelineQuery, TimelineRow

TIMELINE_EVENT_TYPE_NAME = "TimelineEvent"


@strawberry.enum(description="What kind of touchpoint a timeline entry records.")
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


@strawberry.type(description="One entry on an account's timeline: a meeting, call, note, escalation…")
class TimelineEvent:
    id: strawberry.ID = strawberry.field(description="Global id of the entry.")
    kind: TimelineKind = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(description="When it happened (UTC).")
    summary: str = strawberry.field(description="What was said or done.")
    actor: str | None = strawberry.field(description="Who did it, when known.")
    source: str | None = strawberry.field(description="The system it came from, when ingested.")

    @classmethod
    def from_row(cls, row: TimelineRow) -> "TimelineEvent":
        return cls(
            id=encode_global_id(TIMELINE_EVENT_TYPE_NAME, row.id),
            kind=TimelineKind(row.kind),
            occurred_at=row.occurred_at,
            summary=row.summary,
            actor=row.actor,
            source=row.source,
        )


@strawberry.type(description="A timeline entry and its cursor in a connection.")
class TimelineEventEdge:
    node: TimelineEvent = strawberry.field(description="The entry.")
    cursor: str = strawberry.field(description="Opaque cursor; pass it as `after` to continue after this item.")


async def _total_entries(root: "TimelineEventConnection", info: strawberry.Info[Context]) -> int:
    unpaged = dataclasses.replace(root.query, page=UNPAGED)
    return await info.context.loaders.timeline_counts.load((root.account_id, unpaged))


@strawberry.type(description="A page of timeline entries, newest first (Relay connection).")
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
