"""Helpers for success-plan tests (goals and action items): keys per role, mutations, row counts."""

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.handoffs.tables import handoffs
from tests.conftest import make_key
from tests.graphql_client import gql

GOAL_FIELDS = """id accountId outcome dueOn status currentValue achievedOn progressRatio handoffId createdBy
  createdAt updatedAt successCriterion { metric unit baseline target dueOn }"""
ITEM_FIELDS = """id accountId title theme owner dueOn status completedAt goalId handoffId createdBy createdAt
  updatedAt goal { id outcome }"""
ERROR_FIELDS = "... on MutationError { code message field }"

ADD_GOAL = f"""mutation($input: AddGoalInput!) {{ addGoal(input: $input) {{
  ... on Goal {{ {GOAL_FIELDS} }} {ERROR_FIELDS} }} }}"""
RECORD = f"""mutation($input: RecordGoalProgressInput!) {{ recordGoalProgress(input: $input) {{
  ... on Goal {{ {GOAL_FIELDS} progress {{ value measuredAt recordedBy note }} }} {ERROR_FIELDS} }} }}"""
SET_STATUS = f"""mutation($input: SetGoalStatusInput!) {{ setGoalStatus(input: $input) {{
  ... on Goal {{ {GOAL_FIELDS} }} {ERROR_FIELDS} }} }}"""
CREATE_ITEM = f"""mutation($input: CreateActionItemInput!) {{ createActionItem(input: $input) {{
  ... on ActionItem {{ {ITEM_FIELDS} }} {ERROR_FIELDS} }} }}"""
UPDATE_ITEM = f"""mutation($input: UpdateActionItemInput!) {{ updateActionItem(input: $input) {{
  ... on ActionItem {{ {ITEM_FIELDS} }} {ERROR_FIELDS} }} }}"""
COMPLETE_ITEM = f"""mutation($id: ID!) {{ completeActionItem(id: $id) {{
  ... on ActionItem {{ {ITEM_FIELDS} }} {ERROR_FIELDS} }} }}"""


def account_gid(account_id: uuid.UUID) -> str:
    return encode_global_id("Account", account_id)


async def keys(engine: AsyncEngine) -> dict[Role, str]:
    """One API key per role, named after it (the csm key is "Aiko")."""
    names = {Role.CSM: "Aiko"}
    return {role: await make_key(engine, role, names.get(role, role.value)) for role in Role}


async def mutate(client: httpx.AsyncClient, key: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The one mutation's result (the Goal/ActionItem or the MutationError); GraphQL errors fail the test."""
    body = await gql(client, key, query, variables)
    assert "errors" not in body, body
    (result,) = body["data"].values()
    assert isinstance(result, dict)
    return result


async def add_goal(client: httpx.AsyncClient, key: str, account_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    goal = await mutate(client, key, ADD_GOAL, {"input": {"accountId": account_gid(account_id), **fields}})
    assert "code" not in goal, goal
    return goal


async def count(engine: AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def insert_handoff(engine: AsyncEngine, account_id: uuid.UUID) -> uuid.UUID:
    """A bare handoff row of the account (the handoff workflow's own tests cover its content)."""
    async with engine.begin() as conn:
        inserted = await conn.execute(sa.insert(handoffs).values(account_id=account_id).returning(handoffs.c.id))
        return uuid.UUID(str(inserted.scalar_one()))
