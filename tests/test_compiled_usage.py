"""The compiled read path answers an account's usage, surveys and NPS exactly as the resolvers do, and never
falls back for them (tests/compiled_reads.py runs both paths)."""

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.settings import Settings
from service.surveys.queries import nps_score, nps_score_sql
from service.usage.queries import utilization, utilization_sql
from tests.compiled_portfolio import seed_demo_portfolio
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key
from tests.statements import counting_statements

USAGE_QUERY = """
query Usage($id: ID!, $from: Date!, $to: Date!, $interval: UsageInterval, $event: String, $days: Int!) {
  account(id: $id) {
    name
    usage(from: $from, to: $to, interval: $interval, event: $event) { periodStart events activeUsers }
    weekly: usage(from: $from, to: $to, interval: WEEK) { __typename activeUsers periodStart }
    activeUsers(days: $days)
    activeUsers30: activeUsers
    licensedSeats
    licenseUtilization(days: $days)
    utilization30: licenseUtilization
    featureAdoption(days: $days) { feature events users }
    adoption7: featureAdoption(days: 7) { users feature }
    lastSeenDistribution { within1Day within7Days within30Days over30Days __typename }
  }
}
"""

SURVEYS_QUERY = """
query Voice($id: ID!, $kind: SurveyKind, $first: Int, $after: String, $from: Date, $to: Date) {
  account(id: $id) {
    surveys(kind: $kind, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id kind score comment contactEmail respondedAt __typename } }
    }
    npsOnly: surveys(kind: NPS, first: 2) { edges { node { kind score } } totalCount }
    csatOnly: surveys(kind: CSAT, first: 2) { edges { node { kind score } } totalCount }
    nps(from: $from, to: $to) { responses promoters passives detractors nps }
    defaultNps: nps { nps responses }
  }
}
"""

ROLES = [Role.ADMIN, Role.CSM, Role.BI]


@pytest_asyncio.fixture
async def portfolio(engine: AsyncEngine) -> AsyncEngine:
    await seed_demo_portfolio(engine, accounts=30, seed=5)
    async with engine.begin() as conn:  # an account with no usage, no contracts (no seats) and no surveys
        await conn.execute(sa.text("INSERT INTO accounts (id, name) VALUES (:id, 'Bare account')"), {"id": BARE})
    return engine


BARE = uuid.UUID("00000000-0000-4000-8000-00000000b4e0")


@pytest_asyncio.fixture
async def paths(portfolio: AsyncEngine, settings: Settings) -> AsyncIterator[BothWays]:
    async with both_ways(settings) as found:
        yield found


async def _accounts(engine: AsyncEngine, sql: str) -> list[uuid.UUID]:
    async with engine.connect() as conn:
        return [row[0] for row in await conn.execute(sa.text(sql))]


async def _some_accounts(engine: AsyncEngine) -> list[uuid.UUID]:
    """A few accounts of every kind: with usage and seats, with usage but no seats, and the bare one."""
    used = await _accounts(engine, "SELECT DISTINCT account_id FROM usage_daily ORDER BY 1 LIMIT 4")
    unseated = await _accounts(
        engine,
        "SELECT a.id FROM accounts a WHERE NOT EXISTS (SELECT FROM contract_lines l WHERE l.account_id = a.id)"
        " ORDER BY (SELECT count(*) FROM user_last_seen s WHERE s.account_id = a.id) DESC, a.id LIMIT 2",
    )
    return [*used, *unseated, BARE]


async def test_usage_fields_compile_as_the_resolvers_answer(portfolio: AsyncEngine, paths: BothWays) -> None:
    for role in ROLES:  # one seeded portfolio for every role
        key = await make_key(portfolio, role, "usage")
        today = dt.datetime.now(dt.UTC).date()
        event = await _accounts(portfolio, "SELECT feature FROM usage_daily GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        cases: list[dict[str, Any]] = [
            {
                "from": (today - dt.timedelta(days=30)).isoformat(),
                "to": today.isoformat(),
                "interval": "DAY",
                "days": 30,
            },
            {
                "from": (today - dt.timedelta(days=95)).isoformat(),
                "to": today.isoformat(),
                "interval": "WEEK",
                "days": 7,
            },
            {"from": "2025-11-17", "to": (today + dt.timedelta(days=1)).isoformat(), "interval": "MONTH", "days": 90},
            {
                "from": (today - dt.timedelta(days=60)).isoformat(),
                "to": today.isoformat(),
                "event": str(event[0]),
                "interval": "WEEK",
                "days": 1,
            },
            {
                "from": (today - dt.timedelta(days=10)).isoformat(),
                "to": (today - dt.timedelta(days=9)).isoformat(),
                "interval": "MONTH",
                "days": 3660,
            },
        ]
        answers = []
        with fallbacks() as fell:
            for account_id in await _some_accounts(portfolio):
                for variables in cases:
                    answer = await paths.same(
                        key, USAGE_QUERY, {"id": encode_global_id("Account", account_id), **variables}
                    )
                    answers.append(answer["data"]["account"])
        assert fell.seen == []
        assert any(a["usage"] and any(p["events"] for p in a["usage"]) for a in answers)
        assert any(a["licenseUtilization"] is None for a in answers)
        assert any(a["licenseUtilization"] for a in answers)
        assert any(a["featureAdoption"] for a in answers)
        bare = answers[-1]
        assert bare["activeUsers"] == 0
        assert bare["featureAdoption"] == []
        assert bare["licenseUtilization"] is None
        assert bare["lastSeenDistribution"]["over30Days"] == 0
        assert all(p["events"] == 0 for p in bare["usage"])


async def test_surveys_and_nps_compile_as_the_resolvers_answer(portfolio: AsyncEngine, paths: BothWays) -> None:
    for role in ROLES:  # one seeded portfolio for every role
        key = await make_key(portfolio, role, "voice")
        today = dt.datetime.now(dt.UTC).date()
        accounts = await _accounts(
            portfolio, "SELECT account_id FROM survey_responses GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3"
        )
        windows = [
            {},
            {"from": (today - dt.timedelta(days=365)).isoformat()},
            {"from": "2020-01-01", "to": (today + dt.timedelta(days=1)).isoformat()},
            {"to": (today - dt.timedelta(days=30)).isoformat()},
        ]
        pages = 0
        with fallbacks() as fell:
            for account_id in [*accounts, BARE]:
                gid = encode_global_id("Account", account_id)
                for kind in (None, "NPS", "CSAT"):
                    after = None
                    for window in windows:
                        variables = {"id": gid, "kind": kind, "first": 3, "after": after, **window}
                        answer = (await paths.same(key, SURVEYS_QUERY, variables))["data"]["account"]
                        pages += 1
                        after = answer["surveys"]["pageInfo"]["endCursor"]
                        if not answer["surveys"]["pageInfo"]["hasNextPage"]:
                            break
                await paths.same(key, SURVEYS_QUERY, {"id": gid, "first": 0})
                await paths.same(key, SURVEYS_QUERY, {"id": gid, "first": 100})
        assert fell.seen == []
        assert pages > 6


async def test_refused_arguments_fall_back_to_the_resolvers_errors(portfolio: AsyncEngine, paths: BothWays) -> None:
    key = await make_key(portfolio, Role.ADMIN, "refused")
    gid = encode_global_id("Account", (await _some_accounts(portfolio))[0])
    usage = {"id": gid, "from": "2026-01-01", "to": "2026-02-01", "interval": "DAY", "days": 30}
    with fallbacks() as fell:
        for variables in (
            {**usage, "to": "2026-01-01"},
            {**usage, "from": "2020-01-01", "to": "2026-01-01"},
            {**usage, "days": 0},
            {**usage, "days": 3661},
        ):
            answer = await paths.same(key, USAGE_QUERY, variables)
            assert answer["errors"]
        refused: tuple[dict[str, Any], ...] = (
            {"id": gid, "first": -1},
            {"id": gid, "after": "not a cursor"},
            {"id": gid, "from": "2026-02-01", "to": "2026-01-01"},
        )
        for voice in refused:
            answer = await paths.same(key, SURVEYS_QUERY, voice)
            assert answer["errors"]
    assert len(fell.seen) == 7 * 2  # each asked twice (``BothWays``), refused each time
    assert all("refuses" in reason for _, reason in fell.seen)


async def test_rounding_rules_are_the_same_in_python_and_sql(engine: AsyncEngine) -> None:
    pairs = [(active, seats) for seats in (1, 3, 7, 8, 16, 20000, 30000, 80000) for active in range(0, 40, 3)]
    pairs += [(1, 8), (1, 16), (3, 80000), (1, 20000), (5, 4), (1, 0)]
    scores = [(p, d, n) for n in (0, 1, 3, 7, 8, 16, 32, 800) for p in range(0, n + 1, 3) for d in (0, n - p)]
    async with engine.connect() as conn:
        for active, seats in pairs:
            found = (await conn.execute(sa.select(utilization_sql(sa.literal(active), sa.literal(seats))))).scalar()
            assert found == utilization(active, seats), (active, seats)
        for promoters, detractors, responses in scores:
            sql = nps_score_sql(sa.literal(promoters), sa.literal(detractors), sa.literal(responses))
            assert (await conn.execute(sa.select(sql))).scalar() == nps_score(promoters, detractors, responses)
    assert nps_score(1, 0, 32) == 3.13
    assert nps_score(0, 1, 32) == -3.13
    assert utilization(1, 20000) == 0.0001


async def test_a_kept_statement_counts_from_each_requests_own_clock(portfolio: AsyncEngine, paths: BothWays) -> None:
    """Plans are kept for the day; "seen in the last day" still ends at the request's now, not the planner's."""
    key = await make_key(portfolio, Role.ADMIN, "clock")
    async with portfolio.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO user_last_seen (account_id, user_ref, first_seen_at, last_seen_at)"
                " VALUES (:id, 'edge', now() - interval '2 days', now() - interval '1 day' + interval '2 seconds')"
            ),
            {"id": BARE},
        )
    query = """query Clock($id: ID!) { account(id: $id) {
        activeUsers(days: 1) lastSeenDistribution { within1Day within7Days } } }"""
    variables = {"id": encode_global_id("Account", BARE)}
    with fallbacks() as fell:
        first = await paths.same(key, query, variables)
        await asyncio.sleep(3)
        later = await paths.same(key, query, variables)
    assert fell.seen == []
    assert first["data"]["account"] == {"activeUsers": 1, "lastSeenDistribution": {"within1Day": 1, "within7Days": 0}}
    assert later["data"]["account"] == {"activeUsers": 0, "lastSeenDistribution": {"within1Day": 0, "within7Days": 1}}


FIGURES = """{ accounts(first: 5) { edges { node { name activeUsers licensedSeats licenseUtilization
  recent: activeUsers(days: 7) utilization7: licenseUtilization(days: 7)
  seatsThen: licensedSeats(asOf: "2025-01-01") mrr { amount } arr { currency amount } } } } }"""


async def test_figures_several_fields_read_are_computed_once_per_account(
    portfolio: AsyncEngine, paths: BothWays
) -> None:
    """activeUsers, licensedSeats and licenseUtilization read the same rules, and so do mrr and arr: each rule (per
    window or day) is one join of the account's object, not one subquery per field and per place a field's SQL
    names it."""
    key = await make_key(portfolio, Role.ADMIN, "figures")
    with fallbacks() as fell, counting_statements() as statements:
        answer = await paths.same(key, FIGURES)
    assert fell.seen == []
    assert len(answer["data"]["accounts"]["edges"]) == 5
    compiled, again = [statement for statement in statements if "json_build_object" in statement]
    assert "LIMIT '6'::INTEGER" in again  # asked again: the kept statement, the plan's constants written in
    for statement in (compiled, again):
        assert statement.count("FROM user_last_seen") == 2  # the 30- and the 7-day windows
        # seats today and on 2025-01-01, and the MRR per currency that mrr and arr both print
        assert statement.count("FROM contract_lines JOIN contracts") == 3
