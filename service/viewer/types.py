"""GraphQL types of the viewer: who is calling and their working set, each list narrowed to what they own."""

import dataclasses
from typing import Annotated

import strawberry

from service.action_items.queries import action_items_owned
from service.action_items.resolvers import item_statuses
from service.action_items.types import ActionItem, ActionItemStatus
from service.customer360 import resolvers as account_resolvers
from service.customer360.filters import AccountFilter, AccountOrder
from service.customer360.types import AccountConnection
from service.graphql.context import Context
from service.graphql.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, page_size
from service.handoffs import resolvers as handoff_resolvers
from service.handoffs.resolvers import HandoffFilterInput
from service.handoffs.types import HandoffConnection
from service.health_scores import alert_resolvers
from service.health_scores.alert_types import AlertConnection, AlertFilter
from service.viewer.owners import narrowed, owner_names, owns_as_sales

First = Annotated[
    int | None, strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}.")
]
After = Annotated[str | None, strawberry.argument(description="Continue after this cursor (`endCursor`).")]


@strawberry.type(description="The person behind a bearer token, as cshub knows them.")
class ViewerPerson:
    id: strawberry.ID = strawberry.field(description="cshub's id for the person (the audit log's `personId`).")
    email: str | None = strawberry.field(description="Their e-mail, from their token.")
    display_name: str | None = strawberry.field(description="Their name, from their token.")


async def my_accounts_resolver(
    root: "Viewer",
    info: strawberry.Info[Context],
    filter: Annotated[AccountFilter | None, strawberry.argument(description="Which of them; default all.")] = None,
    order_by: Annotated[AccountOrder | None, strawberry.argument(description="Default by name, A to Z.")] = None,
    first: First = None,
    after: After = None,
) -> AccountConnection:
    limit, criteria, ordering, after_key = account_resolvers.page_request(filter, order_by, first, after)
    principal, names = info.context.principal, tuple(root.owner_names)
    if owns_as_sales(principal):
        criteria = dataclasses.replace(criteria, sales_owners=narrowed(criteria.sales_owners, names))
    else:
        criteria = dataclasses.replace(criteria, csm_owners=narrowed(criteria.csm_owners, names))
    return await account_resolvers.account_page(info, limit, criteria, ordering, after_key, after)


async def my_handoffs_resolver(
    root: "Viewer",
    info: strawberry.Info[Context],
    filter: Annotated[HandoffFilterInput | None, strawberry.argument(description="Which of them; default all.")] = None,
    first: First = None,
    after: After = None,
) -> HandoffConnection:
    chosen, page = handoff_resolvers.page_request(filter, first, after)
    names = tuple(root.owner_names)
    if owns_as_sales(info.context.principal):
        chosen = dataclasses.replace(chosen, sales_owners=narrowed(chosen.sales_owners, names))
    else:
        chosen = dataclasses.replace(chosen, csm_owners=narrowed(chosen.csm_owners, names))
    return await handoff_resolvers.handoff_page(info, chosen, page, after)


async def my_alerts_resolver(
    root: "Viewer",
    info: strawberry.Info[Context],
    filter: Annotated[AlertFilter | None, strawberry.argument(description="Which of them; default all.")] = None,
    first: First = None,
    after: After = None,
) -> AlertConnection:
    query = alert_resolvers.alert_query(filter, first, after)
    query = dataclasses.replace(query, csm_owners=tuple(root.owner_names))
    return await alert_resolvers.alert_page(info, query, after)


async def my_action_items_resolver(
    root: "Viewer",
    info: strawberry.Info[Context],
    status: Annotated[
        list[ActionItemStatus] | None,
        strawberry.argument(description="Only these states; default the open ones (OPEN, IN_PROGRESS)."),
    ] = None,
    first: First = None,
) -> list[ActionItem]:
    limit = page_size(first)
    async with info.context.read() as conn:
        rows = await action_items_owned(conn, tuple(root.owner_names), item_statuses(status), limit)
    return [ActionItem.from_row(row) for row in rows]


@strawberry.type(description="Who is calling, and what they own: a CS front-end's start page in one query.")
class Viewer:
    person: ViewerPerson | None = strawberry.field(
        description="The person behind the bearer token; null for an API key."
    )
    api_key_id: strawberry.ID | None = strawberry.field(description="The API key's id; null for a person.")
    role: str = strawberry.field(description="The caller's role: admin, csm, sales or bi.")
    owner_names: list[str] = strawberry.field(
        description='The names "my" is matched against, exactly, in the owner fields: a person\'s display name '
        "and e-mail, or the API key's name."
    )
    my_accounts: AccountConnection = strawberry.field(
        resolver=my_accounts_resolver,
        description="The accounts the caller owns — as their CSM owner, or as their sales owner for the sales "
        "role — filtered, ordered and paginated as `accounts`.",
    )
    my_handoffs: HandoffConnection = strawberry.field(
        resolver=my_handoffs_resolver,
        description="The handoffs the caller owns — as their CSM owner, or as their sales owner for the sales role "
        "— newest first, filtered and paginated as `handoffs`.",
    )
    my_alerts: AlertConnection = strawberry.field(
        resolver=my_alerts_resolver,
        description="Risk alerts on the accounts the caller owns as their CSM, newest first, filtered and "
        "paginated as `alerts`.",
    )
    my_action_items: list[ActionItem] = strawberry.field(
        resolver=my_action_items_resolver, description="The action items the caller owns, across accounts, due first."
    )


async def viewer(info: strawberry.Info[Context]) -> Viewer:
    principal = info.context.principal
    assert principal is not None  # authentication ran (service.http.middleware)
    person = principal.person
    return Viewer(
        person=ViewerPerson(id=strawberry.ID(str(person.id)), email=person.email, display_name=person.display_name)
        if person is not None
        else None,
        api_key_id=strawberry.ID(str(principal.key_id)) if principal.key_id is not None else None,
        role=principal.role.value,
        owner_names=list(owner_names(principal)),
    )
