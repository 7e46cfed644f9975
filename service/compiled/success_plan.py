"""The success plan in SQL: an account's goals and action items, Goal (its criterion and progress), GoalProgress and
ActionItem (with its goal).

Orders, the progress ratio and the status arguments are the resolvers' own (``PLAN_ORDER``, ``NEWEST_PROGRESS``,
``PROGRESS_RATIO``, ``goal_statuses``, ``item_statuses``); measures print as ``service.goals.types.trimmed`` does.
"""

from typing import Any

import sqlalchemy as sa

from service.action_items.queries import PLAN_ORDER as ITEM_ORDER
from service.action_items.resolvers import item_statuses
from service.action_items.tables import action_items
from service.compiled import json_sql
from service.compiled.declare import Link, global_id, many, mapped_columns, one, value_object
from service.compiled.planner import Call, FieldSql, ObjectSql, Row
from service.goals.queries import NEWEST_PROGRESS, PLAN_ORDER
from service.goals.resolvers import goal_statuses
from service.goals.tables import goal_progress, goals
from service.table_map import ACTION_ITEM, GOAL, GOAL_PROGRESS

g, p, ai = goals.c, goal_progress.c, action_items.c


def trimmed(expression: sa.ColumnElement[Any]) -> FieldSql:
    """A numeric(18, 4) measure without its padding (``50.0000`` → ``50``, ``12.5000`` → ``12.5``)."""

    def compile_trimmed(call: Call) -> sa.ColumnElement[Any]:
        return call.scalar(sa.func.trim_scale(call.row.adapt(expression)))

    return compile_trimmed


def _criterion(call: Call) -> sa.ColumnElement[Any]:
    """Null as a whole when no metric is named (``Goal.from_row``)."""
    parts = {name: call.row.adapt(column) for name, column in GOAL.embedded["successCriterion"].fields.items()}
    parts = {**parts, "baseline": sa.func.trim_scale(parts["baseline"]), "target": sa.func.trim_scale(parts["target"])}
    return json_sql.nullable_obj(parts["metric"], call.object(Row.value(**parts)))


def _statuses(column: sa.ColumnElement[Any], states: tuple[str, ...] | None) -> list[sa.ColumnElement[bool]]:
    return [] if states is None else [column.in_(states)]


def _by_account(column: sa.ColumnElement[Any]) -> Link:
    return lambda parent, child: child.adapt(column) == parent.c("id")


ACCOUNT_FIELDS = {
    "goals": many(
        goals,
        _by_account(g.account_id),
        PLAN_ORDER,
        where=lambda call: _statuses(g.status, goal_statuses(call.args.get("status"))),
    ),
    "actionItems": many(
        action_items,
        _by_account(ai.account_id),
        ITEM_ORDER,
        where=lambda call: _statuses(ai.status, item_statuses(call.args.get("status"))),
    ),
}

OBJECTS = {
    "Goal": ObjectSql(
        {
            **mapped_columns(GOAL),
            "accountId": global_id("Account", g.account_id),
            "handoffId": global_id("Handoff", g.handoff_id),
            "currentValue": trimmed(g.current_value),
            "successCriterion": _criterion,
            "progress": many(
                goal_progress, lambda parent, child: child.c("goal_id") == parent.c("id"), NEWEST_PROGRESS
            ),
        }
    ),
    "SuccessCriterion": ObjectSql(value_object({name: name for name in GOAL.embedded["successCriterion"].fields})),
    "GoalProgress": ObjectSql({**mapped_columns(GOAL_PROGRESS, node=False), "value": trimmed(p.value)}),
    "ActionItem": ObjectSql(
        {
            **mapped_columns(ACTION_ITEM),
            "accountId": global_id("Account", ai.account_id),
            "goalId": global_id("Goal", ai.goal_id),
            "handoffId": global_id("Handoff", ai.handoff_id),
            "goal": one(goals, lambda parent, child: child.c("id") == parent.c("goal_id")),
        }
    ),
}
