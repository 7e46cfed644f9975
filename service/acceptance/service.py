"""Accepting a handoff, the workflow step that spans domains: the CSM takes the account over.

In the same transaction as the ACCEPTED transition, the record's goals become the account's success
plan (``goals`` rows that outlive the handoff) and the CSM's first action items are created: one per
goal (drive it to its success criterion, due when the goal is) and one per pre-start task not yet done.
"""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from service.action_items.service import NewActionItem, add_action_items
from service.api_keys.service import Principal
from service.goals.service import NewGoal, add_goals
from service.handoffs.queries import HandoffRow
from service.handoffs.service import record_of, transition
from service.handoffs.workflow import Action

MAX_TITLE = 200


def _title(prefix: str, text: str) -> str:
    title = f"{prefix}{text}"
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


async def accept_handoff(
    conn: AsyncConnection,
    handoff_id: uuid.UUID,
    *,
    by: Principal,
    now: dt.datetime,
    comment: str | None = None,
    expected_version: int | None = None,
) -> HandoffRow:
    row = await transition(
        conn, handoff_id, Action.ACCEPT, by=by, now=now, comment=comment, expected_version=expected_version
    )
    record = record_of(row)
    actor = by.actor
    planned = [
        NewGoal(
            outcome=goal.outcome,
            metric=criterion.metric if criterion else None,
            unit=criterion.unit if criterion else None,
            baseline=criterion.baseline if criterion else None,
            target=criterion.target if criterion else None,
            due_on=criterion.due_on if criterion else None,
        )
        for goal in record.goals
        for criterion in [goal.success_criterion]
    ]
    goals = await add_goals(conn, row.account_id, planned, by=actor, handoff_id=row.id)
    items = [
        NewActionItem(
            account_id=row.account_id,
            title=_title("Drive to success criterion: ", goal.outcome),
            theme="time_to_value",
            owner=row.csm_owner,
            due_on=goal.due_on,
            handoff_id=row.id,
            goal_id=goal.id,
        )
        for goal in goals
    ]
    items += [
        NewActionItem(
            account_id=row.account_id,
            title=_title("Before start: ", task.title),
            theme="onboarding",
            owner=task.owner or row.csm_owner,
            due_on=task.due_on,
            handoff_id=row.id,
        )
        for task in record.implementation.pre_start_tasks
        if not task.done
    ]
    await add_action_items(conn, items, by=actor)
    return row
