"""Resolvers of success-plan goals: an account's goals, one goal by id, and the goal mutations.

Reading goals needs what reading the account needs; changing them needs role csm or admin.
"""

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from service.goals import queries, service
from service.goals.queries import GoalRow
from service.goals.types import GOAL_TYPE_NAME, Goal, GoalStatus
from service.graphql.context import Context
from service.graphql.mutation_errors import MutationError
from service.graphql.permissions import caller
from service.graphql.relay import OfAccount, typed_input_id


async def account_goals(
    root: OfAccount,
    info: strawberry.Info[Context],
    status: Annotated[
        list[GoalStatus] | None, strawberry.argument(description="Only goals in these states; default all.")
    ] = None,
) -> list[Goal]:
    return [
        Goal.from_row(row)
        for row in await info.context.batch(queries.goals_of_accounts, list).load(
            (root.account_id, goal_statuses(status))
        )
    ]


def goal_statuses(status: list[GoalStatus] | None) -> tuple[str, ...] | None:
    """The stored states ``Account.goals(status:)`` selects: None for all."""
    return tuple(sorted({str(s.value) for s in status})) if status is not None else None


async def goal_by_uuid(info: strawberry.Info[Context], goal_id: uuid.UUID) -> Goal | None:
    async with info.context.read() as conn:
        found = await queries.goals_by_id(conn, [goal_id])
    return Goal.from_row(found[goal_id]) if goal_id in found else None


@strawberry.input(description="A business outcome to add to an account's success plan.")
class AddGoalInput:
    account_id: strawberry.ID = strawberry.field(description="Global id of the account.")
    outcome: str = strawberry.field(description="The customer's business outcome, in their words (1–1000 characters).")
    metric: str | None = strawberry.field(
        default=None, description="What is measured; needed when a unit, baseline or target is given."
    )
    unit: str | None = strawberry.field(default=None, description="Unit of the numbers, e.g. `%`.")
    baseline: Decimal | None = strawberry.field(
        default=None, description="The value today (up to 14 digits before the point and 4 after)."
    )
    target: Decimal | None = strawberry.field(default=None, description="The value that means success.")
    due_on: dt.date | None = strawberry.field(default=None, description="The day the target should be reached by.")


@strawberry.input(description="A measurement of a goal's metric.")
class RecordGoalProgressInput:
    goal_id: strawberry.ID = strawberry.field(description="Global id of the goal.")
    value: Decimal = strawberry.field(description="The measured value, in the criterion's unit.")
    measured_at: dt.datetime | None = strawberry.field(
        default=None, description="When it was measured, with a time zone; not in the future. Default now."
    )
    note: str | None = strawberry.field(default=None, description="Context for the number (at most 2000 characters).")


@strawberry.input(description="A new status for a goal.")
class SetGoalStatusInput:
    goal_id: strawberry.ID = strawberry.field(description="Global id of the goal.")
    status: GoalStatus = strawberry.field(description="The new status.")
    achieved_on: dt.date | None = strawberry.field(
        default=None,
        description="Only with ACHIEVED: the day it was achieved, not in the future. Default the day already "
        "recorded, else today (UTC).",
    )
    note: str | None = strawberry.field(default=None, description="Why the status changed (up to 2000 characters).")


GoalResult = Annotated[
    Goal | MutationError, strawberry.union("GoalResult", description="The goal after the change, or why not.")
]


async def _change(
    info: strawberry.Info[Context], work: Callable[[AsyncConnection, str], Awaitable[GoalRow]]
) -> GoalResult:
    actor = caller(info).actor

    async def change() -> Goal:
        return Goal.from_row(await info.context.write(lambda conn: work(conn, actor)))

    return await info.context.mutate(change)


async def add_goal(
    info: strawberry.Info[Context], input: Annotated[AddGoalInput, strawberry.argument(description="The goal.")]
) -> GoalResult:
    async def work(conn: AsyncConnection, actor: str) -> GoalRow:
        account_id = typed_input_id(input.account_id, "Account", "accountId")
        goal = service.NewGoal(input.outcome, input.metric, input.unit, input.baseline, input.target, input.due_on)
        (row,) = await service.add_goals(conn, account_id, [goal], by=actor)
        return row

    return await _change(info, work)


async def record_goal_progress(
    info: strawberry.Info[Context],
    input: Annotated[RecordGoalProgressInput, strawberry.argument(description="The measurement.")],
) -> GoalResult:
    async def work(conn: AsyncConnection, actor: str) -> GoalRow:
        recorded = await service.record_progress(
            conn,
            typed_input_id(input.goal_id, GOAL_TYPE_NAME, "goalId"),
            input.value,
            by=actor,
            now=info.context.loaders.now,
            measured_at=input.measured_at,
            note=input.note,
        )
        return recorded.goal

    return await _change(info, work)


async def set_goal_status(
    info: strawberry.Info[Context],
    input: Annotated[SetGoalStatusInput, strawberry.argument(description="The goal and its new status.")],
) -> GoalResult:
    async def work(conn: AsyncConnection, actor: str) -> GoalRow:
        return await service.set_status(
            conn,
            typed_input_id(input.goal_id, GOAL_TYPE_NAME, "goalId"),
            str(input.status.value),
            now=info.context.loaders.now,
            by=actor,
            achieved_on=input.achieved_on,
            note=input.note,
        )

    return await _change(info, work)
