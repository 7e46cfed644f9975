"""Resolvers of the identity map."""

import datetime as dt
import uuid
from typing import Annotated

import strawberry

from service.api_keys.roles import Role
from service.db import read_connection
from service.errors import InvalidInput
from service.graphql.context import Context
from service.graphql.permissions import require_role
from service.graphql.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageInfo, decode_cursor, encode_cursor, page_size
from service.sources import queries
from service.sources.types import UnmatchedRecord, UnmatchedRecordConnection, UnmatchedRecordEdge


def _after_key(after: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
    if after is None:
        return None
    seen, raw_id = decode_cursor(after, 2)
    try:
        return dt.datetime.fromisoformat(seen), uuid.UUID(raw_id)
    except ValueError:
        raise InvalidInput(f"{after!r} is not a cursor returned by this connection") from None


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
    require_role(info, Role.ADMIN, Role.INGEST, Role.CSM)
    limit = page_size(first)
    after_key = _after_key(after)
    async with read_connection(info.context.engine) as conn:
        rows = await queries.unmatched_page(
            conn, source=source, entity=entity, include_resolved=include_resolved, after=after_key, limit=limit + 1
        )
    edges = [
        UnmatchedRecordEdge(
            node=UnmatchedRecord.from_row(row), cursor=encode_cursor((row.first_seen_at.isoformat(), row.id))
        )
        for row in rows[:limit]
    ]
    return UnmatchedRecordConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > limit,
            has_previous_page=after_key is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
