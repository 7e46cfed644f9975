"""GraphQL types of success-plan goals, mapped from ``GoalRow`` and ``ProgressRow`` here."""

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum

import strawberry

from service.goals import queries
from service.goals.queries import GoalRow, ProgressRow
from service.graphql.context import Context
from service.graphql.relay import Node, encode_global_id
from service.handoffs.types import HANDOFF_TYPE_NAME

GOAL_TYPE_NAME = "Goal"


def trimmed(value: Decimal) -> Decimal:
    """numeric(18, 4) without its padding: ``50.0000`` reads ``50``, ``12.5000`` reads ``12.5``."""
    return value.to_integral_value() if value == value.to_integral_value() else value.normalize()


def plain(value: Decimal | None) -> Decimal | None:
    return None if value is None else trimmed(value)


@strawberry.enum(description="How a goal stands.")
class GoalStatus(Enum):
    ON_TRACK = strawberry.enum_value("on_track", description="Heading for the target by the due date.")
    AT_RISK = strawberry.enum_value("at_risk", description="Likely to miss unless something changes.")
    ACHIEVED = strawberry.enum_value("achieved", description="Reached; `achievedOn` says when.")
    MISSED = strawberry.enum_value("missed", description="Not reached by the due date.")


@strawberry.type(description="How the customer will know the outcome happened: a metric from a baseline to a target.")
class SuccessCriterion:
    metric: str = strawberry.field(description="What is measured, e.g. `tickets solved per agent per day`.")
    unit: str | None = strawberry.field(description="Unit of the numbers, e.g. `%`, `hours`, `USD`.")
    baseline: Decimal | None = strawberry.field(description="The value when the goal was set.")
    target: Decimal | None = strawberry.field(description="The value that means the outcome happened.")
    due_on: dt.date | None = strawberry.field(description="The day the target should be reached by.")


@strawberry.type(description="One measurement of a goal's metric.")
class GoalProgress:
    value: Decimal = strawberry.field(description="The measured value, in the criterion's unit.")
    measured_at: dt.datetime = strawberry.field(description="When it was measured (UTC).")
    recorded_by: str = strawberry.field(description="Who recorded it (API key name and id).")
    note: str | None = strawberry.field(description="Context for the number, e.g. where it came from.")

    @classmethod
    def from_row(cls, row: ProgressRow) -> "GoalProgress":
        return cls(value=trimmed(row.value), measured_at=row.measured_at, recorded_by=row.recorded_by, note=row.note)


async def _progress(root: "Goal", info: strawberry.Info[Context]) -> list[GoalProgress]:
    rows = await info.context.batch(queries.progress_of_goals, list).load((root.goal_id, None))
    return [GoalProgress.from_row(row) for row in rows]


@strawberry.type(description="A business outcome the customer wants, on the account's success plan.")
class Goal(Node):
    account_id: strawberry.ID = strawberry.field(description="Global id of the account.")
    outcome: str = strawberry.field(description="The customer's business outcome, in their words.")
    success_criterion: SuccessCriterion | None = strawberry.field(
        description="The metric, baseline, target and due date; null when no metric was named."
    )
    due_on: dt.date | None = strawberry.field(description="The day the outcome should be reached by.")
    status: GoalStatus = strawberry.field(description="How the goal stands.")
    current_value: Decimal | None = strawberry.field(
        description="The value of the latest measurement (by when measured, not when recorded); null before the first."
    )
    achieved_on: dt.date | None = strawberry.field(description="The day it was achieved (UTC); set only when ACHIEVED.")
    progress_ratio: float | None = strawberry.field(
        description="(currentValue − baseline) / (target − baseline): 0 at the baseline, 1 at the target, above 1 "
        "beyond it, negative when moving away. Null without a current value, baseline or target, or when the "
        "target equals the baseline."
    )
    handoff_id: strawberry.ID | None = strawberry.field(
        description="Global id of the handoff the goal came from; null when added on the success plan directly."
    )
    status_changed_at: dt.datetime | None = strawberry.field(
        description="When the status was last set by someone (UTC); null while it is the initial ON_TRACK."
    )
    status_changed_by: str | None = strawberry.field(description="Who last set the status (API key name and id).")
    status_note: str | None = strawberry.field(description="Why the status was last changed, when they said.")
    created_by: str = strawberry.field(description="Who added the goal (API key name and id).")
    created_at: dt.datetime = strawberry.field(description="When the goal was added (UTC).")
    updated_at: dt.datetime = strawberry.field(description="When its progress or status last changed (UTC).")
    goal_id: strawberry.Private[uuid.UUID]
    progress: list[GoalProgress] = strawberry.field(
        resolver=_progress, description="The measurements recorded, newest first."
    )

    @classmethod
    def from_row(cls, row: GoalRow) -> "Goal":
        criterion = None
        if row.metric is not None:
            criterion = SuccessCriterion(
                metric=row.metric,
                unit=row.unit,
                baseline=plain(row.baseline),
                target=plain(row.target),
                due_on=row.due_on,
            )
        return cls(
            id=encode_global_id(GOAL_TYPE_NAME, row.id),
            account_id=encode_global_id("Account", row.account_id),
            outcome=row.outcome,
            success_criterion=criterion,
            due_on=row.due_on,
            status=GoalStatus(row.status),
            current_value=plain(row.current_value),
            achieved_on=row.achieved_on,
            progress_ratio=row.progress_ratio,
            handoff_id=encode_global_id(HANDOFF_TYPE_NAME, row.handoff_id) if row.handoff_id else None,
            status_changed_at=row.status_changed_at,
            status_changed_by=row.status_changed_by,
            status_note=row.status_note,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            goal_id=row.id,
        )
