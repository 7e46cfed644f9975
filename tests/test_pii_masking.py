"""Contact PII (names, e-mails, phones) is masked for the bi role on every path, real for csm; aggregates are equal.

The list of PII fields is checked against the schema: every field carrying the ``Pii`` extension is listed here,
and every e-mail or phone field of the schema carries it."""

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.pii import MASK, Pii
from service.graphql.relay import encode_global_id
from service.graphql.schema import schema
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.ingesting import ingest, statuses

PII_FIELDS = {
    "Contact.name",
    "Contact.email",
    "Contact.phone",
    "SurveyResponse.contactEmail",
    "Stakeholder.name",
    "Stakeholder.notes",
    "TimelineEvent.actor",  # survey respondents, and any e-mail address
}
PII_KEYS = {name.split(".")[1] for name in PII_FIELDS}

CONTACT = {"external_id": "p1", "account_external_id": "a1", "name": "Ann Lee", "email": "ann@acme.example",
           "phone": "+49 30 1234", "title": "CTO", "role": "decision_maker"}  # fmt: skip
REAL = {"Ann Lee", "ann@acme.example", "+49 30 1234", "Dana Fox", "Knows the CFO", "bob@acme.example"}

CONTACT_FIELDS = "name email phone title"
STAKEHOLDERS = f"stakeholders {{ name notes role contact {{ {CONTACT_FIELDS} }} }}"
PATHS = {
    "contact": f"query($c: ID!) {{ contact(id: $c) {{ {CONTACT_FIELDS} account {{ contacts {{ email }} }} }} }}",
    "node": f"query($c: ID!) {{ node(id: $c) {{ ... on Contact {{ {CONTACT_FIELDS} }} }} }}",
    "account": f"""query($a: ID!) {{ account(id: $a) {{
        contacts {{ {CONTACT_FIELDS} }}
        surveys {{ edges {{ node {{ contactEmail score }} }} }}
        timeline {{ edges {{ node {{ actor origin kind }} }} }}
        handoffs {{ {STAKEHOLDERS} }} }} }}""",
    "accounts": f"{{ accounts {{ edges {{ node {{ contacts {{ {CONTACT_FIELDS} }} }} }} }} }}",
    "handoffContext": f"""query($a: ID!) {{ handoffContext(accountId: $a) {{
        contactsByRole {{ contacts {{ {CONTACT_FIELDS} }} }}
        latestHandoff {{ {STAKEHOLDERS} }}
        recentTimeline {{ actor origin }}
        account {{ contacts {{ email }} }} }} }}""",
    "handoffs": f"{{ handoffs {{ edges {{ node {{ {STAKEHOLDERS} account {{ contacts {{ phone }} }} }} }} }} }}",
    "handoff": f"query($h: ID!) {{ handoff(id: $h) {{ {STAKEHOLDERS} }} }}",
}


def pii_values(value: Any) -> Iterator[Any]:
    """Every value under a PII key (``name`` only where it is a person's: not the account's own name)."""
    if isinstance(value, list):
        for item in value:
            yield from pii_values(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in PII_KEYS and not isinstance(item, (dict, list)):
                if key == "actor" and value.get("origin") not in ("SURVEY", "RECORDED"):
                    continue  # handoff transitions: the hub's own users (API key names)
                yield item
            else:
                yield from pii_values(item)


@pytest.fixture
async def hub(client: httpx.AsyncClient, engine: AsyncEngine) -> dict[str, Any]:
    accounts = await ingest(
        engine, "crm", "accounts", [{"external_id": "a1", "name": "Acme", "domain": "acme.example"}]
    )
    contacts = await ingest(engine, "crm", "contacts", [CONTACT])
    response = {"external_id": "s1", "account_external_id": "a1", "contact_email": "ann@acme.example", "kind": "nps",
                "score": 9, "responded_at": "2026-01-10T10:00:00Z"}  # fmt: skip
    survey = await ingest(engine, "crm", "survey-responses", [response])
    timeline = await ingest(engine, "crm", "timeline-events", [
        {"external_id": "n1", "account_external_id": "a1", "kind": "note", "summary": "Call",
         "occurred_at": "2026-01-11T10:00:00Z", "actor": "Aiko"},
        {"external_id": "n2", "account_external_id": "a1", "kind": "email", "summary": "Mail",
         "occurred_at": "2026-01-12T10:00:00Z", "actor": "bob@acme.example"},
    ])  # fmt: skip
    assert statuses(survey) + statuses(timeline) == ["created"] * 3
    account_id, contact_id = accounts.results[0].id, contacts.results[0].id
    assert account_id
    assert contact_id
    keys = {role: await make_key(engine, role, role.value) for role in (Role.ADMIN, Role.CSM, Role.BI)}
    ids = {"a": encode_global_id("Account", account_id), "c": encode_global_id("Contact", contact_id)}
    stakeholders = [{"contactId": ids["c"], "role": "DECISION_MAKER"},
                    {"name": "Dana Fox", "role": "CHAMPION", "notes": "Knows the CFO"}]  # fmt: skip
    made = await gql(
        client,
        keys[Role.ADMIN],
        "mutation($a: ID!, $r: HandoffInput) { createHandoff(accountId: $a, record: $r) { ... on Handoff { id } } }",
        {"a": ids["a"], "r": {"stakeholders": stakeholders}},
    )
    ids["h"] = made["data"]["createHandoff"]["id"]
    return {"keys": keys, "ids": ids}


def _variables(query: str, ids: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in ids.items() if f"${name}:" in query}


def test_the_pii_fields_of_the_schema_are_exactly_these_and_every_email_or_phone_field_is_one() -> None:
    marked: set[str] = set()
    converter = schema.schema_converter
    for type_name, kind in converter.type_map.items():
        for field in getattr(kind.definition, "fields", []):
            if any(isinstance(extension, Pii) for extension in field.extensions):
                marked.add(f"{type_name}.{field.graphql_name or _camel(field.python_name)}")
    assert marked == PII_FIELDS
    for type_name, graphql_type in schema._schema.type_map.items():
        if isinstance(graphql_type, GraphQLObjectType) and not type_name.startswith("__"):
            for field_name in graphql_type.fields:
                if re.search("email|phone", field_name, re.IGNORECASE):
                    assert f"{type_name}.{field_name}" in PII_FIELDS, f"{type_name}.{field_name} holds PII: add Pii()"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@pytest.mark.parametrize("path", sorted(PATHS))
async def test_bi_sees_contact_pii_masked_on_every_path_and_csm_sees_it(
    client: httpx.AsyncClient, hub: dict[str, Any], path: str
) -> None:
    query = PATHS[path]
    variables = _variables(query, hub["ids"])
    csm = await gql(client, hub["keys"][Role.CSM], query, variables)
    bi = await gql(client, hub["keys"][Role.BI], query, variables)
    assert "errors" not in csm, csm
    assert "errors" not in bi, bi
    real = [value for value in pii_values(csm["data"]) if value is not None]
    masked = [value for value in pii_values(bi["data"]) if value is not None]
    assert real
    assert set(real) <= REAL | {"Aiko"}, real
    if path == "account":  # every kind of PII field is on this path
        assert set(real) == REAL | {"Aiko"}, real
    assert len(masked) == len(real)  # the same fields are non-null: masking hides values, not their presence
    for seen_by_bi, seen_by_csm in zip(masked, real, strict=True):
        assert seen_by_bi == ("Aiko" if seen_by_csm == "Aiko" else MASK), (seen_by_bi, seen_by_csm)
    assert not REAL & set(_strings(bi["data"])), "a PII value reached bi"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


async def test_what_is_not_pii_and_aggregates_are_the_same_for_bi(
    client: httpx.AsyncClient, hub: dict[str, Any]
) -> None:
    query = """query($a: ID!) { account(id: $a) { name contacts { title role } nps { responses nps }
        surveys { totalCount edges { node { score } } } }
      metrics { nps(from: "2026-01-01", to: "2026-02-01") { responses nps } } }"""
    answers = [await gql(client, hub["keys"][role], query, {"a": hub["ids"]["a"]}) for role in (Role.CSM, Role.BI)]
    assert answers[0] == answers[1]
    assert answers[0]["data"]["metrics"]["nps"] == [{"responses": 1, "nps": 100.0}]
    assert answers[0]["data"]["account"]["contacts"] == [{"title": "CTO", "role": "DECISION_MAKER"}]


def test_the_mask_is_documented_on_each_field() -> None:
    for name in PII_FIELDS:
        type_name, field_name = name.split(".")
        graphql_type = schema._schema.get_type(type_name)
        assert isinstance(graphql_type, GraphQLObjectType)
        assert "masked for role bi" in (graphql_type.fields[field_name].description or ""), name
