"""The success plan's goals: adding them (by hand or from an accepted handoff), recording progress, status.

Invariants kept here (the database re-checks the last two):
- a goal's ``current_value`` is the value of its latest measurement by ``measured_at`` — a measurement
  recorded late for an earlier day does not overwrite a newer one;
- a criterion's numbers (unit, baseline, target) only come with the metric they measure;
- ``achieved_on`` is set exactly when the status is ``achieved``, and is never in the future.

Nothing here commits: the caller's unit of work does.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from service.events import emit
from service.goals import queries
from service.goals.queries import GoalRow, ProgressRow
from service.goals.tables import GOAL_STATUSES
from service.goals.validation import (
    InvalidField,
    UnknownReference,
    due_day,
    number,
    optional_text,
    past_day,
    past_moment,
    text,
)

MAX_OUTCOME = 1000
MAX_METRIC = 200
MAX_UNIT = 40
MAX_NOTE = 2000
MAX_GOALS = 100  # per call: a success plan, not a bulk import


@dataclass(frozen=True, slots=True)
class NewGoal:
    outcome: str
    metric: str | None = None
    unit: str | None = None
    baseline: Decimal | None = None
    target: Decimal | None = None
    due_on: dt.date | None = None


def _goal_values(goal: NewGoal, today: dt.date) -> dict[str, Any]:
    metric = optional_text(goal.metric, "metric", limit=MAX_METRIC)
    unit = optional_text(goal.unit, "unit", limit=MAX_UNIT)
    baseline = number(goal.baseline, "baseline")
    target = number(goal.target, "target")
    if metric is None:
        for name, given in (("unit", unit), ("baseline", baseline), ("target", target)):
            if given is not None:
                raise InvalidField("metric", f"name what is measured; a {name} needs the metric it belongs to")
    return {
        "outcome": text(goal.outcome, "outcome", limit=MAX_OUTCOME),
        "metric": metric,
        "unit": unit,
        "baseline": baseline,
        "target": target,
        "due_on": due_day(goal.due_on, "dueOn", today),
    }


async def add_goals(
    conn: AsyncConnection,
    account_id: uuid.UUID,
    goals: Sequence[NewGoal],
    *,
    by: str,
    handoff_id: uuid.UUID | None = None,
) -> list[GoalRow]:
    """Add goals to an account's success plan, in the order given (one statement for all of them).

    ``handoff_id`` records the handoff they came from; it must be a handoff of the same account. Every goal
    is checked before anything is written, so a list with one bad goal adds none.
    """
    if len(goals) > MAX_GOALS:
        raise InvalidField("goals", f"at most {MAX_GOALS} goals at once, got {len(goals)}")
    today = dt.datetime.now(dt.UTC).date()
    values = [_goal_values(goal, today) for goal in goals]
    if not await queries.account_exists(conn, account_id):
        raise UnknownReference("accountId", f"no account {account_id}")
    if handoff_id is not None and await queries.handoff_account(conn, handoff_id) != account_id:
        raise UnknownReference("handoffId", f"no handoff {handoff_id} of account {account_id}")
    if not values:
        return []
    common = {"account_id": account_id, "handoff_id": handoff_id, "created_by": by}
    return await queries.insert_goals(conn, [{**common, **row} for row in values])


async def _locked(conn: AsyncConnection, goal_id: uuid.UUID) -> GoalRow:
    goal = await queries.lock_goal(conn, goal_id)
    if goal is None:
        raise UnknownReference("goalId", f"no goal {goal_id}")
    return goal


@dataclass(frozen=True, slots=True)
class RecordedProgress:
    goal: GoalRow
    progress: ProgressRow


async def record_progress(
    conn: AsyncConnection,
    goal_id: uuid.UUID,
    value: Decimal,
    *,
    by: str,
    now: dt.datetime,
    measured_at: dt.datetime | None = None,
    note: str | None = None,
) -> RecordedProgress:
    """Record a measurement of the goal's metric (at ``measured_at``, default now) and bring the goal's
    current value up to date with the latest measurement."""
    checked = number(value, "value")
    moment = past_moment(measured_at, "measuredAt", now) if measured_at is not None else now
    remark = optional_text(note, "note", limit=MAX_NOTE)
    goal = await _locked(conn, goal_id)
    progress = await queries.insert_progress(
        conn,
        {
            "goal_id": goal.id,
            "account_id": goal.account_id,
            "value": checked,
            "measured_at": moment,
            "recorded_by": by,
            "note": remark,
        },
    )
    return RecordedProgress(await queries.refresh_current_value(conn, goal.id, now), progress)


async def set_status(
    conn: AsyncConnection,
    goal_id: uuid.UUID,
    status: str,
    *,
    now: dt.datetime,
    by: str,
    achieved_on: dt.date | None = None,
    note: str | None = None,
) -> GoalRow:
    """Move the goal to ``status``. Only ``achieved`` takes a day (default: the day it was already achieved
    on, else today UTC); any other status clears it."""
    if status not in GOAL_STATUSES:
        raise InvalidField("status", f"one of {', '.join(GOAL_STATUSES)}, got {status!r}")
    today = now.date()
    if status != "achieved" and achieved_on is not None:
        raise InvalidField("achievedOn", "only an ACHIEVED goal has an achieved date; leave it out")
    day = past_day(achieved_on, "achievedOn", today) if achieved_on is not None else None
    remark = optional_text(note, "note", limit=MAX_NOTE)
    goal = await _locked(conn, goal_id)
    if status == "achieved" and day is None:
        day = goal.achieved_on or today
    changes = {"status": status, "achieved_on": day, "updated_at": now}
    changes |= {"status_changed_at": now, "status_changed_by": by, "status_note": remark}
    changed = await queries.update_goal(conn, goal.id, changes)
    await emit.goal_status_changed(
        conn, goal_id=goal.id, account_id=goal.account_id, from_status=goal.status, to_status=status,
        achieved_on=day, note=remark, actor=by, at=now,
    )  # fmt: skip
    return changed
