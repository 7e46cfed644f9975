"""A timeline page reads what it shows: on an account with thousands of tickets, or of health scores (one per
recompute), the statement that answers ``timeline(first: 10)`` — compiled, and through the resolvers — reads a few
of the account's rows (each source's newest rows after the cursor, from its account-and-time index; for health,
the index of band changes), not all of them."""

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key
from tests.health_histories import hourly_scores
from tests.statements import sent_statements

TICKETS = 1500  # each opened and solved: 3,000 derived entries
PAGE = 10
TIMELINE = """
query($id: ID!, $first: Int, $after: String) {
  account(id: $id) {
    timeline(first: $first, after: $after) {
      edges { node { kind occurredAt summary } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


@pytest_asyncio.fixture
async def busy_account(engine: AsyncEngine) -> uuid.UUID:
    """An account with TICKETS tickets, one an hour back from NOW, each solved 30 minutes after it opened."""
    async with engine.begin() as conn:
        account_id = (
            await conn.execute(sa.text("INSERT INTO accounts (name) VALUES ('Busy Support Ltd') RETURNING id"))
        ).scalar_one()
        await conn.execute(
            sa.text(
                "INSERT INTO tickets (account_id, subject, status, priority, opened_at, solved_at)"
                " SELECT :account, 'Ticket ' || n, 'solved', 'normal', opened, opened + interval '30 minutes'"
                " FROM generate_series(1, :count) AS n,"
                " LATERAL (SELECT CAST(:now AS timestamptz) - n * interval '1 hour' AS opened) AS hourly"
            ),
            {"account": account_id, "now": NOW, "count": TICKETS},
        )
        await conn.execute(sa.text("ANALYZE tickets"))
    return uuid.UUID(str(account_id))


@pytest_asyncio.fixture
async def paths(settings: Settings) -> AsyncIterator[BothWays]:
    async with both_ways(settings) as found:
        yield found


def rows_read(plan: Any, table: str) -> int:
    """Rows the plan's scans of ``table`` returned, over all their loops."""
    own = plan.get("Actual Rows", 0) * plan.get("Actual Loops", 1) if plan.get("Relation Name") == table else 0
    return own + sum(rows_read(child, table) for child in plan.get("Plans", []))


async def explained_reads(engine: AsyncEngine, sent: list[tuple[str, Any]], table: str = "tickets") -> list[int]:
    """For each statement sent that names ``table``: the rows of it it read, run again under EXPLAIN ANALYZE."""
    reads = []
    async with engine.connect() as conn:
        for statement, parameters in sent:
            if table in statement:
                found = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters)
                plan = found.scalar_one()
                reads.append(rows_read((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"], table))
    return reads


async def test_a_timeline_page_reads_the_newest_tickets_only(
    engine: AsyncEngine, busy_account: uuid.UUID, paths: BothWays
) -> None:
    key = await make_key(engine, name="timeline reads")
    variables: dict[str, Any] = {"id": encode_global_id("Account", busy_account), "first": PAGE, "after": None}
    body = {"query": TIMELINE}
    for path, client in (("compiled", paths.compiled), ("resolvers", paths.resolvers)):
        for page in range(2):  # the first page, and the one after its cursor
            with fallbacks() as fell, sent_statements() as sent:
                answer = await client.post(
                    "/graphql", json={**body, "variables": variables}, headers={"authorization": f"Bearer {key}"}
                )
            timeline = answer.json()["data"]["account"]["timeline"]
            entries = [edge["node"] for edge in timeline["edges"]]
            # Newest first: ticket 1 solved, ticket 1 opened, ticket 2 solved… (30 minutes apart).
            expected = [
                ("TICKET_SOLVED" if n % 2 == 0 else "TICKET_OPENED", f"Ticket {n // 2 + 1}")
                for n in range(page * PAGE, (page + 1) * PAGE)
            ]
            assert [(e["kind"], e["summary"].rsplit(": ", 1)[1]) for e in entries] == expected, path
            assert fell.seen == []
            reads = await explained_reads(engine, sent)
            assert reads, f"{path}: no statement read tickets"
            # Two sources read tickets (opened, solved): each at most a page and one more, and the next row of
            # the index, which tells it no later row shares the last one's time. All of them would be 3,000.
            assert sum(reads) <= 2 * (PAGE + 2), (path, page, reads)
            variables["after"] = timeline["pageInfo"]["endCursor"]
        variables["after"] = None


SCORES = 1500  # hourly recomputes; the band changes every 100th


@pytest_asyncio.fixture
async def scored_account(engine: AsyncEngine) -> uuid.UUID:
    """An account with SCORES hourly overall scores back from NOW, the band alternating green and yellow every 100."""
    band = "CASE WHEN (n / 100) % 2 = 0 THEN 'green' ELSE 'yellow' END"
    return await hourly_scores(engine, "Long History Ltd", NOW, SCORES, band)


async def test_a_timeline_page_reads_the_newest_band_changes_only(
    engine: AsyncEngine, scored_account: uuid.UUID, paths: BothWays
) -> None:
    key = await make_key(engine, name="timeline reads")
    variables = {"id": encode_global_id("Account", scored_account), "first": PAGE, "after": None}
    for path, client in (("compiled", paths.compiled), ("resolvers", paths.resolvers)):
        with fallbacks() as fell, sent_statements() as sent:
            answer = await client.post(
                "/graphql", json={"query": TIMELINE, "variables": variables}, headers={"authorization": f"Bearer {key}"}
            )
        entries = [edge["node"] for edge in answer.json()["data"]["account"]["timeline"]["edges"]]
        # Newest first: the score 100 hours back went from yellow to green, 200 back from green to yellow…
        changes = [("green", "yellow") if n % 2 == 0 else ("yellow", "green") for n in range(1, PAGE + 1)]
        assert [(e["kind"], e["summary"]) for e in entries] == [
            ("HEALTH_BAND_CHANGED", f"overall health {old} → {new} (score 50)") for old, new in changes
        ], path
        assert fell.seen == []
        reads = await explained_reads(engine, sent, "health_scores")
        assert reads, f"{path}: no statement read health_scores"
        assert sum(reads) <= PAGE + 2, (path, reads)  # the whole history would be 1,500
