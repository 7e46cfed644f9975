"""The unified account timeline: recorded touchpoints merged with what the hub derives from contracts, tickets,
surveys, handoff transitions and health band changes — ordered, paginated, filtered — and addTimelineEntry."""

import base64
import datetime as dt
import hashlib
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.accounts.tables import accounts
from service.api_keys.roles import Role
from service.contracts.tables import contracts
from service.graphql.relay import encode_global_id
from service.handoffs.tables import handoff_events, handoffs
from service.health_scores.tables import health_scores, scorecards
from service.settings import Settings
from service.tickets.tables import tickets
from service.timeline.tables import timeline_events
from tests.app_client import app_client
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.ingesting import ingest, statuses
from tests.statements import counting_statements

ACME = "acme.example"
ENTRY = "id kind occurredAt summary actor source origin"
TIMELINE = """
query($domain: String!, $first: Int, $after: String, $kinds: [TimelineKind!]) {
  accountByDomain(domain: $domain) {
    timeline(first: $first, after: $after, kinds: $kinds) {
      totalCount edges { cursor node { ENTRY } } pageInfo { hasNextPage endCursor }
    }
  }
}
""".replace("ENTRY", ENTRY)


def at(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))


async def account(engine: AsyncEngine, domain: str = ACME) -> uuid.UUID:
    record = {"external_id": domain, "name": domain.split(".")[0].title(), "domain": domain}
    assert statuses(await ingest(engine, "crm", "accounts", [record])) == ["created"]
    async with engine.connect() as conn:
        found = await conn.execute(sa.select(accounts.c.id).where(accounts.c.domain == domain))
    return uuid.UUID(str(found.scalar_one()))


async def insert(engine: AsyncEngine, table: sa.Table, *rows: dict[str, Any]) -> list[uuid.UUID]:
    async with engine.begin() as conn:
        return list((await conn.execute(sa.insert(table).values(list(rows)).returning(table.c.id))).scalars())


async def timeline(client: httpx.AsyncClient, key: str, domain: str = ACME, **variables: Any) -> dict[str, Any]:
    body = await gql(client, key, TIMELINE, {"domain": domain, **variables})
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["accountByDomain"]["timeline"]
    return connection


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def entry_uuid(global_id: str) -> uuid.UUID:
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    type_name, _, value = raw.partition(":")
    assert type_name == "TimelineEvent"
    return uuid.UUID(value)


CONTRACTS = [
    # k1 runs 2024; k2 starts the day k1 ends: a renewal (k1 shows no "ended"); k2 ends with nothing after it.
    {"external_id": "k1", "status": "ended", "start_date": "2024-01-01", "end_date": "2025-01-01"},
    {"external_id": "k2", "status": "ended", "start_date": "2025-01-01", "end_date": "2025-07-01"},
    # After a gap: a new start, not a renewal. Open-ended.
    {"external_id": "k3", "status": "active", "start_date": "2025-08-01"},
    # Never ran, or not yet: nothing on the timeline.
    {"external_id": "k4", "status": "draft", "start_date": "2025-03-01", "end_date": "2025-04-01"},
    {"external_id": "k5", "status": "cancelled", "start_date": "2025-03-02", "end_date": "2025-04-02"},
    {"external_id": "k6", "status": "active", "start_date": "2099-01-01"},
    # A cancelled contract ending the day k3 starts does not make k3 a renewal.
    {"external_id": "k7", "status": "cancelled", "start_date": "2025-02-01", "end_date": "2025-08-01"},
]  # fmt: skip

LONG = "Great support, " * 10  # 150 characters: cut to an excerpt


async def load_sources(engine: AsyncEngine) -> uuid.UUID:
    """An account with one record of every kind the timeline derives from, from several source systems."""
    acme = await account(engine)
    records = [{**contract, "account_domain": ACME} for contract in CONTRACTS]
    assert statuses(await ingest(engine, "billing", "contracts", records)) == ["created"] * len(records)
    desk = [
        {"external_id": "t1", "account_domain": ACME, "subject": "Export fails", "status": "solved",
         "priority": "high", "opened_at": "2025-03-01T09:00:00Z", "solved_at": "2025-03-03T10:00:00Z"},
        {"external_id": "t2", "account_domain": ACME, "status": "open", "opened_at": "2025-04-01T08:00:00Z"},
    ]  # fmt: skip
    assert statuses(await ingest(engine, "desk", "tickets", desk)) == ["created"] * 2
    answers = [
        {"external_id": "s1", "account_domain": ACME, "kind": "nps", "score": 9, "contact_email": "ana@acme.example",
         "comment": "Great support,\n   fast answers", "responded_at": "2025-05-01T12:00:00Z"},
        {"external_id": "s2", "account_domain": ACME, "kind": "csat", "score": 4,
         "responded_at": "2025-05-02T12:00:00Z"},
        {"external_id": "s3", "account_domain": ACME, "kind": "nps", "score": 3, "comment": LONG,
         "responded_at": "2025-05-03T12:00:00Z"},
    ]  # fmt: skip
    assert statuses(await ingest(engine, "product", "survey-responses", answers)) == ["created"] * 3
    [handoff] = await insert(engine, handoffs, {"account_id": acme})
    steps = [
        (None, "DRAFT", "Sam Seller", "sales", None, "2025-01-02T10:00:00Z"),
        ("DRAFT", "SUBMITTED", "Sam Seller", "sales", "Ready for you", "2025-01-03T10:00:00Z"),
        ("SUBMITTED", "RETURNED", "Casey CSM", "csm", "   ", "2025-01-04T10:00:00Z"),  # a blank comment says nothing
    ]
    await insert(engine, handoff_events, *(
        {"handoff_id": handoff, "account_id": acme, "from_state": old, "to_state": new, "actor": actor,
         "actor_role": role, "comment": comment, "occurred_at": at(moment)}
        for old, new, actor, role, comment, moment in steps
    ))  # fmt: skip
    [scorecard] = await insert(engine, scorecards, {"name": "overall", "version": 1, "config": {}})
    history = [  # each with the band of the last banded score before it, as the recompute writes it
        ("overall", "80.00", "green", None, "2025-06-01T06:00:00Z"),
        ("overall", None, None, "green", "2025-06-02T06:00:00Z"),  # too little data: no band, skipped
        ("overall", "38.50", "red", "green", "2025-06-03T06:00:00Z"),  # green → red (across the unbanded row)
        ("overall", "35.00", "red", "red", "2025-06-04T06:00:00Z"),  # no change
        ("overall", "55.00", "yellow", "red", "2025-06-05T06:00:00Z"),  # red → yellow
        ("adoption", "20.00", "red", None, "2025-06-05T06:00:00Z"),  # the first adoption score: nothing to change from
    ]
    await insert(engine, health_scores, *(
        {"account_id": acme, "scorecard_id": scorecard, "score_name": name, "band": band, "previous_band": previous,
         "coverage": 1, "computed_at": at(moment), "score": None if score is None else Decimal(score)}
        for name, score, band, previous, moment in history
    ))  # fmt: skip
    note = {"external_id": "n1", "account_domain": ACME, "kind": "qbr", "summary": "QBR: renewal looks safe",
            "occurred_at": "2025-06-10T15:00:00Z", "actor": "Casey CSM"}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "timeline-events", [note])) == ["created"]
    return acme


EXPECTED = [  # newest first: kind, occurredAt, summary, actor, source, origin
    ("QBR", "2025-06-10T15:00:00+00:00", "QBR: renewal looks safe", "Casey CSM", "crm", "RECORDED"),
    ("HEALTH_BAND_CHANGED", "2025-06-05T06:00:00+00:00", "overall health red → yellow (score 55)", None, "cshub",
     "HEALTH"),
    ("HEALTH_BAND_CHANGED", "2025-06-03T06:00:00+00:00", "overall health green → red (score 38.5)", None, "cshub",
     "HEALTH"),
    ("CONTRACT_STARTED", "2025-08-01T00:00:00+00:00", "Contract started (no end date)", None, "billing", "CONTRACT"),
    ("CONTRACT_ENDED", "2025-07-01T00:00:00+00:00", "Contract ended (started 2025-01-01)", None, "billing",
     "CONTRACT"),
    ("SURVEY_ANSWERED", "2025-05-03T12:00:00+00:00", f'NPS 3: "{LONG[:119]}…"', None, "product", "SURVEY"),
    ("SURVEY_ANSWERED", "2025-05-02T12:00:00+00:00", "CSAT 4", None, "product", "SURVEY"),
    ("SURVEY_ANSWERED", "2025-05-01T12:00:00+00:00", 'NPS 9: "Great support, fast answers"', "ana@acme.example",
     "product", "SURVEY"),
    ("TICKET_OPENED", "2025-04-01T08:00:00+00:00", "Ticket opened: (no subject)", None, "desk", "TICKET"),
    ("TICKET_SOLVED", "2025-03-03T10:00:00+00:00", "Ticket solved: Export fails", None, "desk", "TICKET"),
    ("TICKET_OPENED", "2025-03-01T09:00:00+00:00", "Ticket opened (high): Export fails", None, "desk", "TICKET"),
    ("HANDOFF_TRANSITION", "2025-01-04T10:00:00+00:00", "Handoff returned (SUBMITTED → RETURNED)", "Casey CSM",
     "cshub", "HANDOFF"),
    ("HANDOFF_TRANSITION", "2025-01-03T10:00:00+00:00", "Handoff submitted (DRAFT → SUBMITTED): Ready for you",
     "Sam Seller", "cshub", "HANDOFF"),
    ("HANDOFF_TRANSITION", "2025-01-02T10:00:00+00:00", "Handoff created (DRAFT)", "Sam Seller", "cshub", "HANDOFF"),
    ("CONTRACT_RENEWED", "2025-01-01T00:00:00+00:00", "Contract renewed (ends 2025-07-01)", None, "billing",
     "CONTRACT"),
    ("CONTRACT_STARTED", "2024-01-01T00:00:00+00:00", "Contract started (ends 2025-01-01)", None, "billing",
     "CONTRACT"),
]  # fmt: skip
EXPECTED.sort(key=lambda entry: at(entry[1]), reverse=True)


def described(connection: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(node[name] for name in ENTRY.split()[1:]) for node in nodes(connection)]


async def test_every_source_shows_up_with_its_time_summary_actor_and_source(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_sources(engine)
    whole = await timeline(client, admin_key, first=100)
    assert described(whole) == EXPECTED
    assert whole["totalCount"] == len(EXPECTED)
    assert whole["pageInfo"]["hasNextPage"] is False


async def test_derived_ids_are_stable_and_name_what_happened_to_which_record(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_sources(engine)
    first, again = await timeline(client, admin_key, first=100), await timeline(client, admin_key, first=100)
    assert [edge["cursor"] for edge in first["edges"]] == [edge["cursor"] for edge in again["edges"]]
    ids = [node["id"] for node in nodes(first)]
    assert ids == [node["id"] for node in nodes(again)]
    assert len(set(ids)) == len(ids)
    async with engine.connect() as conn:
        ticket_id = (await conn.execute(sa.select(tickets.c.id).where(tickets.c.subject == "Export fails"))).scalar()
        recorded_id = (await conn.execute(sa.select(timeline_events.c.id))).scalar()
    by_kind = {(node["kind"], node["summary"]): entry_uuid(node["id"]) for node in nodes(first)}
    for kind, summary in [("TICKET_OPENED", "Ticket opened (high): Export fails"),
                          ("TICKET_SOLVED", "Ticket solved: Export fails")]:  # fmt: skip
        expected = uuid.UUID(hashlib.md5(f"ticket:{ticket_id}:{kind.lower()}".encode()).hexdigest())
        assert by_kind[(kind, summary)] == expected
    assert by_kind[("QBR", "QBR: renewal looks safe")] == recorded_id  # recorded entries keep their own id


async def test_the_contract_rules_follow_the_data_not_the_status(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    acme = await account(engine)
    # Still "active" though its end date has passed: it ended. Ends tomorrow: not yet.
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    await insert(engine, contracts,
                 {"account_id": acme, "status": "active", "start_date": dt.date(2025, 1, 1),
                  "end_date": dt.date(2025, 2, 1)},
                 {"account_id": acme, "status": "active", "start_date": dt.date(2025, 3, 1),
                  "end_date": tomorrow})  # fmt: skip
    shown = nodes(await timeline(client, admin_key))
    assert [(node["kind"], node["occurredAt"][:10], node["source"]) for node in shown] == [
        ("CONTRACT_STARTED", "2025-03-01", "cshub"),  # no source system knows it: the hub's own
        ("CONTRACT_ENDED", "2025-02-01", "cshub"),
        ("CONTRACT_STARTED", "2025-01-01", "cshub"),
    ]


async def load_ties(engine: AsyncEngine) -> uuid.UUID:
    """Twelve entries at the very same instant, from five sources, and a few around them."""
    acme = await account(engine)
    noon = "2025-06-01T00:00:00Z"
    recorded = [{"external_id": f"e{i}", "account_domain": ACME, "kind": "note", "summary": f"note {i}",
                 "occurred_at": noon} for i in range(6)]  # fmt: skip
    recorded += [{"external_id": "before", "account_domain": ACME, "kind": "call", "summary": "before",
                  "occurred_at": "2025-05-31T23:59:59Z"},
                 {"external_id": "after", "account_domain": ACME, "kind": "email", "summary": "after",
                  "occurred_at": "2025-06-01T00:00:01Z"}]  # fmt: skip
    assert statuses(await ingest(engine, "crm", "timeline-events", recorded)) == ["created"] * 8
    contract = {"external_id": "k", "account_domain": ACME, "status": "active", "start_date": "2025-06-01"}
    assert statuses(await ingest(engine, "crm", "contracts", [contract])) == ["created"]
    desk = [{"external_id": f"t{i}", "account_domain": ACME, "status": "solved", "opened_at": noon,
             "solved_at": noon} for i in range(2)]  # fmt: skip
    assert statuses(await ingest(engine, "desk", "tickets", desk)) == ["created"] * 2
    [handoff] = await insert(engine, handoffs, {"account_id": acme})
    await insert(engine, handoff_events, {"handoff_id": handoff, "account_id": acme, "to_state": "DRAFT",
                                          "actor": "Sam", "actor_role": "sales", "occurred_at": at(noon)})  # fmt: skip
    return acme


async def test_pages_never_skip_or_repeat_among_equal_timestamps(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_ties(engine)
    whole = await timeline(client, admin_key, first=100)
    everything = nodes(whole)
    assert whole["totalCount"] == len(everything) == 2 + 6 + 1 + 4 + 1
    assert (everything[0]["summary"], everything[-1]["summary"]) == ("after", "before")
    tied = [entry_uuid(node["id"]) for node in everything[1:-1]]
    assert {node["occurredAt"] for node in everything[1:-1]} == {"2025-06-01T00:00:00+00:00"}
    assert tied == sorted(tied, reverse=True)  # ties broken by id, newest-first order
    assert {node["origin"] for node in everything[1:-1]} == {"RECORDED", "CONTRACT", "TICKET", "HANDOFF"}

    for size in (1, 2, 5):
        seen: list[str] = []
        after = None
        while True:
            page = await timeline(client, admin_key, first=size, after=after)
            assert page["totalCount"] == len(everything)
            seen += [node["id"] for node in nodes(page)]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == [node["id"] for node in everything], size


async def test_kinds_filter_recorded_and_derived_kinds_and_the_total_follows(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_sources(engine)
    mixed = await timeline(client, admin_key, kinds=["TICKET_SOLVED", "QBR", "HANDOFF_TRANSITION"], first=3)
    assert [node["kind"] for node in nodes(mixed)] == ["QBR", "TICKET_SOLVED", "HANDOFF_TRANSITION"]
    assert mixed["totalCount"] == 1 + 1 + 3
    assert mixed["pageInfo"]["hasNextPage"] is True
    contracts_only = await timeline(client, admin_key, kinds=["CONTRACT_RENEWED", "CONTRACT_ENDED"])
    assert [node["summary"] for node in nodes(contracts_only)] == [
        "Contract ended (started 2025-01-01)",
        "Contract renewed (ends 2025-07-01)",
    ]
    assert contracts_only["totalCount"] == 2
    nothing = await timeline(client, admin_key, kinds=["ESCALATION"])
    assert (nothing["edges"], nothing["totalCount"]) == ([], 0)
    health = await timeline(client, admin_key, kinds=["HEALTH_BAND_CHANGED"])
    assert health["totalCount"] == 2


async def test_a_cursor_is_a_position_whatever_filter_it_came_from(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_sources(engine)
    surveys = await timeline(client, admin_key, kinds=["SURVEY_ANSWERED"], first=1)
    assert nodes(surveys)[0]["occurredAt"] == "2025-05-03T12:00:00+00:00"
    # Continue under another filter: the tickets older than that survey answer.
    tickets_after = await timeline(client, admin_key, kinds=["TICKET_OPENED"], after=surveys["pageInfo"]["endCursor"])
    assert [node["occurredAt"] for node in nodes(tickets_after)] == [
        "2025-04-01T08:00:00+00:00",
        "2025-03-01T09:00:00+00:00",
    ]
    unfiltered = await timeline(client, admin_key, after=surveys["pageInfo"]["endCursor"], first=100)
    assert described(unfiltered) == [entry for entry in EXPECTED if at(entry[1]) < at("2025-05-03T12:00:00Z")]

    bad = await gql(client, admin_key, TIMELINE, {"domain": ACME, "after": "not-a-cursor"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "is not a cursor returned by this connection" in bad["errors"][0]["message"]


@pytest.mark.parametrize("compiled", [False, True])
async def test_the_timeline_of_many_accounts_is_one_statement_and_each_sees_only_its_own(
    settings: Settings, engine: AsyncEngine, admin_key: str, compiled: bool
) -> None:
    await load_sources(engine)
    other = await account(engine, "beta.example")
    await insert(engine, timeline_events, {"account_id": other, "kind": "call", "summary": "Beta call",
                                           "occurred_at": at("2025-06-01T10:00:00Z"), "source": "crm"})  # fmt: skip
    query = """{ accounts(orderBy: {field: NAME}) { edges { node {
      name timeline(first: 2) { totalCount edges { node { summary } } }
    } } } }"""
    async with app_client(settings, graphql_compiled_reads=compiled) as (client, _):
        with counting_statements() as statements:
            body = await gql(client, admin_key, query)
    # The resolvers: one statement pages both accounts' timelines and one counts them, whatever the number of
    # accounts; compiled, the whole root (timelines and counts included) is one statement.
    assert len([statement for statement in statements if "timeline_events" in statement]) == (1 if compiled else 2)
    by_name = {edge["node"]["name"]: edge["node"]["timeline"] for edge in body["data"]["accounts"]["edges"]}
    assert by_name["Beta"] == {"totalCount": 1, "edges": [{"node": {"summary": "Beta call"}}]}
    assert by_name["Acme"]["totalCount"] == len(EXPECTED)


ADD = """
mutation($input: AddTimelineEntryInput!) {
  addTimelineEntry(input: $input) {
    __typename
    ... on TimelineEvent { ENTRY }
    ... on MutationError { code message field }
  }
}
""".replace("ENTRY", ENTRY)


def entry_input(acme: uuid.UUID, **changes: Any) -> dict[str, Any]:
    return {"input": {"accountId": encode_global_id("Account", acme), "kind": "MEETING",
                      "occurredAt": "2025-06-01T10:00:00Z", "summary": "  Kickoff prep with the champion \n",
                      **changes}}  # fmt: skip


async def test_add_timeline_entry_records_a_touchpoint_by_the_caller(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    acme = await account(engine)
    csm = await make_key(engine, Role.CSM, "Casey CSM")
    added = (await gql(client, csm, ADD, entry_input(acme)))["data"]["addTimelineEntry"]
    assert added["__typename"] == "TimelineEvent"
    assert {name: added[name] for name in ENTRY.split()[1:]} == {
        "kind": "MEETING", "occurredAt": "2025-06-01T10:00:00+00:00", "summary": "Kickoff prep with the champion",
        "actor": "Casey CSM", "source": "cshub", "origin": "RECORDED",
    }  # fmt: skip
    sales = await make_key(engine, Role.SALES, "Sam Seller")
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=20)).isoformat()
    upcoming = await gql(client, sales, ADD, entry_input(acme, kind="CALL", occurredAt=soon, summary="Intro call"))
    assert upcoming["data"]["addTimelineEntry"]["actor"] == "Sam Seller"

    shown = nodes(await timeline(client, csm))
    assert [(node["id"], node["summary"]) for node in shown] == [
        (upcoming["data"]["addTimelineEntry"]["id"], "Intro call"),
        (added["id"], "Kickoff prep with the champion"),
    ]


async def test_add_timeline_entry_refuses_bad_input_and_other_roles_and_writes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    acme = await account(engine)
    too_late = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1, hours=1)).isoformat()
    refused = [
        (entry_input(acme, kind="CONTRACT_STARTED"), "BAD_USER_INPUT", "kind", "derived from the hub's records"),
        (entry_input(acme, summary=" \n\t "), "BAD_USER_INPUT", "summary", "blank"),
        (entry_input(acme, summary="x" * 2001), "BAD_USER_INPUT", "summary", "at most 2000 characters"),
        (entry_input(acme, occurredAt=too_late), "BAD_USER_INPUT", "occurredAt", "at most a day ahead"),
        (entry_input(uuid.uuid4()), "NOT_FOUND", "accountId", "no account"),
        (entry_input(acme, accountId=encode_global_id("Contact", acme)), "BAD_USER_INPUT", "accountId",
         "not a Account id"),
    ]  # fmt: skip
    for variables, code, field, words in refused:
        answer = (await gql(client, admin_key, ADD, variables))["data"]["addTimelineEntry"]
        assert (answer["__typename"], answer["code"], answer["field"]) == ("MutationError", code, field), answer
        assert words in answer["message"]
    for role in (Role.BI, Role.INGEST):
        denied = await gql(client, await make_key(engine, role, role.value), ADD, entry_input(acme))
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "needs one of: admin, csm, sales" in denied["errors"][0]["message"]
    longest = await gql(client, admin_key, ADD, entry_input(acme, summary=" " + "x" * 2000 + " "))
    assert len(longest["data"]["addTimelineEntry"]["summary"]) == 2000  # trimmed first, then measured
    async with engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(timeline_events))).scalar() == 1
