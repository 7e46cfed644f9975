"""GraphQL types of support tickets (with SLA durations), mapped from ``TicketRow`` here."""

import dataclasses
import uuid
from datetime import datetime
from enum import Enum

import strawberry

from service.db.paging import UNPAGED
from service.graphql.context import Context
from service.graphql.relay import Node, PageInfo, encode_cursor, encode_global_id
from service.tickets import queries
from service.tickets.queries import TicketQuery, TicketRow

TICKET_TYPE_NAME = "Ticket"


@strawberry.enum(description="Where a ticket is in the support desk's workflow.")
class TicketStatus(Enum):
    NEW = strawberry.enum_value("new", description="Opened, not yet picked up.")
    OPEN = strawberry.enum_value("open", description="Being worked on.")
    PENDING = strawberry.enum_value("pending", description="Waiting for the customer.")
    ON_HOLD = strawberry.enum_value("on_hold", description="Waiting for a third party or an internal team.")
    SOLVED = strawberry.enum_value("solved", description="Solved; may still be reopened.")
    CLOSED = strawberry.enum_value("closed", description="Closed for good.")


@strawberry.enum(description="Support priority.")
class TicketPriority(Enum):
    LOW = strawberry.enum_value("low", description="Low priority.")
    NORMAL = strawberry.enum_value("normal", description="Normal priority.")
    HIGH = strawberry.enum_value("high", description="High priority.")
    URGENT = strawberry.enum_value("urgent", description="Urgent: business-critical for the customer.")


@strawberry.enum(description="What the ticket is about.")
class TicketCategory(Enum):
    BUG = strawberry.enum_value("bug", description="Something does not work as documented.")
    QUESTION = strawberry.enum_value("question", description="How-to question.")
    FEATURE_REQUEST = strawberry.enum_value("feature_request", description="A capability the customer asks for.")
    INCIDENT = strawberry.enum_value("incident", description="Outage or service degradation.")
    BILLING = strawberry.enum_value("billing", description="Invoices, payments, plan changes.")
    OTHER = strawberry.enum_value("other", description="Anything else.")


@strawberry.input(description="Narrow an account's tickets; conditions combine with AND.")
class TicketFilter:
    status: list[TicketStatus] | None = strawberry.field(default=None, description="Only these states.")
    priority: list[TicketPriority] | None = strawberry.field(default=None, description="Only these priorities.")
    category: list[TicketCategory] | None = strawberry.field(default=None, description="Only these categories.")
    open: bool = strawberry.field(default=False, description="Only tickets not yet solved or closed.")
    opened_from: datetime | None = strawberry.field(default=None, description="Opened at or after this time.")
    opened_before: datetime | None = strawberry.field(default=None, description="Opened before this time.")


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else int((end - start).total_seconds())


@strawberry.type(description="A support ticket, with the SLA durations CS teams watch.")
class Ticket(Node):
    subject: str | None = strawberry.field(description="Subject line.")
    status: TicketStatus = strawberry.field(description="Workflow state.")
    priority: TicketPriority | None = strawberry.field(description="Priority, when the desk sets one.")
    category: TicketCategory | None = strawberry.field(description="Category, when the desk sets one.")
    opened_at: datetime = strawberry.field(description="When the customer opened it (UTC).")
    first_response_at: datetime | None = strawberry.field(description="First answer from support (UTC).")
    solved_at: datetime | None = strawberry.field(description="When it was solved (UTC).")
    csat: int | None = strawberry.field(description="The customer's satisfaction rating, 1 (worst) to 5.")
    time_to_first_response_seconds: int | None = strawberry.field(
        description="Seconds from opening to the first response; null while unanswered."
    )
    time_to_resolution_seconds: int | None = strawberry.field(
        description="Seconds from opening to solved; null while unsolved."
    )
    ticket_id: strawberry.Private[uuid.UUID]
    account_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: TicketRow) -> "Ticket":
        return cls(
            id=encode_global_id(TICKET_TYPE_NAME, row.id),
            subject=row.subject,
            status=TicketStatus(row.status),
            priority=TicketPriority(row.priority) if row.priority else None,
            category=TicketCategory(row.category) if row.category else None,
            opened_at=row.opened_at,
            first_response_at=row.first_response_at,
            solved_at=row.solved_at,
            csat=row.csat,
            time_to_first_response_seconds=_seconds(row.opened_at, row.first_response_at),
            time_to_resolution_seconds=_seconds(row.opened_at, row.solved_at),
            ticket_id=row.id,
            account_id=row.account_id,
        )


@strawberry.type(description="A ticket and its cursor in a connection.")
class TicketEdge:
    node: Ticket = strawberry.field(description="The ticket.")
    cursor: str = strawberry.field(description="Opaque cursor; pass it as `after` to continue after this item.")


async def _total_tickets(root: "TicketConnection", info: strawberry.Info[Context]) -> int:
    unpaged = dataclasses.replace(root.query, page=UNPAGED)
    return await info.context.batch(queries.ticket_counts, int).load((root.account_id, unpaged))


@strawberry.type(description="A page of tickets, newest first (Relay connection).")
class TicketConnection:
    edges: list[TicketEdge] = strawberry.field(description="The tickets of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Pagination state of this page.")
    account_id: strawberry.Private[uuid.UUID]
    query: strawberry.Private[TicketQuery]

    total_count: int = strawberry.field(
        resolver=_total_tickets,
        description="Number of tickets over all pages (under the same filter); costs an extra count, so ask only "
        "when needed.",
    )


def ticket_edge(row: TicketRow) -> TicketEdge:
    return TicketEdge(node=Ticket.from_row(row), cursor=encode_cursor((row.opened_at.isoformat(), row.id)))
