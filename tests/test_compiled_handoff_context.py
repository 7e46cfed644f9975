"""The compiled read path answers ``handoffContext`` exactly as the resolvers do (a hierarchy with a cycle too)."""

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.compiled_portfolio import seed_portfolio
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key

COMPILED = """account { id name csmOwner contracts { status } }
  ancestors { id name } subsidiaries { name }
  activeContracts { status startDate lines { quantity mrr { amount currency } } }
  latestHandoff { id state goals { outcome measurable } stakeholders { role decides contact { name } }
    sla { timeToValueDays closeToSubmitHours } }
  contactsByRole { role contacts { name role email } }
  openTickets(first: $first) { id status subject openedAt }
  openActionItems { title status goal { outcome } }
  goals { outcome status progressRatio }
  health { score band computedAt } openAlerts { rule status }
  recentTimeline(first: $first) { kind occurredAt summary }
  usage { activeUsers30d licensedSeats licenseUtilization
    lastSeen { within1Day within7Days within30Days over30Days } }"""
CONTEXT = f"""query($id: ID!, $first: Int!) {{ handoffContext(accountId: $id) {{ {COMPILED} }} }}"""


@pytest_asyncio.fixture
async def paths(engine: AsyncEngine, settings: Settings) -> AsyncIterator[BothWays]:
    await seed_portfolio(engine)  # the demo portfolio with a health history (scores, alerts)
    async with engine.begin() as conn:  # and the last three a cycle
        ids = [r[0] for r in await conn.execute(sa.text("SELECT id FROM accounts ORDER BY name LIMIT 14"))]
        for child, parent in itertools.pairwise(ids[:13]):  # a chain of 12 levels above the first: 10 shown
            await conn.execute(
                sa.text("UPDATE accounts SET parent_account_id = :p WHERE id = :c"), {"p": parent, "c": child}
            )
        await conn.execute(
            sa.text("UPDATE accounts SET parent_account_id = :p WHERE id = :c"), {"p": ids[10], "c": ids[12]}
        )
    async with both_ways(settings) as found:
        yield found


async def _accounts(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return [r[0] for r in await conn.execute(sa.text("SELECT id FROM accounts ORDER BY name"))]


async def test_handoff_context(engine: AsyncEngine, paths: BothWays) -> None:
    for role in [Role.ADMIN, Role.CSM, Role.SALES, Role.BI]:  # one seeded portfolio for every role
        key = await make_key(engine, role, f"reader {role.value}")
        with fallbacks() as fell:
            for account_id in await _accounts(engine):
                await paths.same(key, CONTEXT, {"id": encode_global_id("Account", account_id), "first": 3})
            await paths.same(key, CONTEXT, {"id": encode_global_id("Account", account_id), "first": 0})
        assert fell.seen == []


async def test_what_falls_back_answers_the_same(engine: AsyncEngine, paths: BothWays) -> None:
    key = await make_key(engine, Role.CSM, "csm")
    (account_id, *_) = await _accounts(engine)
    gid = encode_global_id("Account", account_id)
    await paths.same(key, CONTEXT, {"id": gid, "first": 101})
    await paths.same(key, CONTEXT, {"id": encode_global_id("Contact", account_id), "first": 1})
    await paths.same(await make_key(engine, Role.INGEST, "ingest"), CONTEXT, {"id": gid, "first": 1})
