"""Usage on the 360 view: bucketed series with exact distinct users, active users, utilization, feature
adoption and the last-seen spread — on events with known answers."""

import datetime as dt
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql_client import gql
from tests.ingesting import ingest, statuses


def event(event_id: str, user: str, at: dt.datetime | str, name: str = "login") -> dict[str, object]:
    occurred = at if isinstance(at, str) else at.isoformat()
    return {"event_id": event_id, "account_domain": "acme.example", "user_id": user, "event": name,
            "occurred_at": occurred}  # fmt: skip


async def load_usage(engine: AsyncEngine) -> None:
    now = dt.datetime.now(dt.UTC)
    await ingest(engine, "crm", "accounts", [{"external_id": "001", "name": "Acme", "domain": "acme.example"}])
    await ingest(engine, "crm", "accounts", [{"external_id": "002", "name": "Quiet", "domain": "quiet.example"}])
    contract = {"external_id": "k1", "account_external_id": "001", "status": "active", "start_date": "2020-01-01",
                "lines": [{"product": "Hub Core", "quantity": 4, "unit_price": "10"}]}  # fmt: skip
    await ingest(engine, "crm", "contracts", [contract])
    events = [
        event("e1", "u1", "2026-03-02T09:00:00Z"),
        event("e2", "u1", "2026-03-03T09:00:00Z"),
        event("e3", "u1", "2026-03-03T10:00:00Z", "report"),
        event("e4", "u2", "2026-03-03T23:59:59Z"),
        event("e5", "u2", "2026-03-10T01:00:00+02:00"),  # 9 March in UTC
        event("e6", "u3", "2026-04-01T12:00:00Z", "report"),
        event("r1", "u4", now - dt.timedelta(hours=2)),
        event("r2", "u5", now - dt.timedelta(days=3), "search"),
        event("r3", "u6", now - dt.timedelta(days=10), "search"),
        event("r4", "u7", now - dt.timedelta(days=40)),
    ]
    assert statuses(await ingest(engine, "product", "usage-events", events)) == ["created"] * len(events)


SERIES = """
query($from: Date!, $to: Date!, $interval: UsageInterval!, $event: String) {
  accountByDomain(domain: "acme.example") {
    usage(from: $from, to: $to, interval: $interval, event: $event) { periodStart events activeUsers }
  }
}
"""


async def series(
    client: httpx.AsyncClient, key: str, start: str, end: str, interval: str, event_name: str | None = None
) -> Any:
    variables = {"from": start, "to": end, "interval": interval, "event": event_name}
    body = await gql(client, key, SERIES, variables)
    assert "errors" not in body, body
    return [(p["periodStart"], p["events"], p["activeUsers"]) for p in body["data"]["accountByDomain"]["usage"]]


async def test_usage_series_counts_distinct_users_per_bucket_never_a_sum_of_days(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_usage(engine)
    assert await series(client, admin_key, "2026-03-02", "2026-03-05", "DAY") == [
        ("2026-03-02", 1, 1),
        ("2026-03-03", 3, 2),
        ("2026-03-04", 0, 0),  # empty buckets are zeros, so charts need no gap filling
    ]
    assert await series(client, admin_key, "2026-03-02", "2026-03-16", "WEEK") == [
        ("2026-03-02", 4, 2),
        ("2026-03-09", 1, 1),
    ]
    # March: u1 and u2 were active — MAU 2, although the daily counts add up to 4.
    assert await series(client, admin_key, "2026-03-01", "2026-05-01", "MONTH") == [
        ("2026-03-01", 5, 2),
        ("2026-04-01", 1, 1),
    ]
    assert await series(client, admin_key, "2026-03-01", "2026-05-01", "MONTH", "report") == [
        ("2026-03-01", 1, 1),
        ("2026-04-01", 1, 1),
    ]
    # A bucket cut by the range counts only the days inside it.
    assert await series(client, admin_key, "2026-03-03", "2026-03-04", "MONTH") == [("2026-03-01", 3, 2)]


async def test_usage_series_arguments_are_checked(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_usage(engine)
    for start, end, interval, message in [
        ("2026-03-05", "2026-03-05", "DAY", "must be after from"),
        ("2020-01-01", "2026-01-01", "DAY", "holds 2192 DAY buckets, more than 1000"),
        ("2006-01-01", "2026-01-01", "WEEK", "holds 1045 WEEK buckets, more than 1000"),
        ("0001-01-01", "0001-02-01", "DAY", "0001-01-01 is outside the supported dates, 1900-01-01 to 2199-12-31"),
    ]:
        body = await gql(client, admin_key, SERIES, {"from": start, "to": end, "interval": interval})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert message in body["errors"][0]["message"]
    body = await gql(client, admin_key, '{ accountByDomain(domain: "acme.example") { activeUsers(days: 0) } }')
    assert "days must be between 1 and 3660" in body["errors"][0]["message"]


RECENT = """
query($domain: String!) {
  accountByDomain(domain: $domain) {
    activeUsers
    week: activeUsers(days: 7)
    licensedSeats
    licenseUtilization
    featureAdoption { feature events users }
    lastSeenDistribution { within1Day within7Days within30Days over30Days }
  }
}
"""


async def test_recent_activity_utilization_adoption_and_last_seen(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_usage(engine)
    body = await gql(client, admin_key, RECENT, {"domain": "acme.example"})
    assert body["data"]["accountByDomain"] == {
        "activeUsers": 3,
        "week": 2,
        "licensedSeats": 4,
        "licenseUtilization": 0.75,
        "featureAdoption": [
            {"feature": "search", "events": 2, "users": 2},
            {"feature": "login", "events": 1, "users": 1},
        ],
        "lastSeenDistribution": {"within1Day": 1, "within7Days": 1, "within30Days": 1, "over30Days": 4},
    }
    quiet = await gql(client, admin_key, RECENT, {"domain": "quiet.example"})
    assert quiet["data"]["accountByDomain"] == {
        "activeUsers": 0,
        "week": 0,
        "licensedSeats": 0,
        "licenseUtilization": None,  # no seats: no ratio, not a division by zero
        "featureAdoption": [],
        "lastSeenDistribution": {"within1Day": 0, "within7Days": 0, "within30Days": 0, "over30Days": 0},
    }
