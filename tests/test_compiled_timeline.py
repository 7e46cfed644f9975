"""``Account.timeline`` compiled answers exactly as its resolvers: every page, kinds filters, counts, errors and
roles, with no fallback for valid arguments."""

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.compiled_portfolio import account_ids, seed_portfolio
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key

TIMELINE = """
query($id: ID!, $first: Int, $after: String, $kinds: [TimelineKind!]) {
  account(id: $id) {
    timeline(first: $first, after: $after, kinds: $kinds) {
      __typename totalCount
      edges { cursor node { __typename id kind occurredAt summary actor source origin } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""

KINDS: list[list[str] | None] = [
    None,
    ["MEETING", "TICKET_OPENED", "CONTRACT_STARTED"],
    ["HEALTH_BAND_CHANGED", "HANDOFF_TRANSITION", "SURVEY_ANSWERED"],
    ["CONTRACT_RENEWED", "CONTRACT_ENDED", "TICKET_SOLVED"],
    [],
]


@pytest_asyncio.fixture
async def paths(engine: AsyncEngine, settings: Settings) -> AsyncIterator[BothWays]:
    await seed_portfolio(engine)
    async with both_ways(settings) as found:
        yield found


async def walk(paths: BothWays, key: str, variables: dict[str, Any]) -> int:
    """Every page of the timeline both ways; the number of entries seen."""
    seen, after = 0, None
    while True:
        answer = await paths.same(key, TIMELINE, {**variables, "after": after})
        timeline = answer["data"]["account"]["timeline"]
        seen += len(timeline["edges"])
        if not timeline["pageInfo"]["hasNextPage"]:
            return seen
        after = timeline["pageInfo"]["endCursor"]


async def test_timeline_pages(engine: AsyncEngine, paths: BothWays) -> None:
    for role in [Role.ADMIN, Role.CSM, Role.SALES, Role.BI]:  # one seeded portfolio for every role
        key = await make_key(engine, role, "timeline")
        ids = await account_ids(engine, 4)
        with fallbacks() as fell:
            seen = 0
            for account_id in ids:
                gid = encode_global_id("Account", account_id)
                for kinds in KINDS:
                    seen += await walk(paths, key, {"id": gid, "first": 9, "kinds": kinds})
                await paths.same(key, TIMELINE, {"id": gid})
                await paths.same(key, TIMELINE, {"id": gid, "first": 0})
        assert seen > 50
        assert fell.seen == []


async def test_timeline_refusals(engine: AsyncEngine, paths: BothWays) -> None:
    key = await make_key(engine, Role.ADMIN, "timeline")
    gid = encode_global_id("Account", (await account_ids(engine, 1))[0])
    with fallbacks() as fell:
        for variables in ({"first": -1}, {"first": 101}, {"after": "bm9wZQ"}, {"after": "WyJ4IiwieSJd"}):
            answer = await paths.same(key, TIMELINE, {"id": gid, **variables})
            assert answer["errors"]
    assert {reason.split(":")[0] for _, reason in fell.seen} == {"the resolver refuses the arguments"}
