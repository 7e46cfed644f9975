"""Resolvers of the identity map: unmatched records, and ``Account.sources``."""

from typing import Annotated

import strawberry

from service.graphql.context import Context
from service.graphql.relay import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    OfAccount,
    decode_time_cursor,
    encode_cursor,
    page_size,
    paged,
)
from service.sources import queries
from service.sources.types import AccountSource, UnmatchedRecord, UnmatchedRecordConnection, UnmatchedRecordEdge


def _edge(row: queries.UnmatchedRow) -> UnmatchedRecordEdge:
    return UnmatchedRecordEdge(
        node=UnmatchedRecord.from_row(row), cursor=encode_cursor((row.first_seen_at.isoformat(), row.id))
    )


async def unmatched_records(
    info: strawberry.Info[Context],
    source: Annotated[str | None, strawberry.argument(description="Only records from this source.")] = None,
    entity: Annotated[str | None, strawberry.argument(description="Only this ingest entity, e.g. `tickets`.")] = None,
    include_resolved: Annotated[
        bool, strawberry.argument(description="Also list records that have since been matched.")
    ] = False,
    first: Annotated[
        int | None,
        strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}."),
    ] = None,
    after: Annotated[str | None, strawberry.argument(description="Continue after this cursor.")] = None,
) -> UnmatchedRecordConnection:
    limit = page_size(first)
    after_key = decode_time_cursor(after)
    principal = info.context.principal
    bound = None
    if principal is not None and principal.sources is not None:  # a key bound to sources sees only theirs
        if source is not None:
            principal.require_source(source, "read the unmatched records of")
        bound = tuple(sorted(principal.sources))
    query = queries.UnmatchedQuery(source=source, entity=entity, include_resolved=include_resolved, sources=bound)
    async with info.context.read() as conn:
        rows = await queries.unmatched_page(conn, query, after=after_key, limit=limit + 1)
    edges, info_ = paged(rows, limit, _edge, after)
    return UnmatchedRecordConnection(edges=edges, page_info=info_, query=query)


async def account_sources(root: OfAccount, info: strawberry.Info[Context]) -> list[AccountSource]:
    rows = await info.context.batch(queries.account_sources, list).load((root.account_id, None))
    return [AccountSource.from_row(row) for row in rows]
