"""Resolvers of handoffs: reading them (one, a filtered list, SLA figures) and every workflow mutation.

Role refusals are GraphQL errors with code FORBIDDEN (never data); every other expected failure is a
typed member of ``HandoffResult`` and nothing is written.
"""

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from service.api_keys.service import Principal
from service.db.paging import PageRequest
from service.errors import InvalidInput
from service.graphql.context import Context
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
from service.handoffs import queries, service
from service.handoffs.enums import HandoffState
from service.handoffs.inputs import HandoffInput, changes_of
from service.handoffs.queries import HandoffFilter, HandoffRow
from service.handoffs.results import HandoffResult, refusal
from service.handoffs.types import (
    HANDOFF_TYPE_NAME,
    Handoff,
    HandoffConnection,
    HandoffSlaSummary,
    handoff_edge,
)
from service.handoffs.workflow import Action

MAX_OWNERS = 100


@strawberry.input(description="Which handoffs; every condition given must hold (null: no condition).")
class HandoffFilterInput:
    state: list[HandoffState] | None = strawberry.field(default=None, description="In one of these states.")
    account_id: list[strawberry.ID] | None = strawberry.field(default=None, description="Of one of these accounts.")
    csm_owner: list[str] | None = strawberry.field(default=None, description="Handed to one of these CSMs.")
    sales_owner: list[str] | None = strawberry.field(default=None, description="Sold by one of these AEs.")
    created_from: dt.datetime | None = strawberry.field(default=None, description="Created at or after (UTC).")
    created_to: dt.datetime | None = strawberry.field(default=None, description="Created before (UTC).")


def _filter(given: HandoffFilterInput | None) -> HandoffFilter:
    if given is None:
        return HandoffFilter()
    for name, values in (("csmOwner", given.csm_owner), ("salesOwner", given.sales_owner)):
        if values is not None and len(values) > MAX_OWNERS:
            raise InvalidInput(f"filter.{name}: at most {MAX_OWNERS} values")
    if given.created_from and given.created_to and given.created_to <= given.created_from:
        raise InvalidInput("filter: createdTo must be after createdFrom")
    return HandoffFilter(
        states=None if given.state is None else tuple(sorted({str(s.value) for s in given.state})),
        account_ids=None
        if given.account_id is None
        else tuple(decode_typed_id(value, "Account") for value in given.account_id),
        csm_owners=None if given.csm_owner is None else tuple(given.csm_owner),
        sales_owners=None if given.sales_owner is None else tuple(given.sales_owner),
        created_from=given.created_from,
        created_to=given.created_to,
    )


async def handoff_by_uuid(info: strawberry.Info[Context], handoff_id: uuid.UUID) -> Handoff | None:
    row = await info.context.batch(queries.handoffs_by_id).load((handoff_id, None))
    return Handoff.from_row(row) if row else None


async def handoff(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the handoff.")],
) -> Handoff | None:
    return await handoff_by_uuid(info, decode_typed_id(id, HANDOFF_TYPE_NAME))


def page_request(
    given: HandoffFilterInput | None, first: int | None, after: str | None
) -> tuple[HandoffFilter, PageRequest]:
    """The filter and page ``handoffs(filter, first, after)`` asks for; InvalidInput when they are not valid."""
    return _filter(given), PageRequest(limit=page_size(first), after=decode_time_cursor(after))


FilterArgument = Annotated[HandoffFilterInput | None, strawberry.argument(description="Which handoffs; default all.")]


async def handoff_list(
    info: strawberry.Info[Context],
    filter: FilterArgument = None,
    first: Annotated[
        int | None, strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}.")
    ] = None,
    after: Annotated[str | None, strawberry.argument(description="Continue after this cursor (`endCursor`).")] = None,
) -> HandoffConnection:
    chosen, page = page_request(filter, first, after)
    return await handoff_page(info, chosen, page, after)


async def handoff_page(
    info: strawberry.Info[Context], chosen: HandoffFilter, page: PageRequest, after: str | None
) -> HandoffConnection:
    """One page of the handoffs ``chosen`` selects (``handoffs``, and ``viewer.myHandoffs`` with its owner)."""
    async with info.context.read() as conn:
        rows = await queries.handoff_page(conn, chosen, page)
    edges, info_ = paged(rows, page.limit, handoff_edge, after)
    return HandoffConnection(edges=edges, page_info=info_, filter=chosen)


async def handoff_sla(info: strawberry.Info[Context], filter: FilterArgument = None) -> HandoffSlaSummary:
    chosen = _filter(filter)
    async with info.context.read() as conn:
        row = await queries.sla_summary(conn, chosen)
    return HandoffSlaSummary(
        handoffs=row.handoffs,
        submitted=row.submitted,
        accepted=row.accepted,
        returned_at_least_once=row.returned_at_least_once,
        returned_rate=row.returned_at_least_once / row.submitted if row.submitted else None,
        median_close_to_submit_hours=row.median_close_to_submit_hours,
        median_submit_to_accept_hours=row.median_submit_to_accept_hours,
        median_accept_to_kickoff_hours=row.median_accept_to_kickoff_hours,
        median_time_to_value_days=row.median_time_to_value_days,
        mean_close_to_submit_hours=row.mean_close_to_submit_hours,
        mean_submit_to_accept_hours=row.mean_submit_to_accept_hours,
        mean_accept_to_kickoff_hours=row.mean_accept_to_kickoff_hours,
        mean_time_to_value_days=row.mean_time_to_value_days,
    )


async def account_handoffs(root: OfAccount, info: strawberry.Info[Context]) -> list[Handoff]:
    return [
        Handoff.from_row(row)
        for row in await info.context.batch(queries.handoffs_of_accounts, list).load((root.account_id, None))
    ]


# --- mutations -------------------------------------------------------------------------------------------

HandoffId = Annotated[strawberry.ID, strawberry.argument(description="Global id of the handoff.")]
ExpectedVersion = Annotated[
    int | None,
    strawberry.argument(description="The version you read; if it changed since, nothing happens (VERSION_CONFLICT)."),
]
Comment = Annotated[str | None, strawberry.argument(description="Optional comment, kept on the transition event.")]


async def write_handoff(
    info: strawberry.Info[Context],
    work: Callable[[AsyncConnection, Principal], Awaitable[HandoffRow]],
) -> HandoffResult:
    principal = caller(info)

    async def change() -> Handoff:
        return Handoff.from_row(await info.context.write(lambda conn: work(conn, principal)))

    return await info.context.mutate(change, refusal)


async def create_handoff(
    info: strawberry.Info[Context],
    account_id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the customer's account.")],
    record: Annotated[
        HandoffInput | None, strawberry.argument(description="What is known so far; anything may be filled in later.")
    ] = None,
) -> HandoffResult:
    now = info.context.loaders.now

    async def work(conn: AsyncConnection, by: Principal) -> HandoffRow:
        document = changes_of(record) if record is not None else {}
        return await service.create_handoff(conn, decode_typed_id(account_id, "Account"), document, by=by, now=now)

    return await write_handoff(info, work)


async def update_handoff(
    info: strawberry.Info[Context],
    id: HandoffId,
    expected_version: Annotated[
        int, strawberry.argument(description="The version you read; a stale one is refused (VERSION_CONFLICT).")
    ],
    record: Annotated[
        HandoffInput, strawberry.argument(description="The groups to replace (each whole); groups not given stay.")
    ],
) -> HandoffResult:
    now = info.context.loaders.now

    async def work(conn: AsyncConnection, by: Principal) -> HandoffRow:
        handoff_id = decode_typed_id(id, HANDOFF_TYPE_NAME)
        return await service.update_handoff(
            conn, handoff_id, changes_of(record), expected_version=expected_version, by=by, now=now
        )

    return await write_handoff(info, work)


async def _step(
    info: strawberry.Info[Context],
    id: str,
    action: Action,
    comment: str | None,
    expected_version: int | None,
    first_value_on: dt.date | None = None,
) -> HandoffResult:
    now = info.context.loaders.now

    async def work(conn: AsyncConnection, by: Principal) -> HandoffRow:
        handoff_id = decode_typed_id(id, HANDOFF_TYPE_NAME)
        return await service.transition(
            conn,
            handoff_id,
            action,
            by=by,
            now=now,
            comment=comment,
            expected_version=expected_version,
            first_value_on=first_value_on,
        )

    return await write_handoff(info, work)


async def submit_handoff(
    info: strawberry.Info[Context], id: HandoffId, expected_version: ExpectedVersion = None, comment: Comment = None
) -> HandoffResult:
    return await _step(info, id, Action.SUBMIT, comment, expected_version)


async def return_handoff(
    info: strawberry.Info[Context],
    id: HandoffId,
    comment: Annotated[str, strawberry.argument(description="What sales must fix (required, not blank).")],
    expected_version: ExpectedVersion = None,
) -> HandoffResult:
    return await _step(info, id, Action.RETURN, comment, expected_version)


async def record_kickoff_held(
    info: strawberry.Info[Context], id: HandoffId, expected_version: ExpectedVersion = None, comment: Comment = None
) -> HandoffResult:
    return await _step(info, id, Action.HOLD_KICKOFF, comment, expected_version)


async def record_first_value(
    info: strawberry.Info[Context],
    id: HandoffId,
    reached_on: Annotated[
        dt.date | None,
        strawberry.argument(description="The day first value was reached; default today; not before contract start."),
    ] = None,
    expected_version: ExpectedVersion = None,
    comment: Comment = None,
) -> HandoffResult:
    return await _step(info, id, Action.REACH_FIRST_VALUE, comment, expected_version, reached_on)


async def cancel_handoff(
    info: strawberry.Info[Context], id: HandoffId, expected_version: ExpectedVersion = None, comment: Comment = None
) -> HandoffResult:
    return await _step(info, id, Action.CANCEL, comment, expected_version)
