"""Resolvers of action items: an account's items, one item by id, and creating, updating, completing them.

Reading items needs what reading the account needs; changing them needs role csm or admin.
"""

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from service.action_items import queries, service
from service.action_items.queries import ActionItemRow
from service.action_items.service import KEEP, ActionItemChange, NewActionItem
from service.action_items.types import (
    ACTION_ITEM_TYPE_NAME,
    OPEN_STATUSES,
    ActionItem,
    ActionItemStatus,
    ActionItemTheme,
)
from service.goals.types import GOAL_TYPE_NAME
from service.graphql.context import Context
from service.graphql.mutation_errors import MutationError
from service.graphql.permissions import caller
from service.graphql.relay import OfAccount, typed_input_id


async def account_action_items(
    root: OfAccount,
    info: strawberry.Info[Context],
    status: Annotated[
        list[ActionItemStatus] | None,
        strawberry.argument(description="Only items in these states; default the open ones (OPEN, IN_PROGRESS)."),
    ] = None,
) -> list[ActionItem]:
    rows = await info.context.batch(queries.action_items_of_accounts, list).load(
        (root.account_id, item_statuses(status))
    )
    return [ActionItem.from_row(row) for row in rows]


def item_statuses(status: list[ActionItemStatus] | None) -> tuple[str, ...]:
    """The stored states ``Account.actionItems(status:)`` selects: the open ones by default."""
    return tuple(sorted({str(s.value) for s in (status if status is not None else OPEN_STATUSES)}))


async def action_item_by_uuid(info: strawberry.Info[Context], item_id: uuid.UUID) -> ActionItem | None:
    async with info.context.read() as conn:
        found = await queries.action_items_by_id(conn, [item_id])
    return ActionItem.from_row(found[item_id]) if item_id in found else None


@strawberry.input(description="A new action item on an account's success plan.")
class CreateActionItemInput:
    account_id: strawberry.ID = strawberry.field(description="Global id of the account.")
    title: str = strawberry.field(description="What is to be done (1–500 characters).")
    theme: ActionItemTheme | None = strawberry.field(default=None, description="The success theme it serves.")
    owner: str | None = strawberry.field(default=None, description="Who does it (at most 200 characters).")
    due_on: dt.date | None = strawberry.field(default=None, description="The day it is due.")
    goal_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of a goal of the same account that it moves forward."
    )


@strawberry.input(description="Changes to an action item: a field left out stays as it is; null clears it.")
class UpdateActionItemInput:
    id: strawberry.ID = strawberry.field(description="Global id of the action item.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="New title; cannot be cleared.")
    theme: ActionItemTheme | None = strawberry.field(default=strawberry.UNSET, description="New theme, or null.")
    owner: str | None = strawberry.field(default=strawberry.UNSET, description="New owner, or null.")
    due_on: dt.date | None = strawberry.field(default=strawberry.UNSET, description="New due date, or null.")
    status: ActionItemStatus | None = strawberry.field(
        default=strawberry.UNSET,
        description="New status; DONE stamps `completedAt`, any other status clears it. Cannot be null.",
    )
    goal_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Global id of a goal of the same account, or null to unlink."
    )


ActionItemResult = Annotated[
    ActionItem | MutationError,
    strawberry.union("ActionItemResult", description="The action item after the change, or why not."),
]
ActionItemId = Annotated[strawberry.ID, strawberry.argument(description="Global id of the action item.")]


async def _change(
    info: strawberry.Info[Context], work: Callable[[AsyncConnection, str], Awaitable[ActionItemRow]]
) -> ActionItemResult:
    actor = caller(info).actor

    async def change() -> ActionItem:
        return ActionItem.from_row(await info.context.write(lambda conn: work(conn, actor)))

    return await info.context.mutate(change)


async def create_action_item(
    info: strawberry.Info[Context],
    input: Annotated[CreateActionItemInput, strawberry.argument(description="The action item.")],
) -> ActionItemResult:
    async def work(conn: AsyncConnection, actor: str) -> ActionItemRow:
        item = NewActionItem(
            account_id=typed_input_id(input.account_id, "Account", "accountId"),
            title=input.title,
            theme=str(input.theme.value) if input.theme is not None else None,
            owner=input.owner,
            due_on=input.due_on,
            goal_id=typed_input_id(input.goal_id, GOAL_TYPE_NAME, "goalId") if input.goal_id is not None else None,
        )
        (row,) = await service.add_action_items(conn, [item], by=actor)
        return row

    return await _change(info, work)


def _given(value: Any, convert: Callable[[Any], Any] = lambda v: v) -> Any:
    """UNSET → KEEP, null → None, anything else converted for the service."""
    if value is strawberry.UNSET:
        return KEEP
    return None if value is None else convert(value)


async def update_action_item(
    info: strawberry.Info[Context],
    input: Annotated[UpdateActionItemInput, strawberry.argument(description="The item and its changes.")],
) -> ActionItemResult:
    async def work(conn: AsyncConnection, actor: str) -> ActionItemRow:
        change = ActionItemChange(
            title=_given(input.title),
            theme=_given(input.theme, lambda theme: str(theme.value)),
            owner=_given(input.owner),
            due_on=_given(input.due_on),
            status=_given(input.status, lambda status: str(status.value)),
            goal_id=_given(input.goal_id, lambda value: typed_input_id(value, GOAL_TYPE_NAME, "goalId")),
        )
        item_id = typed_input_id(input.id, ACTION_ITEM_TYPE_NAME, "id")
        return await service.update_action_item(conn, item_id, change, now=info.context.loaders.now)

    return await _change(info, work)


async def complete_action_item(info: strawberry.Info[Context], id: ActionItemId) -> ActionItemResult:
    async def work(conn: AsyncConnection, actor: str) -> ActionItemRow:
        item_id = typed_input_id(id, ACTION_ITEM_TYPE_NAME, "id")
        return await service.complete_action_item(conn, item_id, now=info.context.loaders.now)

    return await _change(info, work)
