"""An account's tickets: newest first, filtered, paginated per account, with SLA durations."""

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql_client import gql
from tests.ingesting import ingest, statuses


def ticket(number: int, status: str, opened: str, **fields: Any) -> dict[str, Any]:
    return {"external_id": f"t{number}", "account_external_id": "org-1", "status": status, "opened_at": opened,
            "subject": f"Ticket {number}", **fields}  # fmt: skip


async def load_tickets(engine: AsyncEngine) -> None:
    await ingest(engine, "support", "accounts", [{"external_id": "org-1", "name": "Acme", "domain": "acme.example"}])
    await ingest(engine, "support", "accounts", [{"external_id": "org-2", "name": "Beta", "domain": "beta.example"}])
    records = [
        ticket(1, "solved", "2026-03-01T09:00:00Z", priority="high", category="bug",
               first_response_at="2026-03-01T09:30:00Z", solved_at="2026-03-02T09:00:00Z", csat=4),
        ticket(2, "open", "2026-03-05T09:00:00Z", priority="urgent", category="incident",
               first_response_at="2026-03-05T09:05:00Z"),
        ticket(3, "new", "2026-03-07T09:00:00Z", priority="low", category="question"),
        ticket(4, "closed", "2026-03-09T09:00:00Z", priority="high", category="bug",
               solved_at="2026-03-09T10:00:00Z"),
        {**ticket(5, "open", "2026-03-10T09:00:00Z"), "account_external_id": "org-2"},
    ]  # fmt: skip
    assert statuses(await ingest(engine, "support", "tickets", records)) == ["created"] * 5


TICKETS = """
query($filter: TicketFilter, $first: Int, $after: String) {
  accountByDomain(domain: "acme.example") {
    tickets(filter: $filter, first: $first, after: $after) {
      edges { cursor node { id subject status priority category csat
                            timeToFirstResponseSeconds timeToResolutionSeconds } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""


async def page(client: httpx.AsyncClient, key: str, **variables: Any) -> dict[str, Any]:
    body = await gql(client, key, TICKETS, variables)
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["accountByDomain"]["tickets"]
    return connection


def subjects(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["subject"] for edge in connection["edges"]]


async def test_tickets_come_newest_first_with_sla_durations(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_tickets(engine)
    everything = await page(client, admin_key)
    assert subjects(everything) == ["Ticket 4", "Ticket 3", "Ticket 2", "Ticket 1"]  # Beta's ticket is not here
    first = everything["edges"][-1]["node"]
    assert (first["timeToFirstResponseSeconds"], first["timeToResolutionSeconds"], first["csat"]) == (1800, 86400, 4)
    open_one = everything["edges"][2]["node"]
    assert (open_one["timeToFirstResponseSeconds"], open_one["timeToResolutionSeconds"]) == (300, None)

    body = await gql(client, admin_key, "query($id: ID!) { ticket(id: $id) { subject } node(id: $id) { id } }",
                     {"id": first["id"]})  # fmt: skip
    assert body["data"] == {"ticket": {"subject": "Ticket 1"}, "node": {"id": first["id"]}}


async def test_tickets_filter_by_state_priority_category_and_time(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_tickets(engine)
    assert subjects(await page(client, admin_key, filter={"open": True})) == ["Ticket 3", "Ticket 2"]
    assert subjects(await page(client, admin_key, filter={"priority": ["HIGH", "URGENT"], "category": ["BUG"]})) == [
        "Ticket 4",
        "Ticket 1",
    ]
    assert subjects(await page(client, admin_key, filter={"status": ["SOLVED", "CLOSED"]})) == ["Ticket 4", "Ticket 1"]
    window = {"openedFrom": "2026-03-05T09:00:00Z", "openedBefore": "2026-03-09T09:00:00Z"}
    assert subjects(await page(client, admin_key, filter=window)) == ["Ticket 3", "Ticket 2"]
    assert subjects(await page(client, admin_key, filter={"status": ["PENDING"]})) == []


async def test_ticket_pages_walk_every_ticket_once_and_reject_foreign_cursors(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_tickets(engine)
    first = await page(client, admin_key, first=3)
    assert subjects(first) == ["Ticket 4", "Ticket 3", "Ticket 2"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    rest = await page(client, admin_key, first=3, after=first["pageInfo"]["endCursor"])
    assert subjects(rest) == ["Ticket 1"]
    assert (rest["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasPreviousPage"]) == (False, True)
    empty = await page(client, admin_key, first=0)
    assert empty["edges"] == []
    assert empty["pageInfo"]["hasNextPage"] is True

    for bad in ("not-a-cursor", "WyJ4Il0"):  # garbage, and a valid-looking cursor of another shape
        body = await gql(client, admin_key, TICKETS, {"after": bad})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "is not a cursor returned by this connection" in body["errors"][0]["message"]
    body = await gql(client, admin_key, TICKETS, {"first": 101})
    assert "first must be between 0 and 100" in body["errors"][0]["message"]


async def test_total_count_counts_every_page_under_the_filter_per_account(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_tickets(engine)
    query = """{ accounts { edges { node { name
      all: tickets(first: 1) { totalCount edges { node { subject } } }
      open: tickets(filter: {open: true}, first: 0) { totalCount }
      bugs: tickets(filter: {category: [BUG]}, first: 1, after: null) { totalCount }
    } } } }"""
    body = await gql(client, admin_key, query)
    assert "errors" not in body, body
    counts = {
        edge["node"]["name"]: tuple(edge["node"][alias]["totalCount"] for alias in ("all", "open", "bugs"))
        for edge in body["data"]["accounts"]["edges"]
    }
    assert counts == {"Acme": (4, 2, 2), "Beta": (1, 1, 0)}
    # The count does not depend on the page: the second page reports the same total.
    first = await page(client, admin_key, first=3)
    body = await gql(
        client,
        admin_key,
        'query($after: String) { accountByDomain(domain: "acme.example") { tickets(first: 3, after: $after) '
        "{ totalCount } } }",
        {"after": first["pageInfo"]["endCursor"]},
    )
    assert body["data"]["accountByDomain"]["tickets"]["totalCount"] == 4
