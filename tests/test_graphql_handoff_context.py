"""``handoffContext`` on a seeded demo account: everything a CSM needs, in one query, with a bounded number
of statements."""

import datetime as dt
import uuid

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.handoffs.tables import handoffs
from service.seed.loader import seed_demo
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.statements import counting_statements

CONTEXT = """query($id: ID!) { handoffContext(accountId: $id) {
  account { name csmOwner }
  ancestors { name } subsidiaries { name }
  activeContracts { status lines { quantity } }
  latestHandoff {
    state goals { outcome measurable } stakeholders { role decides contact { name } } sla { timeToValueDays }
  }
  contactsByRole { role contacts { name role } }
  health { score band }
  usage { activeUsers30d licensedSeats licenseUtilization last_seen: lastSeen { within7Days } }
  openTickets(first: 5) { status }
  recentTimeline(first: 10) { kind occurredAt }
  openActionItems { title status }
  goals { outcome status }
  openAlerts { rule }
} }"""


async def test_the_context_of_a_handed_over_account(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    today = dt.datetime.now(dt.UTC).date()
    await seed_demo(engine, accounts=25, seed=3, today=today)
    async with engine.connect() as conn:
        handed = (
            await conn.execute(
                sa.select(handoffs.c.account_id, handoffs.c.state)
                .where(handoffs.c.state == "FIRST_VALUE_REACHED")
                .limit(1)
            )
        ).one()
    csm = await make_key(engine, Role.CSM, "Aiko")
    with counting_statements() as statements:
        body = await gql(client, csm, CONTEXT, {"id": encode_global_id("Account", handed.account_id)})
    assert "errors" not in body, body
    context = body["data"]["handoffContext"]
    assert context["latestHandoff"]["state"] == "FIRST_VALUE_REACHED"
    assert context["latestHandoff"]["goals"][0]["measurable"] is True
    deciders = [person for person in context["latestHandoff"]["stakeholders"] if person["decides"]]
    assert deciders
    assert deciders[0]["role"] in ("ECONOMIC_BUYER", "DECISION_MAKER")
    async with engine.connect() as conn:
        first_value_days, seats = (
            await conn.execute(
                sa.text(
                    "SELECT (SELECT first_value_on - contract_start_date FROM handoffs"
                    "        WHERE account_id = :a AND state = 'FIRST_VALUE_REACHED'),"
                    "       (SELECT coalesce(max(quantity), 0) FROM ("
                    "          SELECT sum(l.quantity) AS quantity FROM contract_lines l"
                    "          JOIN contracts c ON c.id = l.contract_id"
                    "          WHERE l.account_id = :a AND c.status NOT IN ('draft', 'cancelled')"
                    "            AND coalesce(l.start_date, c.start_date) <= :today"
                    "            AND coalesce(coalesce(l.end_date, c.end_date) > :today, true)"
                    "          GROUP BY l.product_id) AS per_product)"
                ),
                {"a": handed.account_id, "today": today},
            )
        ).one()
    assert first_value_days is not None
    assert context["latestHandoff"]["sla"]["timeToValueDays"] == first_value_days
    assert all(contract["status"] == "ACTIVE" for contract in context["activeContracts"])
    for group in context["contactsByRole"]:
        assert all(contact["role"] == group["role"] for contact in group["contacts"])
    assert [goal["outcome"] for goal in context["goals"]] == [g["outcome"] for g in context["latestHandoff"]["goals"]]
    assert any(item["title"].startswith("Drive to success criterion") for item in context["openActionItems"])
    assert all(item["status"] in ("OPEN", "IN_PROGRESS") for item in context["openActionItems"])
    assert context["usage"]["licensedSeats"] == seats  # the most seats of any product on an active line today
    times = [entry["occurredAt"] for entry in context["recentTimeline"]]
    assert times == sorted(times, reverse=True)
    assert len(times) == 10
    kinds = {entry["kind"] for entry in context["recentTimeline"]}
    assert kinds, "the timeline has entries"
    # One statement per field (batched), not per row: the whole context stays well under 40 statements.
    assert len(statements) < 40, len(statements)

    missing = await gql(client, csm, CONTEXT, {"id": encode_global_id("Account", uuid.UUID(int=5))})
    assert missing["data"] == {"handoffContext": None}
    ingest = await make_key(engine, Role.INGEST, "ingest")
    denied = await gql(client, ingest, CONTEXT, {"id": encode_global_id("Account", handed.account_id)})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
