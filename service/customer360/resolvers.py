"""Resolvers of the accounts domain: translate GraphQL arguments into domain queries."""

import uuid
from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from service.accounts import queries
from service.accounts.web_domains import normalize_domain
from service.customer360 import listing
from service.customer360.filters import AccountFilter, AccountOrder, criteria_from, ordering_from
from service.customer360.types import ACCOUNT_TYPE_NAME, Account, AccountConnection, AccountEdge
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
from service.sources import queries as source_queries


async def account_by_uuid(info: strawberry.Info[Context], account_id: uuid.UUID) -> Account | None:
    async with info.context.read() as conn:
        rows = await queries.accounts_by_ids(conn, [account_id])
    return Account.from_row(rows[0]) if rows else None


async def account(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the account.")],
) -> Account | None:
    return await account_by_uuid(info, decode_typed_id(id, ACCOUNT_TYPE_NAME))


def _edge(ordering: listing.Ordering) -> Callable[[listing.ListedAccount], AccountEdge]:
    def edge(listed: listing.ListedAccount) -> AccountEdge:
        cursor = encode_cursor((ordering.tag, listed.sort_value, listed.row.id))
        return AccountEdge(node=Account.from_row(listed.row), cursor=cursor)

    return edge


def _after_key(after: str | None, ordering: listing.Ordering) -> tuple[Any, uuid.UUID] | None:
    if after is None:
        return None
    tag, value, raw_id = decode_cursor(after, 3)
    if tag != ordering.tag:
        raise InvalidInput(
            f"this cursor belongs to another order of the list ({tag}); page with the `orderBy` that returned it"
        )
    try:
        return listing.parse_sort_value(ordering, value), uuid.UUID(raw_id)
    except (ValueError, ArithmeticError):
        raise InvalidInput(f"{after!r} is not a cursor returned by this connection") from None


def page_request(
    filter: AccountFilter | None, order_by: AccountOrder | None, first: int | None, after: str | None
) -> tuple[int, listing.Criteria, listing.Ordering, tuple[Any, uuid.UUID] | None]:
    """The page the arguments of ``accounts`` ask for: its size, criteria, ordering and start key."""
    limit = page_size(first)
    criteria = criteria_from(filter)
    ordering = ordering_from(order_by)
    return limit, criteria, ordering, _after_key(after, ordering)


async def accounts(
    info: strawberry.Info[Context],
    filter: Annotated[AccountFilter | None, strawberry.argument(description="Which accounts; default all.")] = None,
    order_by: Annotated[
        AccountOrder | None, strawberry.argument(description="Sort order; default by name, A to Z.")
    ] = None,
    first: Annotated[
        int | None,
        strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}."),
    ] = None,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="Return the accounts after this cursor (`endCursor`); the filter may change between "
            "pages, the order may not."
        ),
    ] = None,
) -> AccountConnection:
    return await account_page(info, *page_request(filter, order_by, first, after), after)


async def account_page(
    info: strawberry.Info[Context],
    limit: int,
    criteria: listing.Criteria,
    ordering: listing.Ordering,
    after_key: tuple[Any, uuid.UUID] | None,
    after: str | None,
) -> AccountConnection:
    """One page of the accounts ``criteria`` select (``accounts``, and ``viewer.myAccounts`` with its owner)."""
    today = info.context.loaders.today
    async with info.context.read() as conn:
        rows = await listing.accounts_page(conn, criteria, ordering, today, after=after_key, limit=limit + 1)
    edges, info_ = paged(rows, limit, _edge(ordering), after)
    return AccountConnection(edges=edges, page_info=info_, criteria=criteria)


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
    async with info.context.read() as conn:
        row = await queries.account_by_domain(conn, normalized)
    return Account.from_row(row) if row else None


async def account_by_source(
    info: strawberry.Info[Context],
    source: Annotated[str, strawberry.argument(description="The source system, as it sends ingest batches.")],
    external_id: Annotated[str, strawberry.argument(description="That system's own id for the account.")],
) -> Account | None:
    async with info.context.read() as conn:
        row = await source_queries.account_by_source(conn, source, external_id)
    return Account.from_row(row) if row else None
