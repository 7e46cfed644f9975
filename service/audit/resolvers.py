"""Resolver of the audit log query (admin only: see service.authorization)."""

import uuid
from typing import Annotated

import strawberry

from service.audit import queries
from service.audit.types import AuditEntryConnection, AuditLogFilter, audit_edge
from service.errors import InvalidInput
from service.graphql.context import Context
from service.graphql.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decode_time_cursor, page_size, paged


def _query(given: AuditLogFilter | None) -> queries.AuditQuery:
    if given is None:
        return queries.AuditQuery()
    key_id = _id(given.key_id, "filter.keyId", "an API key id")
    person_id = _id(given.person_id, "filter.personId", "a person's id")
    if given.from_ is not None and given.to is not None and given.to <= given.from_:
        raise InvalidInput("filter: `to` must be after `from`", field="filter.to")
    return queries.AuditQuery(
        key_id=key_id,
        person_id=person_id,
        action=given.action,
        outcome=str(given.outcome.value) if given.outcome is not None else None,
        occurred_from=given.from_,
        occurred_to=given.to,
    )


def _id(given: str | None, field: str, what: str) -> uuid.UUID | None:
    if given is None:
        return None
    try:
        return uuid.UUID(given)
    except ValueError:
        raise InvalidInput(f"{field}: {given!r} is not {what}", field=field) from None


async def audit_log(
    info: strawberry.Info[Context],
    filter: Annotated[AuditLogFilter | None, strawberry.argument(description="Which entries; default all.")] = None,
    first: Annotated[
        int | None, strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}.")
    ] = None,
    after: Annotated[str | None, strawberry.argument(description="Continue after this cursor (`endCursor`).")] = None,
) -> AuditEntryConnection:
    chosen = _query(filter)
    limit = page_size(first)
    async with info.context.read() as conn:
        rows = await queries.audit_page(conn, chosen, after=decode_time_cursor(after), limit=limit + 1)
    edges, page_info = paged(rows, limit, audit_edge, after)
    return AuditEntryConnection(edges=edges, page_info=page_info)
