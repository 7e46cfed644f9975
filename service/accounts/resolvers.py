"""Resolvers of the accounts domain: translate GraphQL arguments into domain queries."""

import uuid
from typing import Annotated

import strawberry

from service.accounts import queries
from service.accounts.types import ACCOUNT_TYPE_NAME, Account, AccountConnection, AccountEdge
from service.db import read_connection
from service.errors import InvalidInput
from service.graphql.context import Context
from service.graphql.relay import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_cursor,
    decode_typed_id,
    encode_cursor,
    page_size,
    paged,
)
from service.ingest.normalize import normalize_domain


async def account_by_uuid(info: strawberry.Info[Context], account_id: uuid.UUID) -> Account | None:
    async with read_connection(info.context.engine) as conn:
        rows = await queries.accounts_by_ids(conn, [account_id])
    return Account.from_row(rows[0]) if rows else None


async def account(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the account.")],
) -> Account | None:
    return await account_by_uuid(info, decode_typed_id(id, ACCOUNT_TYPE_NAME))


def _edge(row: queries.AccountRow) -> AccountEdge:
    return AccountEdge(node=Account.from_row(row), cursor=encode_cursor((row.name, row.id)))


def _after_key(after: str | None) -> tuple[str, uuid.UUID] | None:
    if after is None:
        return None
    name, raw_id = decode_cursor(after, 2)
    try:
        return name, uuid.UUID(raw_id)
    except ValueError:
        raise InvalidInput(f"{after!r} is not a cursor returned by this connection") from None


async def accounts(
    info: strawberry.Info[Context],
    first: Annotated[
        int | None,
        strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}."),
    ] = None,
    after: Annotated[
        str | None, strawberry.argument(description="Return the accounts after this cursor (`endCursor`).")
    ] = None,
) -> AccountConnection:
    limit = page_size(first)
    after_key = _after_key(after)
    async with read_connection(info.context.engine) as conn:
        rows = await queries.accounts_page(conn, after=after_key, limit=limit + 1)
    edges, info_ = paged(rows, limit, _edge, after)
    return AccountConnection(edges=edges, page_info=info_)


async def account_by_domain(
    info: strawberry.Info[Context],
    domain: Annotated[
        str,
        strawberry.argument(
            description="A web domain or URL, compared as ingest does (`https://www.Acme.com/` = `acme.com`)."
        ),
    ],
) -> Account | None:
    try:
        normalized = normalize_domain(domain)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    async with read_connection(info.context.engine) as conn:
        row = await queries.account_by_domain(conn, normalized)
    return Account.from_row(row) if row else None


async def account_by_source(
    info: strawberry.Info[Context],
    source: Annotated[str, strawberry.argument(description="The source system, as it sends ingest batches.")],
    external_id: Annotated[str, strawberry.argument(description="That system's own id for the account.")],
) -> Account | None:
    async with read_connection(info.context.engine) as conn:
        row = await queries.account_by_source(conn, source, external_id)
    return Account.from_row(row) if row else None
