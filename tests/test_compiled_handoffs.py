"""The compiled read path answers handoffs (the record's groups, SLA, events, pages) exactly as the resolvers do."""

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
from tests.handoff_factories import create, principal
from tests.success_plan import insert_handoff

# Everything but the lists bi sees masked (painPoints, outOfScope: the planner does not mask lists).
HANDOFF = """id __typename state version opportunityRef salesOwner csmOwner sensitivities createdBy createdAt updatedAt
  submittedAt acceptedAt kickoffHeldAt firstValueOn cancelledAt
  deal { products arr { amount currency } contractStartDate contractEndDate closedAt pricingTerms discountPercent
    billingTerms scope }
  whyTheyBought { triggerEvent alternativesEvaluated whyWeWon }
  goals { outcome measurable successCriterion { metric unit baseline target dueOn } }
  stakeholders { name role decides uses notes contact { id name email } }
  promises { kind description dueOn promisedBy }
  implementation { preStartTasks { title owner dueOn done } integrations dataMigration leadTimeDays }
  risks { description severity mitigation }
  competition { situation switchingCost competitorsInUse notes }
  timeline { introSentOn kickoffDate goLiveTargetDate firstValueMilestone firstValueTargetDate }
  evidence { kind title url }
  sla { closeToSubmitHours submitToAcceptHours acceptToKickoffHours timeToValueDays returnedCount }
  events { actor actorRole fromState toState comment occurredAt }
  account { id name } contract { id status lines { quantity } } missingForSubmit"""
LISTS = "deal { outOfScope } whyTheyBought { painPoints }"
PAGE = f"""query($filter: HandoffFilterInput, $first: Int, $after: String) {{
  handoffs(filter: $filter, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{ cursor node {{ {HANDOFF} }} }} }} }}"""
ONE = f"""query($id: ID!) {{ handoff(id: $id) {{ {HANDOFF} }} node(id: $id) {{ id ... on Handoff {{ state sla {{
  returnedCount }} }} }} }}"""
ACCOUNT = f"""query($id: ID!) {{ account(id: $id) {{ name handoffs {{ {HANDOFF} }} }} }}"""


@pytest_asyncio.fixture
async def paths(engine: AsyncEngine, settings: Settings) -> AsyncIterator[BothWays]:
    """The demo portfolio (handoffs in every state), a complete record and a bare row (an empty document)."""
    await seed_demo_portfolio(engine, accounts=30, seed=5)
    await create(engine, principal(Role.SALES, "Sato"))
    partial = {
        "deal": {"arr": "10.50", "pricing_terms": "list"},
        "goals": [{"outcome": "Vague", "success_criterion": {"metric": "m", "baseline": "1.5"}}, {"outcome": "None"}],
        "stakeholders": [{"name": "Ana", "role": "champion", "decides": True}, {"name": "Bo", "role": "admin"}],
        "timeline": {"kickoff_date": "2026-04-01"},
    }
    await create(engine, principal(Role.SALES, "Sato"), partial)
    async with engine.connect() as conn:
        account_id = (await conn.execute(sa.text("SELECT id FROM accounts ORDER BY name LIMIT 1"))).scalar_one()
    await insert_handoff(engine, account_id)
    async with both_ways(settings) as found:
        yield found


async def _ids(engine: AsyncEngine, sql: str) -> list[Any]:
    async with engine.connect() as conn:
        return [row[0] for row in await conn.execute(sa.text(sql))]


async def test_handoffs(engine: AsyncEngine, paths: BothWays) -> None:
    for role in [Role.ADMIN, Role.CSM, Role.SALES, Role.BI]:  # one seeded portfolio for every role
        key = await make_key(engine, role, f"reader {role.value}")
        handoff_ids = await _ids(engine, "SELECT id FROM handoffs ORDER BY id")
        account_ids = await _ids(engine, "SELECT DISTINCT account_id FROM handoffs ORDER BY 1")
        assert len(handoff_ids) > 7
        csms = await _ids(engine, "SELECT DISTINCT csm_owner FROM handoffs WHERE csm_owner IS NOT NULL ORDER BY 1")
        filters = [
            None,
            {"state": ["ACCEPTED", "DRAFT", "SUBMITTED"]},
            {"csmOwner": csms[:2], "createdFrom": "2020-01-01T00:00:00Z"},
            {"accountId": [encode_global_id("Account", account_ids[0])], "salesOwner": ["nobody"]},
            {"createdTo": "2000-01-01T00:00:00Z"},
        ]
        with fallbacks() as fell:
            for chosen in filters:
                after = None
                for _ in range(4):  # pages of three, following the cursors
                    page = await paths.same(key, PAGE, {"filter": chosen, "first": 3, "after": after})
                    after = page["data"]["handoffs"]["pageInfo"]["endCursor"]
                    if not page["data"]["handoffs"]["pageInfo"]["hasNextPage"]:
                        break
            await paths.same(key, PAGE, {"first": 0})
            for handoff_id in handoff_ids:
                await paths.same(key, ONE, {"id": encode_global_id("Handoff", handoff_id)})
            for account_id in account_ids:
                await paths.same(key, ACCOUNT, {"id": encode_global_id("Account", account_id)})
        assert fell.seen == []


async def test_what_falls_back_answers_the_same(engine: AsyncEngine, paths: BothWays) -> None:
    """Masked lists (bi), refused roles and refused arguments: the resolvers answer."""
    for role in [Role.ADMIN, Role.BI, Role.INGEST]:  # one seeded portfolio for every role
        key = await make_key(engine, role, f"reader {role.value}")
        (handoff_id, *_) = await _ids(engine, "SELECT id FROM handoffs ORDER BY id")
        gid = encode_global_id("Handoff", handoff_id)
        await paths.same(key, f"query($id: ID!) {{ handoff(id: $id) {{ {LISTS} }} }}", {"id": gid})
        await paths.same(key, PAGE, {"first": 3})
        await paths.same(key, PAGE, {"first": -1})
        await paths.same(key, PAGE, {"after": "not a cursor"})
        await paths.same(
            key, PAGE, {"filter": {"createdFrom": "2026-01-02T00:00:00Z", "createdTo": "2026-01-01T00:00:00Z"}}
        )
        await paths.same(key, ONE, {"id": encode_global_id("Account", handoff_id)})
