"""``Account.alerts`` and the root ``alerts`` connection compiled answer exactly as their resolvers: filters,
pages, counts, refusals and roles, with no fallback for valid arguments."""

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.compiled_portfolio import account_ids, seed_portfolio
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key

ALERT = "__typename id accountId rule status message details openedAt acknowledgedAt acknowledgedBy resolvedAt "
ALERT += "resolvedBy note"
ALERT_LIST = """
query($filter: AlertFilter, $first: Int, $after: String) {
  alerts(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { ALERT } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
""".replace("ALERT", ALERT)
ACCOUNT_ALERTS = """
query($id: ID!, $status: [AlertStatus!]) {
  account(id: $id) { name open: alerts { ALERT } chosen: alerts(status: $status) { id rule status } }
}
""".replace("ALERT", ALERT)


@pytest_asyncio.fixture
async def paths(engine: AsyncEngine, settings: Settings) -> AsyncIterator[BothWays]:
    await seed_portfolio(engine)
    async with engine.begin() as conn:  # some alerts further along their handling
        await conn.execute(
            sa.text(
                "UPDATE alerts SET status = CASE WHEN random() < 0.5 THEN 'acknowledged' ELSE 'resolved' END, "
                "acknowledged_at = opened_at + interval '1 hour', acknowledged_by = 'csm@example.com', "
                "note = 'on it' WHERE id IN (SELECT id FROM alerts ORDER BY id LIMIT 10)"
            )
        )
    async with both_ways(settings) as found:
        yield found


async def walk(paths: BothWays, key: str, variables: dict[str, Any]) -> int:
    seen, after = 0, None
    while True:
        answer = await paths.same(key, ALERT_LIST, {**variables, "after": after})
        alerts = answer["data"]["alerts"]
        seen += len(alerts["edges"])
        if not alerts["pageInfo"]["hasNextPage"]:
            return seen
        after = alerts["pageInfo"]["endCursor"]


async def test_alerts(engine: AsyncEngine, paths: BothWays) -> None:
    for role in [Role.ADMIN, Role.CSM, Role.SALES, Role.BI]:  # one seeded portfolio for every role
        key = await make_key(engine, role, "alerts")
        ids = await account_ids(engine, 30)
        gids = [encode_global_id("Account", account_id) for account_id in ids]
        with fallbacks() as fell:
            seen = await walk(paths, key, {"first": 4})
            await walk(paths, key, {"first": 3, "filter": {"status": ["OPEN"], "rule": ["BAND_DROPPED", "NO_LOGINS"]}})
            await walk(paths, key, {"first": 2, "filter": {"accountId": gids[:10], "status": ["ACKNOWLEDGED"]}})
            await paths.same(key, ALERT_LIST, {"first": 0})
            await paths.same(key, ALERT_LIST, {"filter": {"status": []}})
            for gid in gids[:12]:
                await paths.same(key, ACCOUNT_ALERTS, {"id": gid, "status": ["RESOLVED", "OPEN"]})
                await paths.same(key, ACCOUNT_ALERTS, {"id": gid, "status": []})
        if role is not Role.SALES:
            assert seen > 5
        assert fell.seen == []


async def test_alert_refusals(engine: AsyncEngine, paths: BothWays) -> None:
    key = await make_key(engine, Role.ADMIN, "alerts")
    with fallbacks() as fell:
        for variables in ({"first": 101}, {"after": "bm9wZQ"}, {"filter": {"accountId": ["nope"]}}):
            answer = await paths.same(key, ALERT_LIST, variables)
            assert answer["errors"]
    assert {reason.split(":")[0] for _, reason in fell.seen} == {"the resolver refuses the arguments"}
