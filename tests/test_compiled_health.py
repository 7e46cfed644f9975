"""``Account.health`` and ``Account.healthHistory`` compiled answer exactly as their resolvers: the measures
explanation, overrides (applying, expired, lifted), the effective score, windows, refusals and roles, with no
fallback for valid arguments."""

import datetime as dt
from collections.abc import AsyncIterator

import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.compiled_portfolio import account_ids, seed_portfolio
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key

SCORE = """__typename name score band tier suggestedTouchModel trend coverage computedAt scorecardVersion
scorecardId measures { __typename key rawValue score weight contribution missing reason note }
override { __typename id name score reason createdBy createdAt expiresAt liftedAt liftedBy } effectiveScore"""
HEALTH = """
query($id: ID!, $name: String!, $from: Date, $to: Date) {
  account(id: $id) {
    health { SCORE }
    named: health(name: $name) { name score effectiveScore override { id score } }
    healthHistory(name: $name, from: $from, to: $to) { SCORE }
    defaultHistory: healthHistory { computedAt score band }
  }
}
""".replace("SCORE", SCORE)


@pytest_asyncio.fixture
async def paths(engine: AsyncEngine, settings: Settings) -> AsyncIterator[BothWays]:
    await seed_portfolio(engine)
    async with engine.begin() as conn:  # overrides applying now, expired and lifted, on the first accounts
        await conn.execute(
            sa.text(
                "INSERT INTO health_overrides (id, account_id, score_name, score, reason, created_by, created_at,"
                " expires_at, lifted_at, lifted_by)"
                " SELECT gen_random_uuid(), id, 'overall', 42.5, 'renewal signed', 'csm@example.com',"
                " now() - interval '2 days', now() + (n - 2.5) * interval '1 day',"
                " CASE WHEN n = 5 THEN now() - interval '1 day' END, CASE WHEN n = 5 THEN 'lead@example.com' END"
                " FROM (SELECT id, row_number() OVER (ORDER BY name) AS n FROM accounts) a WHERE n <= 6"
            )
        )
    async with both_ways(settings) as found:
        yield found


async def test_health(engine: AsyncEngine, paths: BothWays) -> None:
    for role in [Role.ADMIN, Role.CSM, Role.SALES, Role.BI]:  # one seeded portfolio for every role
        key = await make_key(engine, role, "health")
        today = dt.datetime.now(dt.UTC).date()
        windows = [
            {},
            {"from": (today - dt.timedelta(days=45)).isoformat()},
            {"from": (today - dt.timedelta(days=90)).isoformat(), "to": (today - dt.timedelta(days=20)).isoformat()},
        ]
        with fallbacks() as fell:
            scored = 0
            for account_id in await account_ids(engine, 10):
                gid = encode_global_id("Account", account_id)
                for name in ("overall", "nope"):
                    for window in windows:
                        answer = await paths.same(key, HEALTH, {"id": gid, "name": name, **window})
                        scored += len((answer.get("data") or {}).get("account", {}).get("healthHistory") or [])
        if role is not Role.SALES:
            assert scored > 10
        assert fell.seen == []


async def test_health_refusals(engine: AsyncEngine, paths: BothWays) -> None:
    key = await make_key(engine, Role.ADMIN, "health")
    gid = encode_global_id("Account", (await account_ids(engine, 1))[0])
    with fallbacks() as fell:
        answer = await paths.same(key, HEALTH, {"id": gid, "name": "overall", "from": "2026-01-02", "to": "2026-01-01"})
        assert answer["errors"]
    assert {reason.split(":")[0] for _, reason in fell.seen} == {"the resolver refuses the arguments"}
