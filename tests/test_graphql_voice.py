"""Surveys, NPS and the timeline on the 360 view, on data with known answers."""

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql_client import gql
from tests.ingesting import ingest, statuses


def nps(number: int, score: int, day: str, kind: str = "nps") -> dict[str, object]:
    return {"external_id": f"s{number}", "account_domain": "acme.example", "kind": kind, "score": score,
            "responded_at": f"{day}T12:00:00Z", "comment": f"answer {number}"}  # fmt: skip


async def load(engine: AsyncEngine) -> None:
    await ingest(engine, "crm", "accounts", [{"external_id": "001", "name": "Acme", "domain": "acme.example"}])
    await ingest(engine, "crm", "accounts", [{"external_id": "002", "name": "Quiet", "domain": "quiet.example"}])
    responses = [nps(1, 10, "2026-01-10"), nps(2, 9, "2026-01-11"), nps(3, 8, "2026-01-12"), nps(4, 3, "2026-01-13"),
                 nps(5, 6, "2026-02-01"), nps(6, 2, "2026-01-14", "csat")]  # fmt: skip
    assert statuses(await ingest(engine, "product", "survey-responses", responses)) == ["created"] * 6
    timeline = [
        {"external_id": f"ev{i}", "account_external_id": "001", "kind": kind, "summary": f"entry {i}",
         "occurred_at": f"2026-03-0{i}T10:00:00Z", "actor": "Aiko Tanaka"}
        for i, kind in enumerate(["kickoff", "meeting", "qbr", "escalation"], start=1)
    ]  # fmt: skip
    assert statuses(await ingest(engine, "crm", "timeline-events", timeline)) == ["created"] * 4


NPS = """
query($domain: String!, $from: Date, $to: Date) {
  accountByDomain(domain: $domain) { nps(from: $from, to: $to) { responses promoters passives detractors nps } }
}
"""


async def test_nps_counts_promoters_passives_and_detractors_in_the_period(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load(engine)
    january = {"domain": "acme.example", "from": "2026-01-01", "to": "2026-02-01"}
    body = await gql(client, admin_key, NPS, january)
    # 4 NPS answers in January (the CSAT one is not NPS): 2 promoters, 1 passive, 1 detractor → 50 − 25 = 25.
    assert body["data"]["accountByDomain"]["nps"] == {
        "responses": 4, "promoters": 2, "passives": 1, "detractors": 1, "nps": 25.0
    }  # fmt: skip
    quiet = await gql(client, admin_key, NPS, {**january, "domain": "quiet.example"})
    assert quiet["data"]["accountByDomain"]["nps"] == {
        "responses": 0, "promoters": 0, "passives": 0, "detractors": 0, "nps": None
    }  # fmt: skip
    backwards = await gql(client, admin_key, NPS, {**january, "to": "2025-12-01"})
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_surveys_and_timeline_come_newest_first_filtered_and_paginated(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load(engine)
    query = """query($after: String) { accountByDomain(domain: "acme.example") {
      surveys(first: 2, after: $after) {
        totalCount edges { node { kind score comment } } pageInfo { hasNextPage endCursor }
      }
      csat: surveys(kind: CSAT) { totalCount edges { node { score } } }
      timeline(first: 3) { totalCount edges { node { kind summary actor source } } pageInfo { hasNextPage } }
      escalations: timeline(kinds: [ESCALATION, QBR]) { totalCount edges { node { kind } } }
    } }"""
    account = (await gql(client, admin_key, query))["data"]["accountByDomain"]
    assert [e["node"]["comment"] for e in account["surveys"]["edges"]] == ["answer 5", "answer 6"]
    assert account["csat"]["edges"] == [{"node": {"score": 2}}]
    assert [e["node"]["kind"] for e in account["timeline"]["edges"]] == ["ESCALATION", "QBR", "MEETING"]
    assert account["timeline"]["edges"][0]["node"]["source"] == "crm"
    assert account["timeline"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["kind"] for e in account["escalations"]["edges"]] == ["ESCALATION", "QBR"]
    assert account["escalations"]["totalCount"] == 2
    assert account["csat"]["totalCount"] == 1
    assert account["surveys"]["totalCount"] == 6
    assert account["timeline"]["totalCount"] == 4 + 6  # the recorded entries and the six surveys answered

    seen = [e["node"]["comment"] for e in account["surveys"]["edges"]]
    after = account["surveys"]["pageInfo"]["endCursor"]
    while after:
        more = (await gql(client, admin_key, query, {"after": after}))["data"]["accountByDomain"]["surveys"]
        seen += [e["node"]["comment"] for e in more["edges"]]
        after = more["pageInfo"]["endCursor"] if more["pageInfo"]["hasNextPage"] else None
    assert seen == ["answer 5", "answer 6", "answer 4", "answer 3", "answer 2", "answer 1"]
