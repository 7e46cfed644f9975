"""All SQL of action items: batched reads for loaders, and the statements the action-item service writes with."""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.action_items.tables import action_items
from service.db.rows import row_into, text_array, uuid_array
from service.goals.queries import in_given_order
from service.goals.tables import goals
from service.handoffs.tables import handoffs


@dataclass(frozen=True, slots=True)
class ActionItemRow:
    id: uuid.UUID
    account_id: uuid.UUID
    handoff_id: uuid.UUID | None
    goal_id: uuid.UUID | None
    title: str
    theme: str | None
    owner: str | None
    due_on: dt.date | None
    status: str
    completed_at: dt.datetime | None
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


_COLUMNS = tuple(action_items.c[name] for name in ActionItemRow.__slots__)
ai = action_items.c
# What is due first, undated items last, then the order they were written down.
PLAN_ORDER = (ai.due_on.asc().nulls_last(), ai.created_at, ai.id)


async def action_items_of_accounts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], statuses: tuple[str, ...]
) -> dict[uuid.UUID, list[ActionItemRow]]:
    """Each account's action items in the given states, due first."""
    select = sa.select(*_COLUMNS).where(
        ai.account_id == sa.any_(uuid_array(account_ids)), ai.status == sa.any_(text_array(statuses, "statuses"))
    )
    grouped: dict[uuid.UUID, list[ActionItemRow]] = defaultdict(list)
    for row in await conn.execute(select.order_by(ai.account_id, *PLAN_ORDER)):
        grouped[row.account_id].append(row_into(ActionItemRow, row))
    return grouped


def owned_conditions(owners: tuple[str, ...], statuses: tuple[str, ...]) -> list[sa.ColumnElement[bool]]:
    """Action items one of ``owners`` does, in the given states (the compiled read path shares this rule)."""
    return [ai.owner == sa.any_(text_array(owners, "owners")), ai.status == sa.any_(text_array(statuses, "statuses"))]


async def action_items_owned(
    conn: AsyncConnection, owners: tuple[str, ...], statuses: tuple[str, ...], limit: int
) -> list[ActionItemRow]:
    """Across accounts, the action items ``owners`` do, due first; at most ``limit``."""
    select = sa.select(*_COLUMNS).where(*owned_conditions(owners, statuses)).order_by(*PLAN_ORDER).limit(limit)
    return [row_into(ActionItemRow, row) for row in await conn.execute(select)]


async def action_items_by_id(conn: AsyncConnection, item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ActionItemRow]:
    rows = await conn.execute(sa.select(*_COLUMNS).where(ai.id == sa.any_(uuid_array(item_ids))))
    return {row.id: row_into(ActionItemRow, row) for row in rows}


async def existing_accounts(conn: AsyncConnection, account_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    found = await conn.execute(sa.select(accounts.c.id).where(accounts.c.id == sa.any_(uuid_array(account_ids))))
    return set(found.scalars())


async def accounts_of_goals(conn: AsyncConnection, goal_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """goal id → its account, for the goals that exist."""
    found = await conn.execute(
        sa.select(goals.c.id, goals.c.account_id).where(goals.c.id == sa.any_(uuid_array(goal_ids)))
    )
    return {row.id: row.account_id for row in found}


async def accounts_of_handoffs(conn: AsyncConnection, handoff_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """handoff id → its account, for the handoffs that exist."""
    h = handoffs.c
    found = await conn.execute(sa.select(h.id, h.account_id).where(h.id == sa.any_(uuid_array(handoff_ids))))
    return {row.id: row.account_id for row in found}


async def insert_action_items(conn: AsyncConnection, values: Sequence[Mapping[str, Any]]) -> list[ActionItemRow]:
    """One INSERT … RETURNING for all of them; rows come back in the order given, and keep it where the
    plan's order ties (see ``in_given_order``)."""
    named = in_given_order(values)
    inserted = await conn.execute(sa.insert(action_items).values(named).returning(*_COLUMNS))
    by_id = {row.id: row_into(ActionItemRow, row) for row in inserted}
    return [by_id[row["id"]] for row in named]


async def lock_action_item(conn: AsyncConnection, item_id: uuid.UUID) -> ActionItemRow | None:
    """The item, locked until the transaction ends, so two edits of one item apply one after the other."""
    row = (await conn.execute(sa.select(*_COLUMNS).where(ai.id == item_id).with_for_update())).one_or_none()
    return row_into(ActionItemRow, row) if row else None


async def update_action_item(conn: AsyncConnection, item_id: uuid.UUID, values: Mapping[str, Any]) -> ActionItemRow:
    updated = await conn.execute(sa.update(action_items).where(ai.id == item_id).values(**values).returning(*_COLUMNS))
    return row_into(ActionItemRow, updated.one())


OPEN_ACTION_STATUSES = ("open", "in_progress")


def overdue_action_items(day: dt.date) -> sa.Select[Any]:
    """(action_item_id, account_id, goal_id, handoff_id, title, owner, status, due_on, days_overdue): every action
    item still open or in progress whose due date is before ``day``."""
    return sa.select(
        ai.id.label("action_item_id"),
        ai.account_id,
        ai.goal_id,
        ai.handoff_id,
        ai.title,
        ai.owner,
        ai.status,
        ai.due_on,
        (sa.cast(sa.literal(day, sa.Date), sa.Date) - ai.due_on).label("days_overdue"),
    ).where(ai.status == sa.any_(text_array(OPEN_ACTION_STATUSES)), ai.due_on < day)
