"""GraphQL types of action items, mapped from ``ActionItemRow`` here."""

import datetime as dt
import uuid
from enum import Enum

import strawberry

from service.action_items.queries import ActionItemRow
from service.goals import queries as goal_queries
from service.goals.types import GOAL_TYPE_NAME, Goal
from service.graphql.context import Context
from service.graphql.relay import Node, encode_global_id
from service.handoffs.types import HANDOFF_TYPE_NAME

ACTION_ITEM_TYPE_NAME = "ActionItem"


@strawberry.enum(description="The customer-success theme an action item serves.")
class ActionItemTheme(Enum):
    EFFORTLESS = strawberry.enum_value("effortless", description="Make the product and working with us effortless.")
    ONBOARDING = strawberry.enum_value("onboarding", description="Get the customer set up and trained.")
    ADOPTION = strawberry.enum_value("adoption", description="Get more people using more of the product.")
    VOICE_OF_CUSTOMER = strawberry.enum_value("voc", description="Hear the customer and act on what they say.")
    TIME_TO_VALUE = strawberry.enum_value("time_to_value", description="Shorten the way to the first outcome.")


@strawberry.enum(description="Where an action item stands.")
class ActionItemStatus(Enum):
    OPEN = strawberry.enum_value("open", description="To do; nobody has started.")
    IN_PROGRESS = strawberry.enum_value("in_progress", description="Someone is on it.")
    DONE = strawberry.enum_value("done", description="Done; `completedAt` says when.")
    CANCELLED = strawberry.enum_value("cancelled", description="Not going to happen.")


OPEN_STATUSES = (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS)


async def _goal(root: "ActionItem", info: strawberry.Info[Context]) -> Goal | None:
    if root.linked_goal_id is None:
        return None
    row = await info.context.batch(goal_queries.goals_by_id).load((root.linked_goal_id, None))
    return Goal.from_row(row) if row else None


@strawberry.type(description="A to-do on an account's success plan, under a success theme.")
class ActionItem(Node):
    account_id: strawberry.ID = strawberry.field(description="Global id of the account.")
    title: str = strawberry.field(description="What is to be done.")
    theme: ActionItemTheme | None = strawberry.field(description="The success theme it serves; null when not set.")
    owner: str | None = strawberry.field(description="Who does it (a person, free text).")
    due_on: dt.date | None = strawberry.field(description="The day it is due.")
    status: ActionItemStatus = strawberry.field(description="Where it stands.")
    completed_at: dt.datetime | None = strawberry.field(description="When it was done (UTC); set only while DONE.")
    goal_id: strawberry.ID | None = strawberry.field(description="Global id of the goal it moves forward, if any.")
    handoff_id: strawberry.ID | None = strawberry.field(
        description="Global id of the handoff it was created from, if any."
    )
    created_by: str | None = strawberry.field(description="Who created it (API key name and id); null for old items.")
    created_at: dt.datetime = strawberry.field(description="When it was created (UTC).")
    updated_at: dt.datetime = strawberry.field(description="When it last changed (UTC).")
    linked_goal_id: strawberry.Private[uuid.UUID | None]
    goal: Goal | None = strawberry.field(resolver=_goal, description="The goal it moves forward, if any.")

    @classmethod
    def from_row(cls, row: ActionItemRow) -> "ActionItem":
        return cls(
            id=encode_global_id(ACTION_ITEM_TYPE_NAME, row.id),
            account_id=encode_global_id("Account", row.account_id),
            title=row.title,
            theme=ActionItemTheme(row.theme) if row.theme else None,
            owner=row.owner,
            due_on=row.due_on,
            status=ActionItemStatus(row.status),
            completed_at=row.completed_at,
            goal_id=encode_global_id(GOAL_TYPE_NAME, row.goal_id) if row.goal_id else None,
            handoff_id=encode_global_id(HANDOFF_TYPE_NAME, row.handoff_id) if row.handoff_id else None,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            linked_goal_id=row.goal_id,
        )
