"""Action items, a light success plan: the CSM's to-dos per account, each under a success theme.

Invariants kept here:
- an item linked to a goal or a handoff is linked to one of its own account's;
- ``completed_at`` is set exactly while the item is ``done``: completing stamps it (once — completing a
  done item again keeps the first stamp), any other status clears it.

Nothing here commits: the caller's unit of work does.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from service.action_items import queries
from service.action_items.queries import ActionItemRow
from service.action_items.tables import ACTION_STATUSES, ACTION_THEMES
from service.errors import Conflict
from service.goals.validation import InvalidField, UnknownReference, due_day, optional_text, text

MAX_TITLE = 500
MAX_OWNER = 200
MAX_ITEMS = 100  # per call: a plan, not a bulk import


@dataclass(frozen=True, slots=True)
class NewActionItem:
    account_id: uuid.UUID
    title: str
    theme: str | None = None
    owner: str | None = None
    due_on: dt.date | None = None
    handoff_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None


class Keep(Enum):
    """Stands for "leave this field as it is" in a partial update (None means "clear it")."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class ActionItemChange:
    """A partial update: fields left at ``KEEP`` are unchanged."""

    title: str | Keep | None = KEEP
    theme: str | Keep | None = KEEP
    owner: str | Keep | None = KEEP
    due_on: dt.date | Keep | None = KEEP
    status: str | Keep | None = KEEP
    goal_id: uuid.UUID | Keep | None = KEEP


def _theme(value: str | None) -> str | None:
    if value is not None and value not in ACTION_THEMES:
        raise InvalidField("theme", f"one of {', '.join(ACTION_THEMES)}, got {value!r}")
    return value


def _status(value: str | None) -> str:
    if value is None or value not in ACTION_STATUSES:
        raise InvalidField("status", f"one of {', '.join(ACTION_STATUSES)}, got {value!r}")
    return value


def _title(value: str | None) -> str:
    if value is None:
        raise InvalidField("title", "an action item needs a title; it cannot be cleared")
    return text(value, "title", limit=MAX_TITLE)


async def _check_links(conn: AsyncConnection, items: Sequence[NewActionItem]) -> None:
    """Every account exists; every goal and handoff exists and belongs to its item's account."""
    wanted = {item.account_id for item in items}
    missing = wanted - await queries.existing_accounts(conn, list(wanted))
    if missing:
        raise UnknownReference("accountId", f"no account {min(missing)}")
    goal_ids = [item.goal_id for item in items if item.goal_id is not None]
    goal_accounts = await queries.accounts_of_goals(conn, goal_ids) if goal_ids else {}
    handoff_ids = [item.handoff_id for item in items if item.handoff_id is not None]
    handoff_accounts = await queries.accounts_of_handoffs(conn, handoff_ids) if handoff_ids else {}
    for item in items:
        if item.goal_id is not None and goal_accounts.get(item.goal_id) != item.account_id:
            raise UnknownReference("goalId", f"no goal {item.goal_id} on account {item.account_id}'s success plan")
        if item.handoff_id is not None and handoff_accounts.get(item.handoff_id) != item.account_id:
            raise UnknownReference("handoffId", f"no handoff {item.handoff_id} of account {item.account_id}")


async def add_action_items(conn: AsyncConnection, items: Sequence[NewActionItem], *, by: str) -> list[ActionItemRow]:
    """Add open action items, in the order given (one statement for all of them). Every item is checked
    before anything is written, so a list with one bad item adds none."""
    if len(items) > MAX_ITEMS:
        raise InvalidField("items", f"at most {MAX_ITEMS} action items at once, got {len(items)}")
    today = dt.datetime.now(dt.UTC).date()
    values = [
        {
            "account_id": item.account_id,
            "handoff_id": item.handoff_id,
            "goal_id": item.goal_id,
            "title": _title(item.title),
            "theme": _theme(item.theme),
            "owner": optional_text(item.owner, "owner", limit=MAX_OWNER),
            "due_on": due_day(item.due_on, "dueOn", today),
            "created_by": by,
        }
        for item in items
    ]
    if not values:
        return []
    await _check_links(conn, items)
    return await queries.insert_action_items(conn, values)


async def _locked(conn: AsyncConnection, item_id: uuid.UUID) -> ActionItemRow:
    item = await queries.lock_action_item(conn, item_id)
    if item is None:
        raise UnknownReference("id", f"no action item {item_id}")
    return item


def _stamped(status: str, item: ActionItemRow, now: dt.datetime) -> dt.datetime | None:
    """``completed_at`` for an item moving to ``status``: the first completion's time while done, else none."""
    if status != "done":
        return None
    return item.completed_at if item.status == "done" else now


async def update_action_item(
    conn: AsyncConnection, item_id: uuid.UUID, change: ActionItemChange, *, now: dt.datetime
) -> ActionItemRow:
    """Apply a partial update. Moving to ``done`` stamps ``completed_at``; reopening (or cancelling) clears it."""
    given = {f.name: getattr(change, f.name) for f in fields(change) if getattr(change, f.name) is not KEEP}
    values: dict[str, Any] = {"updated_at": now}
    if "title" in given:
        values["title"] = _title(given["title"])
    if "theme" in given:
        values["theme"] = _theme(given["theme"])
    if "owner" in given:
        values["owner"] = optional_text(given["owner"], "owner", limit=MAX_OWNER)
    if "due_on" in given:
        values["due_on"] = due_day(given["due_on"], "dueOn", now.date())
    if "status" in given:
        values["status"] = _status(given["status"])
    item = await _locked(conn, item_id)
    if "goal_id" in given:
        goal_id = given["goal_id"]
        if goal_id is not None:
            owners = await queries.accounts_of_goals(conn, [goal_id])
            if owners.get(goal_id) != item.account_id:
                raise UnknownReference("goalId", f"no goal {goal_id} on account {item.account_id}'s success plan")
        values["goal_id"] = goal_id
    if "status" in values:
        values["completed_at"] = _stamped(values["status"], item, now)
    return await queries.update_action_item(conn, item.id, values)


async def complete_action_item(conn: AsyncConnection, item_id: uuid.UUID, *, now: dt.datetime) -> ActionItemRow:
    """Mark the item done (again: no change). A cancelled item is reopened first, on purpose, not completed."""
    item = await _locked(conn, item_id)
    if item.status == "done":
        return item
    if item.status == "cancelled":
        raise Conflict("the action item was cancelled; reopen it (status OPEN) before completing it")
    return await queries.update_action_item(conn, item.id, {"status": "done", "completed_at": now, "updated_at": now})
