"""The compiled read path answers exactly as the resolvers do (tests/compiled_reads.py runs both)."""

import datetime as dt
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.graphql_360.pages import ACCOUNT_360_QUERY, PORTFOLIO_QUERY, TIMELINE_QUERY, usage_range
from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.seed.loader import seed_demo
from service.settings import Settings
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key


@pytest_asyncio.fixture
async def portfolio(engine: AsyncEngine) -> AsyncEngine:
    await seed_demo(engine, accounts=30, seed=5)
    return engine


@pytest_asyncio.fixture
async def paths(portfolio: AsyncEngine, settings: Settings) -> AsyncIterator[BothWays]:
    async with both_ways(settings) as found:
        yield found


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CSM, Role.BI])
async def test_bench_pages(portfolio: AsyncEngine, paths: BothWays, role: Role) -> None:
    key = await make_key(portfolio, role, "pages")
    start, end = usage_range(dt.datetime.now(dt.UTC).date())
    async with portfolio.connect() as conn:
        csms = [
            r[0]
            for r in await conn.execute(sa.text("SELECT DISTINCT csm_owner FROM accounts WHERE csm_owner IS NOT NULL"))
        ]
        ids = [r[0] for r in await conn.execute(sa.text("SELECT id FROM accounts ORDER BY name LIMIT 8"))]
    with fallbacks() as fell:
        for csm in csms:
            await paths.same(
                key, PORTFOLIO_QUERY, {"csm": csm, "first": 50, "from": start.isoformat(), "to": end.isoformat()}
            )
        for account_id in ids:
            gid = encode_global_id("Account", account_id)
            await paths.same(key, ACCOUNT_360_QUERY, {"id": gid, "from": start.isoformat(), "to": end.isoformat()})
            await paths.same(key, TIMELINE_QUERY, {"id": gid})
    print(sorted(set(fell.seen)))


TWO_FILTERS_QUERY = """
query TwoFilters($id: ID!) {
  account(id: $id) {
    solved: tickets(filter: {status: [SOLVED, CLOSED]}, first: 50) { totalCount edges { node { status } } }
    fresh: tickets(filter: {status: [NEW]}, first: 50) { totalCount edges { node { status } } }
    nps: surveys(kind: NPS, first: 50) { totalCount edges { node { kind } } }
    csat: surveys(kind: CSAT, first: 50) { totalCount edges { node { kind } } }
  }
}
"""


async def test_aliases_with_different_filters_keep_their_own(portfolio: AsyncEngine, paths: BothWays) -> None:
    key = await make_key(portfolio, Role.ADMIN, "filters")
    async with portfolio.connect() as conn:
        busiest = (
            await conn.execute(sa.text("SELECT account_id FROM tickets GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))
        ).scalar_one()
    with fallbacks() as fell:
        answer = await paths.same(key, TWO_FILTERS_QUERY, {"id": encode_global_id("Account", busiest)})
    assert fell.seen == []
    account = answer["data"]["account"]
    assert {edge["node"]["status"] for edge in account["fresh"]["edges"]} <= {"NEW"}
    assert account["solved"]["totalCount"] != account["fresh"]["totalCount"]
