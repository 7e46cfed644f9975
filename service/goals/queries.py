"""All SQL of goals: batched reads for loaders, and the statements the goal service writes with."""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.db.rows import row_into, text_array, uuid_array
from service.goals.tables import goal_progress, goals
from service.handoffs.tables import handoffs


@dataclass(frozen=True, slots=True)
class GoalRow:
    id: uuid.UUID
    account_id: uuid.UUID
    handoff_id: uuid.UUID | None
    outcome: str
    metric: str | None
    unit: str | None
    baseline: Decimal | None
    target: Decimal | None
    due_on: dt.date | None
    status: str
    current_value: Decimal | None
    achieved_on: dt.date | None
    status_changed_at: dt.datetime | None
    status_changed_by: str | None
    status_note: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    progress_ratio: float | None  # PROGRESS_RATIO


@dataclass(frozen=True, slots=True)
class ProgressRow:
    id: uuid.UUID
    goal_id: uuid.UUID
    value: Decimal
    measured_at: dt.datetime
    recorded_by: str
    note: str | None
    created_at: dt.datetime


g, p = goals.c, goal_progress.c
# How far from baseline to target the current value is (0 = at the baseline, 1 = the target reached):
# (current − baseline) / (target − baseline), to 4 places; null when any is null or target = baseline.
PROGRESS_RATIO: sa.ColumnElement[float] = sa.cast(
    sa.func.round((g.current_value - g.baseline) / sa.func.nullif(g.target - g.baseline, 0), 4), sa.Float
)
_GOAL = (
    *(goals.c[name] for name in GoalRow.__slots__ if name != "progress_ratio"),
    PROGRESS_RATIO.label("progress_ratio"),
)
_PROGRESS = tuple(goal_progress.c[name] for name in ProgressRow.__slots__)
# The success plan's order: what is due first, undated goals last, then the order they were written down.
PLAN_ORDER = (g.due_on.asc().nulls_last(), g.created_at, g.id)
# Newest measurement first; of two taken at the same moment, the one recorded later.
NEWEST_PROGRESS = (p.measured_at.desc(), p.created_at.desc(), p.id.desc())


async def goals_of_accounts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], statuses: tuple[str, ...] | None
) -> dict[uuid.UUID, list[GoalRow]]:
    """Each account's goals in the given states (all when None), in success-plan order."""
    select = sa.select(*_GOAL).where(g.account_id == sa.any_(uuid_array(account_ids)))
    if statuses is not None:
        select = select.where(g.status == sa.any_(text_array(statuses, "statuses")))
    grouped: dict[uuid.UUID, list[GoalRow]] = defaultdict(list)
    for row in await conn.execute(select.order_by(g.account_id, *PLAN_ORDER)):
        grouped[row.account_id].append(row_into(GoalRow, row))
    return grouped


async def goals_by_id(conn: AsyncConnection, goal_ids: Sequence[uuid.UUID], _: None = None) -> dict[uuid.UUID, GoalRow]:
    rows = await conn.execute(sa.select(*_GOAL).where(g.id == sa.any_(uuid_array(goal_ids))))
    return {row.id: row_into(GoalRow, row) for row in rows}


async def progress_of_goals(
    conn: AsyncConnection, goal_ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, list[ProgressRow]]:
    """Each goal's progress updates, newest measurement first."""
    select = sa.select(*_PROGRESS).where(p.goal_id == sa.any_(uuid_array(goal_ids)))
    grouped: dict[uuid.UUID, list[ProgressRow]] = defaultdict(list)
    for row in await conn.execute(select.order_by(p.goal_id, *NEWEST_PROGRESS)):
        grouped[row.goal_id].append(row_into(ProgressRow, row))
    return grouped


async def account_exists(conn: AsyncConnection, account_id: uuid.UUID) -> bool:
    found = await conn.execute(sa.select(accounts.c.id).where(accounts.c.id == account_id))
    return found.first() is not None


async def handoff_account(conn: AsyncConnection, handoff_id: uuid.UUID) -> uuid.UUID | None:
    """The account a handoff is about; None when there is no such handoff."""
    found = await conn.execute(sa.select(handoffs.c.account_id).where(handoffs.c.id == handoff_id))
    return found.scalar_one_or_none()


def in_given_order(values: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows with their ids, and ``created_at`` a microsecond apart, so that rows added together keep the
    order given where the plan's order ties (same due date): one statement gives them all the same now()."""
    return [
        {**row, "id": uuid.uuid4(), "created_at": sa.func.now() + dt.timedelta(microseconds=index)}
        for index, row in enumerate(values)
    ]


async def insert_goals(conn: AsyncConnection, values: Sequence[Mapping[str, Any]]) -> list[GoalRow]:
    """One INSERT … RETURNING for all of them; rows come back in the order given (RETURNING does not
    promise the order of a multi-row VALUES, so they are matched by id)."""
    numbered = in_given_order(values)
    inserted = await conn.execute(sa.insert(goals).values(numbered).returning(*_GOAL))
    by_id = {row.id: row_into(GoalRow, row) for row in inserted}
    return [by_id[row["id"]] for row in numbered]


async def lock_goal(conn: AsyncConnection, goal_id: uuid.UUID) -> GoalRow | None:
    """The goal, locked until the transaction ends: changes to one goal happen one after another, so each
    sees the progress the previous one committed."""
    row = (await conn.execute(sa.select(*_GOAL).where(g.id == goal_id).with_for_update())).one_or_none()
    return row_into(GoalRow, row) if row else None


async def insert_progress(conn: AsyncConnection, values: Mapping[str, Any]) -> ProgressRow:
    inserted = await conn.execute(sa.insert(goal_progress).values(**values).returning(*_PROGRESS))
    return row_into(ProgressRow, inserted.one())


async def refresh_current_value(conn: AsyncConnection, goal_id: uuid.UUID, now: dt.datetime) -> GoalRow:
    """Set the goal's current value to its latest measurement's (by ``measured_at``, not by when recorded)."""
    latest = sa.select(p.value).where(p.goal_id == goal_id).order_by(*NEWEST_PROGRESS).limit(1).scalar_subquery()
    updated = await conn.execute(
        sa.update(goals).where(g.id == goal_id).values(current_value=latest, updated_at=now).returning(*_GOAL)
    )
    return row_into(GoalRow, updated.one())


async def update_goal(conn: AsyncConnection, goal_id: uuid.UUID, values: Mapping[str, Any]) -> GoalRow:
    updated = await conn.execute(sa.update(goals).where(g.id == goal_id).values(**values).returning(*_GOAL))
    return row_into(GoalRow, updated.one())
