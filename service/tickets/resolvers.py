"""Resolvers of the tickets domain: an account's ticket connection, and a ticket by id."""

import uuid
from collections.abc import Sequence
from enum import Enum
from typing import Annotated

import strawberry

from service.db.paging import PageRequest
from service.graphql.context import Context
from service.graphql.relay import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    OfAccount,
    decode_time_cursor,
    decode_typed_id,
    page_size,
    paged,
)
from service.tickets import queries
from service.tickets.queries import TicketQuery
from service.tickets.types import TICKET_TYPE_NAME, Ticket, TicketConnection, TicketFilter, ticket_edge


def _values(items: Sequence[Enum] | None) -> tuple[str, ...] | None:
    return None if items is None else tuple(sorted({str(item.value) for item in items}))


def ticket_query(filter: TicketFilter | None, first: int | None, after: str | None) -> TicketQuery:
    """The tickets and the page the arguments of ``Account.tickets`` ask for."""
    chosen = filter or TicketFilter()
    return TicketQuery(
        page=PageRequest(limit=page_size(first), after=decode_time_cursor(after)),
        statuses=_values(chosen.status),
        priorities=_values(chosen.priority),
        categories=_values(chosen.category),
        open_only=chosen.open,
        opened_from=chosen.opened_from,
        opened_before=chosen.opened_before,
    )


async def account_tickets(
    root: OfAccount,
    info: strawberry.Info[Context],
    filter: Annotated[TicketFilter | None, strawberry.argument(description="Which tickets; default all.")] = None,
    first: Annotated[
        int | None, strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}.")
    ] = None,
    after: Annotated[str | None, strawberry.argument(description="Continue after this cursor (`endCursor`).")] = None,
) -> TicketConnection:
    query = ticket_query(filter, first, after)
    rows = await info.context.batch(queries.ticket_pages, list).load((root.account_id, query))
    edges, info_ = paged(rows, query.page.limit, ticket_edge, after)
    return TicketConnection(edges=edges, page_info=info_, account_id=root.account_id, query=query)


async def ticket_by_uuid(info: strawberry.Info[Context], ticket_id: uuid.UUID) -> Ticket | None:
    async with info.context.read() as conn:
        found = await queries.tickets_by_ids(conn, [ticket_id])
    return Ticket.from_row(found[ticket_id]) if ticket_id in found else None


async def ticket(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the ticket.")],
) -> Ticket | None:
    return await ticket_by_uuid(info, decode_typed_id(id, TICKET_TYPE_NAME))
