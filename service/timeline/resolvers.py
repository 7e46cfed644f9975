"""Resolvers of the timeline domain on ``Account``: entries newest first, as a connection."""

from typing import TYPE_CHECKING, Annotated

import strawberry

from service.db_paging import PageRequest
from service.graphql.context import Context
from service.graphql.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decode_time_cursor, page_size, paged
from service.timeline.queries import TimelineQuery
from service.timeline.types import TimelineEventConnection, TimelineKind, timeline_edge

if TYPE_CHECKING:
    from service.accounts.types import Account


async def account_timeline(
    root: "Account",
    info: strawberry.Info[Context],
    first: Annotated[
        int | None, strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}.")
    ] = None,
    after: Annotated[str | None, strawberry.argument(description="Continue after this cursor (`endCursor`).")] = None,
    kinds: Annotated[
        list[TimelineKind] | None, strawberry.argument(description="Only these kinds of entry; default all.")
    ] = None,
) -> TimelineEventConnection:
    query = TimelineQuery(
        page=PageRequest(limit=page_size(first), after=decode_time_cursor(after)),
        kinds=tuple(sorted({str(kind.value) for kind in kinds})) if kinds is not None else None,
    )
    rows = await info.context.loaders.timeline.load((root.account_id, query))
    edges, info_ = paged(rows, query.page.limit, timeline_edge, after)
    return TimelineEventConnection(edges=edges, page_info=info_, account_id=root.account_id, query=query)
