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
from service.settings import Settings
from tests.app_client import app_client
from tests.compiled_portfolio import seed_demo_portfolio
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.statements import counting_statements


@pytest_asyncio.fixture
async def portfolio(engine: AsyncEngine) -> AsyncEngine:
    await seed_demo_portfolio(engine, accounts=30, seed=5)
    return engine


@pytest_asyncio.fixture
async def paths(portfolio: AsyncEngine, settings: Settings) -> AsyncIterator[BothWays]:
    async with both_ways(settings) as found:
        yield found


async def test_bench_pages(portfolio: AsyncEngine, paths: BothWays) -> None:
    for role in [Role.ADMIN, Role.CSM, Role.BI]:  # one seeded portfolio for every role
        key = await make_key(portfolio, role, "pages")
        start, end = usage_range(dt.datetime.now(dt.UTC).date())
        async with portfolio.connect() as conn:
            csms = [
                r[0]
                for r in await conn.execute(
                    sa.text("SELECT DISTINCT csm_owner FROM accounts WHERE csm_owner IS NOT NULL")
                )
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


COMPILED_PAGE = """
query($first: Int!) {
  accounts(first: $first, orderBy: {field: NAME}) {
    edges { cursor node {
      id name parent { name } children { name } sources { source }
      contacts { name account { name } }
      contracts(status: [ACTIVE]) { status lines { product { name } mrr { amount } } account { name } }
      mrr { amount } arr(asOf: "2026-06-01") { amount } renewalDate licensedSeats
      tickets(filter: {open: true}, first: 3) { totalCount edges { node { subject } } pageInfo { hasNextPage } }
    } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""


@pytest.mark.parametrize("first", [5, 100])
async def test_one_statement_per_compiled_root(portfolio: AsyncEngine, settings: Settings, first: int) -> None:
    key = await make_key(portfolio, Role.ADMIN, "count")
    async with app_client(settings) as (client, _):
        await gql(client, key, "{ __typename }")  # the key's first use looks it up; then it is cached
        with fallbacks() as fell, counting_statements() as statements:
            body = await gql(client, key, COMPILED_PAGE, {"first": first})
    assert "errors" not in body, body
    assert len(body["data"]["accounts"]["edges"]) == min(first, 30)
    assert fell.seen == []
    reads = [statement for statement in statements if "rate_limit_buckets" not in statement]  # the key's budget
    assert len(reads) == 1, reads


async def test_the_response_budget_counts_compiled_lists(portfolio: AsyncEngine, settings: Settings) -> None:
    key = await make_key(portfolio, Role.ADMIN, "budget")
    budget = settings.model_copy(update={"graphql_max_response_rows": 40})
    async with both_ways(budget) as paths:
        with fallbacks() as fell:
            body = await paths.same(key, COMPILED_PAGE, {"first": 30})
    assert body["errors"][0]["extensions"] == {"code": "RESPONSE_TOO_LARGE", "maxRows": 40}
    assert "data" not in body
    assert fell.seen == []
    async with both_ways(budget) as paths:
        small = await paths.same(key, "{ accounts(first: 3) { edges { node { name contacts { name } } } } }")
    assert "errors" not in small


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


async def test_aliased_roots_answer_like_the_resolvers(portfolio: AsyncEngine, settings: Settings) -> None:
    key = await make_key(portfolio, Role.ADMIN, "aliases")
    query = "{ a: accounts(first: 2) { edges { node { name } } } b: accounts(first: 1) { totalCount } }"
    async with both_ways(settings) as paths:
        with fallbacks() as fell:
            body = await paths.same(key, query)
    assert len(body["data"]["a"]["edges"]) == 2
    assert fell.seen == []
