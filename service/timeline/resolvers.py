"""Resolvers of the timeline domain: an account's entries newest first (a connection), and recording one."""

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.paging import PageRequest
from service.errors import CshubError
from service.graphql.context import Context
from service.graphql.mutation_errors import MutationError
from service.graphql.permissions import caller
from service.graphql.relay import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    OfAccount,
    decode_time_cursor,
    decode_typed_id,
    page_size,
    paged,
)
from service.timeline import queries, service
from service.timeline.queries import TimelineQuery, TimelineRow
from service.timeline.types import (
    AddTimelineEntryInput,
    TimelineEvent,
    TimelineEventConnection,
    TimelineKind,
    timeline_edge,
)


async def account_timeline(
    root: OfAccount,
    info: strawberry.Info[Context],
    first: Annotated[
        int | None, strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}.")
    ] = None,
    after: Annotated[str | None, strawberry.argument(description="Continue after this cursor (`endCursor`).")] = None,
    kinds: Annotated[
        list[TimelineKind] | None,
        strawberry.argument(description="Only these kinds of entry, recorded or derived; default all."),
    ] = None,
) -> TimelineEventConnection:
    query = TimelineQuery(
        page=PageRequest(limit=page_size(first), after=decode_time_cursor(after)),
        kinds=tuple(sorted({str(kind.value) for kind in kinds})) if kinds is not None else None,
    )
    rows = await info.context.batch(queries.timeline_pages_as_of, list).load(
        (root.account_id, (query, info.context.loaders.today))
    )
    edges, info_ = paged(rows, query.page.limit, timeline_edge, after)
    return TimelineEventConnection(edges=edges, page_info=info_, account_id=root.account_id, query=query)


TimelineEntryResult = Annotated[
    TimelineEvent | MutationError,
    strawberry.union("TimelineEntryResult", description="The entry as recorded, or why it was not."),
]


async def add_timeline_entry(
    info: strawberry.Info[Context],
    input: Annotated[AddTimelineEntryInput, strawberry.argument(description="The touchpoint.")],
) -> TimelineEntryResult:
    principal = caller(info)
    try:
        account_id = decode_typed_id(input.account_id, "Account")
    except CshubError as error:
        return MutationError.from_error(error, "accountId")
    entry = service.NewEntry(
        account_id=account_id,
        kind=str(input.kind.value),
        occurred_at=input.occurred_at,
        summary=input.summary,
        actor=principal.name,
    )

    async def work(conn: AsyncConnection) -> TimelineRow:
        return await service.add_entry(conn, entry, now=info.context.loaders.now, by=principal.actor)

    async def change() -> TimelineEvent:
        return TimelineEvent.from_row(await info.context.write(work))

    return await info.context.mutate(change)
