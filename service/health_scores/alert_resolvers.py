"""Resolvers of risk alerts: the alert list, an account's alerts, and acknowledging and resolving them."""

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.paging import PageRequest
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
from service.health_scores import alerts
from service.health_scores.alert_types import (
    ALERT_TYPE_NAME,
    Alert,
    AlertConnection,
    AlertFilter,
    AlertStatus,
    alert_edge,
)
from service.health_scores.alerts import AlertQuery, AlertRow


async def alert_list(
    info: strawberry.Info[Context],
    filter: Annotated[AlertFilter | None, strawberry.argument(description="Which alerts; default all.")] = None,
    first: Annotated[
        int | None, strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}.")
    ] = None,
    after: Annotated[str | None, strawberry.argument(description="Continue after this cursor (`endCursor`).")] = None,
) -> AlertConnection:
    return await alert_page(info, alert_query(filter, first, after), after)


async def alert_page(info: strawberry.Info[Context], query: AlertQuery, after: str | None) -> AlertConnection:
    """One page of the alerts ``query`` selects (``alerts``, and ``viewer.myAlerts`` of the viewer's accounts)."""
    async with info.context.read() as conn:
        rows = await alerts.alert_page(conn, query)
    edges, info_ = paged(rows, query.page.limit, alert_edge, after)
    return AlertConnection(edges=edges, page_info=info_, query=query)


async def account_alerts(
    root: OfAccount,
    info: strawberry.Info[Context],
    status: Annotated[
        list[AlertStatus] | None,
        strawberry.argument(description="Only these states; default the unresolved ones (OPEN, ACKNOWLEDGED)."),
    ] = None,
) -> list[Alert]:
    statuses = account_alert_statuses(status)
    return [
        Alert.from_row(row)
        for row in await info.context.batch(alerts.alerts_of_accounts, list).load((root.account_id, statuses))
    ]


def alert_query(filter: AlertFilter | None, first: int | None, after: str | None) -> AlertQuery:
    """The alert list's arguments read (the compiled read path reads them the same way)."""
    chosen = filter or AlertFilter()
    return AlertQuery(
        statuses=None if chosen.status is None else tuple(str(s.value) for s in chosen.status),
        rules=None if chosen.rule is None else tuple(str(r.value) for r in chosen.rule),
        account_ids=None
        if chosen.account_id is None
        else tuple(decode_typed_id(value, "Account") for value in chosen.account_id),
        page=PageRequest(limit=page_size(first), after=decode_time_cursor(after)),
    )


def account_alert_statuses(status: list[AlertStatus] | None) -> tuple[str, ...]:
    """The states an account's alert list shows: the given ones, by default the unresolved ones."""
    chosen = status if status is not None else [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]
    return tuple(sorted(str(s.value) for s in chosen))


AlertResult = Annotated[
    Alert | MutationError, strawberry.union("AlertResult", description="The alert after the change, or why not.")
]
Note = Annotated[str | None, strawberry.argument(description="Optional note (what was done); kept on the alert.")]
AlertId = Annotated[strawberry.ID, strawberry.argument(description="Global id of the alert.")]


async def _change(info: strawberry.Info[Context], id: str, note: str | None, resolve: bool) -> AlertResult:
    actor = caller(info).actor
    move = alerts.resolve_alert if resolve else alerts.acknowledge_alert

    async def change() -> Alert:
        alert_id = decode_typed_id(id, ALERT_TYPE_NAME)

        async def work(conn: AsyncConnection) -> AlertRow:
            return await move(conn, alert_id, by=actor, now=info.context.loaders.now, note=note)

        return Alert.from_row(await info.context.write(work))

    return await info.context.mutate(change)


async def acknowledge_alert(info: strawberry.Info[Context], id: AlertId, note: Note = None) -> AlertResult:
    return await _change(info, id, note, resolve=False)


async def resolve_alert(info: strawberry.Info[Context], id: AlertId, note: Note = None) -> AlertResult:
    return await _change(info, id, note, resolve=True)
