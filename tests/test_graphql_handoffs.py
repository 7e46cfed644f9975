"""Handoffs over GraphQL: the typed record round trip, typed refusals, roles, lists, SLA figures and node()."""

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.contacts.tables import contacts
from service.handoffs.tables import handoffs
from tests.conftest import make_key
from tests.factories import insert_accounts
from tests.graphql_client import gql

HANDOFF_FIELDS = """
  id state version opportunityRef salesOwner csmOwner missingForSubmit createdBy returnedCount: sla { returnedCount }
  deal { products arr { amount currency } contractStartDate contractEndDate closedAt pricingTerms discountPercent
         billingTerms scope outOfScope }
  whyTheyBought { triggerEvent painPoints alternativesEvaluated whyWeWon }
  goals { outcome measurable successCriterion { metric unit baseline target dueOn } }
  stakeholders { name role decides uses notes contact { name } }
  promises { kind description dueOn promisedBy }
  implementation { preStartTasks { title owner dueOn done } integrations dataMigration leadTimeDays }
  risks { description severity mitigation } sensitivities
  competition { situation switchingCost competitorsInUse notes }
  timeline { introSentOn kickoffDate goLiveTargetDate firstValueMilestone firstValueTargetDate }
  evidence { kind title url }
  events { fromState toState actorRole comment }
  account { name }
"""
RESULT = f"""
  ... on Handoff {{ {HANDOFF_FIELDS} }}
  ... on MutationError {{ code message }}
  ... on IncompleteHandoff {{ code message missing }}
  ... on IllegalHandoffTransition {{ code message currentState }}
  ... on StaleHandoffVersion {{ code message currentVersion }}
"""
CREATE = f"""mutation($account: ID!, $record: HandoffInput) {{
  createHandoff(accountId: $account, record: $record) {{ {RESULT} }} }}"""
UPDATE = f"""mutation($id: ID!, $version: Int!, $record: HandoffInput!) {{
  updateHandoff(id: $id, expectedVersion: $version, record: $record) {{ {RESULT} }} }}"""
SUBMIT = f"mutation($id: ID!) {{ submitHandoff(id: $id) {{ {RESULT} }} }}"
ACCEPT = f"mutation($id: ID!, $version: Int) {{ acceptHandoff(id: $id, expectedVersion: $version) {{ {RESULT} }} }}"
RETURN = f"mutation($id: ID!, $comment: String!) {{ returnHandoff(id: $id, comment: $comment) {{ {RESULT} }} }}"
KICKOFF = f"mutation($id: ID!) {{ recordKickoffHeld(id: $id) {{ {RESULT} }} }}"
FIRST_VALUE = f"mutation($id: ID!, $on: Date) {{ recordFirstValue(id: $id, reachedOn: $on) {{ {RESULT} }} }}"

RECORD: dict[str, Any] = {
    "opportunityRef": "OPP-7",
    "salesOwner": "Sato",
    "csmOwner": "Aiko",
    "deal": {
        "products": ["Platform"],
        "arr": {"amount": "60000.00", "currency": "EUR"},
        "contractStartDate": "2026-01-01",
        "contractEndDate": "2027-01-01",
        "closedAt": "2025-12-20T10:00:00Z",
        "pricingTerms": "50 seats at 100 EUR",
        "discountPercent": "5",
        "billingTerms": "quarterly, net 30",
        "scope": "EMEA support",
        "outOfScope": ["APAC"],
    },
    "whyTheyBought": {"triggerEvent": "merger", "painPoints": ["two tools"], "alternativesEvaluated": ["X"]},
    "goals": [
        {
            "outcome": "One support tool after the merger",
            "successCriterion": {"metric": "tools in use", "baseline": "2", "target": "1", "dueOn": "2026-06-30"},
        }
    ],
    "promises": [{"kind": "SLA", "description": "4h first response", "promisedBy": "Sato"}],
    "implementation": {"preStartTasks": [{"title": "SSO"}], "integrations": ["Okta"], "leadTimeDays": 14},
    "risks": [{"description": "Merger politics", "severity": "HIGH", "mitigation": "exec sponsor"}],
    "sensitivities": "Do not mention the old vendor",
    "competition": {"situation": "REPLACING_INCUMBENT", "switchingCost": "LOW", "competitorsInUse": ["X"]},
    "timeline": {"introSentOn": "2025-12-21", "kickoffDate": "2026-01-08", "firstValueMilestone": "first merged queue"},
    "evidence": [{"kind": "CALL_NOTES", "title": "Discovery", "url": "https://notes.example/1"}],
}


async def _account_with_contact(engine: AsyncEngine) -> tuple[str, str]:
    (account_id,) = await insert_accounts(engine, "Merged Co")
    async with engine.begin() as conn:
        contact_id = await conn.scalar(
            sa.insert(contacts).values(account_id=account_id, name="Dana Buyer").returning(contacts.c.id)
        )
    from service.graphql.relay import encode_global_id

    return encode_global_id("Account", account_id), encode_global_id("Contact", contact_id)


async def test_a_handoff_runs_from_draft_to_first_value(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    account, contact = await _account_with_contact(engine)
    sales, csm = await make_key(engine, Role.SALES, "Sato"), await make_key(engine, Role.CSM, "Aiko")

    draft = (await gql(client, sales, CREATE, {"account": account, "record": {"salesOwner": "Sato"}}))["data"]
    draft = draft["createHandoff"]
    assert (draft["state"], draft["version"], draft["account"]["name"]) == ("DRAFT", 1, "Merged Co")
    assert len(draft["missingForSubmit"]) == 7
    refused = (await gql(client, sales, SUBMIT, {"id": draft["id"]}))["data"]["submitHandoff"]
    assert refused["code"] == "INCOMPLETE_RECORD"
    assert refused["missing"] == draft["missingForSubmit"]
    assert "deal.arr" in refused["message"]

    record = {
        **RECORD,
        "stakeholders": [{"contactId": contact, "role": "DECISION_MAKER"}, {"name": "Ed", "role": "END_USER"}],
    }
    edited = (await gql(client, sales, UPDATE, {"id": draft["id"], "version": 1, "record": record}))["data"]
    edited = edited["updateHandoff"]
    assert edited["version"] == 2
    assert edited["missingForSubmit"] == []
    assert edited["deal"]["arr"] == {"amount": "60000.00", "currency": "EUR"}
    assert edited["deal"]["closedAt"] == "2025-12-20T10:00:00+00:00"
    assert edited["goals"] == [
        {
            "outcome": "One support tool after the merger",
            "measurable": True,
            "successCriterion": {
                "metric": "tools in use",
                "unit": None,
                "baseline": "2",
                "target": "1",
                "dueOn": "2026-06-30",
            },
        }
    ]
    assert edited["stakeholders"] == [
        {
            "name": None,
            "role": "DECISION_MAKER",
            "decides": True,
            "uses": False,
            "notes": None,
            "contact": {"name": "Dana Buyer"},
        },
        {"name": "Ed", "role": "END_USER", "decides": False, "uses": True, "notes": None, "contact": None},
    ]
    assert edited["competition"] == {
        "situation": "REPLACING_INCUMBENT",
        "switchingCost": "LOW",
        "competitorsInUse": ["X"],
        "notes": None,
    }
    assert edited["timeline"]["kickoffDate"] == "2026-01-08"
    assert edited["risks"] == [{"description": "Merger politics", "severity": "HIGH", "mitigation": "exec sponsor"}]

    stale = await gql(client, sales, UPDATE, {"id": draft["id"], "version": 1, "record": {"sensitivities": None}})
    assert stale["data"]["updateHandoff"] == {
        "code": "VERSION_CONFLICT",
        "message": stale["data"]["updateHandoff"]["message"],
        "currentVersion": 2,
    }

    submitted = (await gql(client, sales, SUBMIT, {"id": draft["id"]}))["data"]["submitHandoff"]
    assert submitted["state"] == "SUBMITTED"
    returned = (await gql(client, csm, RETURN, {"id": draft["id"], "comment": "add the APAC plan"}))["data"]
    assert returned["returnHandoff"]["state"] == "RETURNED"
    assert (await gql(client, sales, SUBMIT, {"id": draft["id"]}))["data"]["submitHandoff"]["state"] == "SUBMITTED"
    accepted = (await gql(client, csm, ACCEPT, {"id": draft["id"], "version": 5}))["data"]["acceptHandoff"]
    assert (accepted["state"], accepted["returnedCount"]) == ("ACCEPTED", {"returnedCount": 1})
    again = (await gql(client, csm, ACCEPT, {"id": draft["id"]}))["data"]["acceptHandoff"]
    assert (again["code"], again["currentState"]) == ("ILLEGAL_TRANSITION", "ACCEPTED")
    assert (await gql(client, csm, KICKOFF, {"id": draft["id"]}))["data"]["recordKickoffHeld"][
        "state"
    ] == "KICKOFF_HELD"
    done = (await gql(client, csm, FIRST_VALUE, {"id": draft["id"], "on": "2026-01-20"}))["data"]["recordFirstValue"]
    assert done["state"] == "FIRST_VALUE_REACHED"
    assert [(e["fromState"], e["toState"], e["actorRole"]) for e in done["events"]] == [
        (None, "DRAFT", "sales"),
        ("DRAFT", "SUBMITTED", "sales"),
        ("SUBMITTED", "RETURNED", "csm"),
        ("RETURNED", "SUBMITTED", "sales"),
        ("SUBMITTED", "ACCEPTED", "csm"),
        ("ACCEPTED", "KICKOFF_HELD", "csm"),
        ("KICKOFF_HELD", "FIRST_VALUE_REACHED", "csm"),
    ]
    assert done["events"][2]["comment"] == "add the APAC plan"

    plan = await gql(
        client,
        csm,
        "query($id: ID!) { account(id: $id) { goals { outcome } actionItems { title theme } handoffs { state } } }",
        {"id": account},
    )
    assert plan["data"]["account"]["goals"] == [{"outcome": "One support tool after the merger"}]
    assert sorted(item["title"] for item in plan["data"]["account"]["actionItems"]) == [
        "Before start: SSO",
        "Drive to success criterion: One support tool after the merger",
    ]
    assert plan["data"]["account"]["handoffs"] == [{"state": "FIRST_VALUE_REACHED"}]


async def test_bad_records_are_refused_whole(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    account, _ = await _account_with_contact(engine)
    (other_id,) = await insert_accounts(engine, "Other")
    async with engine.begin() as conn:
        stranger = await conn.scalar(sa.insert(contacts).values(account_id=other_id, name="X").returning(contacts.c.id))
    from service.graphql.relay import encode_global_id

    sales = await make_key(engine, Role.SALES, "Sato")
    bad = {
        "deal": {
            "contractStartDate": "2026-02-01",
            "contractEndDate": "2026-01-01",
            "arr": {"amount": "10", "currency": "euro"},
        },
        "goals": [{"outcome": "  "}],
        "stakeholders": [{"role": "CHAMPION"}],
        "evidence": [{"kind": "OTHER", "title": "x", "url": "javascript:alert(1)"}],
    }
    refused = (await gql(client, sales, CREATE, {"account": account, "record": bad}))["data"]["createHandoff"]
    assert refused["code"] == "BAD_USER_INPUT"
    for fragment in (
        "deal.arr.currency: must be a 3-letter ISO 4217 code in capitals, like USD",
        "deal.contractEndDate: must be after contractStartDate",
        "goals.0.outcome: must not be blank",
        "stakeholders.0: give a contactId",
        "evidence.0.url: must be an http:// or https:// link",
    ):
        assert fragment in refused["message"], fragment
    linked = {"stakeholders": [{"contactId": encode_global_id("Contact", stranger), "role": "CHAMPION"}]}
    refused = (await gql(client, sales, CREATE, {"account": account, "record": linked}))["data"]["createHandoff"]
    assert refused == {
        "code": "BAD_USER_INPUT",
        "message": "invalid handoff: stakeholders.0.contactId: not a contact of this account",
    }
    wrong_id = (await gql(client, sales, CREATE, {"account": encode_global_id("Contact", stranger)}))["data"]
    assert wrong_id["createHandoff"]["code"] == "BAD_USER_INPUT"
    huge = {"sensitivities": "x" * 10_001}
    assert (await gql(client, sales, CREATE, {"account": account, "record": huge}))["data"]["createHandoff"][
        "code"
    ] == ("BAD_USER_INPUT")
    async with engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(handoffs)) == 0


async def test_roles_are_refused_as_errors_not_data(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    account, _ = await _account_with_contact(engine)
    author = await make_key(engine, Role.SALES, "author")
    draft = (await gql(client, author, CREATE, {"account": account}))["data"]["createHandoff"]
    for role in (Role.CSM, Role.BI, Role.INGEST):
        key = await make_key(engine, role, role.value)
        body = await gql(client, key, CREATE, {"account": account})
        assert (body["data"], body["errors"][0]["extensions"]["code"]) == (None, "FORBIDDEN"), role
    other_sales = await make_key(engine, Role.SALES, "other")
    body = await gql(client, other_sales, UPDATE, {"id": draft["id"], "version": 1, "record": {"sensitivities": "x"}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "only the handoffs they created" in body["errors"][0]["message"]
    bi = await make_key(engine, Role.BI, "bi")
    assert (await gql(client, bi, ACCEPT, {"id": draft["id"]}))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    ingest = await make_key(engine, Role.INGEST, "ingest")
    read = await gql(client, ingest, "query($id: ID!) { handoff(id: $id) { state } }", {"id": draft["id"]})
    assert read["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (
        await gql(client, bi, "query($id: ID!) { node(id: $id) { ... on Handoff { state } } }", {"id": draft["id"]})
    )["data"] == {"node": {"state": "DRAFT"}}


LIST = """query($filter: HandoffFilterInput, $first: Int, $after: String) {
  handoffs(filter: $filter, first: $first, after: $after) {
    totalCount edges { node { opportunityRef state } } pageInfo { hasNextPage endCursor } } }"""
SLA = """query($filter: HandoffFilterInput) { handoffSla(filter: $filter) {
  handoffs submitted accepted returnedAtLeastOnce returnedRate medianCloseToSubmitHours medianSubmitToAcceptHours
  meanCloseToSubmitHours medianTimeToValueDays } }"""


async def test_lists_filter_page_and_aggregate(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    account, _ = await _account_with_contact(engine)
    sales, admin = await make_key(engine, Role.SALES, "s"), await make_key(engine, Role.ADMIN, "a")
    ids = []
    for n in range(5):
        created = await gql(
            client, sales, CREATE, {"account": account, "record": {**RECORD, "opportunityRef": f"O{n}"}}
        )
        ids.append(created["data"]["createHandoff"]["id"])
    stakeholders = {"stakeholders": [{"name": "Kim", "role": "ECONOMIC_BUYER"}]}
    for handoff_id in ids[:3]:
        await gql(client, sales, UPDATE, {"id": handoff_id, "version": 1, "record": stakeholders})
        assert (await gql(client, sales, SUBMIT, {"id": handoff_id}))["data"]["submitHandoff"]["state"] == "SUBMITTED"
    await gql(client, admin, RETURN, {"id": ids[0], "comment": "more detail"})

    seen, after = [], None
    while True:
        page = (await gql(client, admin, LIST, {"first": 2, "after": after}))["data"]["handoffs"]
        assert page["totalCount"] == 5
        seen += [edge["node"]["opportunityRef"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == ["O0", "O1", "O2", "O3", "O4"]
    assert len(seen) == 5
    submitted = (await gql(client, admin, LIST, {"filter": {"state": ["SUBMITTED", "RETURNED"]}}))["data"]["handoffs"]
    assert sorted(edge["node"]["opportunityRef"] for edge in submitted["edges"]) == ["O0", "O1", "O2"]
    assert submitted["totalCount"] == 3

    sla = (await gql(client, admin, SLA))["data"]["handoffSla"]
    assert (sla["handoffs"], sla["submitted"], sla["accepted"], sla["returnedAtLeastOnce"]) == (5, 3, 0, 1)
    assert sla["returnedRate"] == 1 / 3
    assert sla["medianSubmitToAcceptHours"] is None
    assert sla["medianTimeToValueDays"] is None
    assert sla["medianCloseToSubmitHours"] > 0  # closed 2025-12-20, submitted now
    none = (await gql(client, admin, SLA, {"filter": {"state": ["CANCELLED"]}}))["data"]["handoffSla"]
    assert (none["handoffs"], none["returnedRate"], none["meanCloseToSubmitHours"]) == (0, None, None)
    backwards = {"createdFrom": "2026-02-01T00:00:00Z", "createdTo": "2026-01-01T00:00:00Z"}
    assert (await gql(client, admin, SLA, {"filter": backwards}))["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
