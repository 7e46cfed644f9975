"""The compiled read path answers the success plan (goals, progress, action items) exactly as the resolvers do."""

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.compiled_portfolio import seed_demo_portfolio
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key
from tests.success_plan import CREATE_ITEM, RECORD, SET_STATUS, add_goal, mutate

GOAL = """id accountId outcome dueOn status currentValue achievedOn progressRatio handoffId statusChangedAt
  statusChangedBy statusNote createdBy createdAt updatedAt __typename
  successCriterion { metric unit baseline target dueOn }
  progress { value measuredAt recordedBy note }"""
ITEM = """id accountId title theme owner dueOn status completedAt goalId handoffId createdBy createdAt updatedAt
  goal { id outcome status progressRatio successCriterion { target } }"""
PLAN = f"""query($id: ID!, $goals: [GoalStatus!], $items: [ActionItemStatus!]) {{ account(id: $id) {{ id
  goals(status: $goals) {{ {GOAL} }}
  actionItems(status: $items) {{ {ITEM} }}
  open: actionItems {{ id title }} all: goals {{ outcome }} }} }}"""
NODE = f"""query($id: ID!) {{ node(id: $id) {{ __typename id
  ... on Goal {{ {GOAL} }} ... on ActionItem {{ {ITEM} }} }} }}"""


@pytest_asyncio.fixture
async def plan(engine: AsyncEngine, settings: Settings) -> AsyncIterator[BothWays]:
    """The demo portfolio (accepted handoffs made goals and action items) and a plan written by hand."""
    await seed_demo_portfolio(engine, accounts=30, seed=5)
    async with engine.connect() as conn:
        account_id = (await conn.execute(sa.text("SELECT id FROM accounts ORDER BY name LIMIT 1"))).scalar_one()
    async with both_ways(settings) as found:
        csm = await make_key(engine, Role.CSM, "Aiko")
        client = found.resolvers
        tie = await add_goal(client, csm, account_id, outcome="Ties", metric="m", unit="%", baseline="0", target="32")
        await add_goal(client, csm, account_id, outcome="No numbers", dueOn="2027-01-31")
        flat = await add_goal(client, csm, account_id, outcome="Flat", metric="m", baseline="5", target="5.0000")
        for goal_id, value, day in ((tie["id"], "1", "01"), (tie["id"], "12.3400", "02"), (flat["id"], "5", "03")):
            await mutate(
                client,
                csm,
                RECORD,
                {"input": {"goalId": goal_id, "value": value, "measuredAt": f"2026-01-{day}T08:00:00.5Z", "note": "n"}},
            )
        await mutate(client, csm, SET_STATUS, {"input": {"goalId": flat["id"], "status": "AT_RISK", "note": "slow"}})
        gid = encode_global_id("Account", account_id)
        for title, theme in (("Train admins", "VOICE_OF_CUSTOMER"), ("Untitled theme", None)):
            fields = {"accountId": gid, "title": title, "theme": theme, "goalId": tie["id"], "dueOn": "2026-05-01"}
            await mutate(client, csm, CREATE_ITEM, {"input": fields})
        yield found


async def test_success_plans(engine: AsyncEngine, plan: BothWays) -> None:
    for role in [Role.ADMIN, Role.CSM, Role.SALES, Role.BI]:  # one seeded portfolio for every role
        key = await make_key(engine, role, f"reader {role.value}")
        async with engine.connect() as conn:
            accounts = [r[0] for r in await conn.execute(sa.text("SELECT DISTINCT account_id FROM goals ORDER BY 1"))]
            goals = [r[0] for r in await conn.execute(sa.text("SELECT id FROM goals ORDER BY id LIMIT 6"))]
            items = [r[0] for r in await conn.execute(sa.text("SELECT id FROM action_items ORDER BY id LIMIT 6"))]
        assert len(accounts) > 2
        assert items
        arguments: list[dict[str, Any]] = [
            {},
            {"goals": ["AT_RISK", "ON_TRACK"], "items": ["DONE", "OPEN", "IN_PROGRESS", "CANCELLED"]},
            {"goals": [], "items": []},
        ]
        with fallbacks() as fell:
            for account_id in accounts:
                for chosen in arguments:
                    await plan.same(key, PLAN, {"id": encode_global_id("Account", account_id), **chosen})
            for goal_id in goals:
                await plan.same(key, NODE, {"id": encode_global_id("Goal", goal_id)})
            for item_id in items:
                await plan.same(key, NODE, {"id": encode_global_id("ActionItem", item_id)})
        assert fell.seen == []
