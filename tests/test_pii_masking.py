"""Masking by class for the bi role (service.privacy): the classification covers the whole schema, and over a
seeded demo company bi reads every person and free-text value masked while csm and admin read the originals.

The schema checks fail when a text field (String, [String], JSON) has no class. The demo check reads, with one
key per role, every field whose class bi sees masked and that bi may reach (computed from the schema and the
role matrix, so a new masked field must be read here too), and asserts that bi's answer is csm's with exactly
those values masked — identifiers, labels, numbers and aggregates unchanged."""

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
import strawberry
from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    parse,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api.schema import schema
from service.api_keys.roles import Role
from service.authorization import QUERIES
from service.contacts.types import Contact
from service.db.pool import in_transaction
from service.goals.tables import goals
from service.graphql.pii import MASK, Masked, check_classified, classified_fields, mask_by_class
from service.graphql.relay import encode_global_id
from service.health_scores.service import recompute_health
from service.health_scores.tables import alerts
from service.privacy import FIELD_CLASSES, MASK_NOTES, masked_for
from service.seed.loader import seed_demo
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.handoff_factories import complete_record, create, principal
from tests.ingesting import ingest, statuses

MASKED_FIELDS = {name for name, data_class in FIELD_CLASSES.items() if Role.BI in masked_for(data_class)}


def test_every_text_field_of_the_schema_has_a_class_and_every_class_names_a_field() -> None:
    text_fields = set(classified_fields(schema))
    assert {"PreStartTask.owner", "TimelineEvent.actor", "UnmatchedRecord.payload", "PageInfo.endCursor"} <= text_fields
    assert sorted(text_fields - set(FIELD_CLASSES)) == [], "classify these in service.privacy.FIELD_CLASSES"
    assert sorted(set(FIELD_CLASSES) - text_fields) == [], "service.privacy.FIELD_CLASSES names no such field"


def test_every_masked_field_carries_the_mask_and_says_so() -> None:
    """Read from the converted schema (what runs), not from the table: each masked class got its extension."""
    carrying: dict[str, Masked] = {}
    for type_name, kind in schema.schema_converter.type_map.items():
        for field in getattr(kind.definition, "fields", []):
            for extension in field.extensions:
                if isinstance(extension, Masked):
                    carrying[f"{type_name}.{field.graphql_name or _camel(field.python_name)}"] = extension
    assert set(carrying) == MASKED_FIELDS
    for name, extension in carrying.items():
        assert extension.roles == {Role.BI}
        type_name, field_name = name.split(".")
        graphql_type = schema._schema.get_type(type_name)
        assert isinstance(graphql_type, GraphQLObjectType)
        description = graphql_type.fields[field_name].description or ""
        assert description.endswith(f"Masked (`{MASK}`) for role bi: {MASK_NOTES[extension.data_class]}."), name


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@strawberry.type(description="A type added without classifying its text.")
class Probe:
    nickname: str = strawberry.field(description="Not in service.privacy.FIELD_CLASSES.")
    contact: Contact = strawberry.field(description="A classified type, reached from here too.")


@strawberry.type(description="Root of the probe schema.")
class ProbeQuery:
    probe: Probe = strawberry.field(description="The probe.")


def test_a_text_field_without_a_class_fails_the_build() -> None:
    masked = mask_by_class(ProbeQuery)
    assert {"Contact.name", "Contact.email", "Contact.phone", "Contact.title"} <= masked
    with pytest.raises(LookupError, match=r"Probe\.nickname has no class in service\.privacy\.FIELD_CLASSES"):
        check_classified(strawberry.Schema(query=ProbeQuery), masked)


def bi_reachable_types() -> set[str]:
    """Every type a bi key can read: reachable from the root queries the role matrix lets bi call."""
    graphql_schema = schema._schema
    assert graphql_schema.query_type is not None
    roots = [name for name, roles in QUERIES.items() if Role.BI in roles]
    pending = [get_named_type(graphql_schema.query_type.fields[name].type) for name in roots]
    seen: set[str] = set()
    while pending:
        kind = pending.pop()
        if kind.name in seen:
            continue
        seen.add(kind.name)
        if isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType)):
            pending.extend(get_named_type(field.type) for field in kind.fields.values())
        if isinstance(kind, GraphQLInterfaceType):
            pending.extend(graphql_schema.get_implementations(kind).objects)
        if isinstance(kind, GraphQLUnionType):
            pending.extend(kind.types)
    return seen


# Masked fields no read path fills: a lifted override no longer applies, so only liftHealthOverride's answer
# (roles admin, csm) holds who lifted it.
NEVER_READ = {"HealthOverride.liftedBy"}
# The caller's own names differ per caller (so admin and csm cannot read the same): tests/test_viewer.py reads
# them as bi, masked.
PER_CALLER = {"Viewer.ownerNames", "ViewerPerson.email", "ViewerPerson.displayName"}

CARA = "Cara Tanaka (+1 415 555 0134)"
# Who the demo and the fixture name: no record bi reads may show them (aggregates grouped by owner may).
PEOPLE = re.compile(r"\b(Cara|Joan|Kim|Lee|Sato|Aiko|Ines|Tanaka|Ortiz|Haddad|Chen|Novak|Ito)\b")
RECORDS = """{ accounts(first: 30) { edges { node {
  name industry segment csmOwner salesOwner
  contacts { name email phone title role }
  tickets(first: 10) { edges { node { subject status priority } } }
  surveys(first: 10) { edges { node { comment contactEmail score } } }
  timeline(first: 15) { edges { node { kind origin source actor summary } } }
} } } }"""
SUCCESS = """query($today: Date!) { accounts(first: 30) { edges { node {
  name
  health { name tier score measures { key score reason note } override { name score reason createdBy } }
  goals { outcome status statusChangedBy statusNote createdBy successCriterion { metric unit target }
          progress { value recordedBy note } }
  actionItems { title theme owner status createdBy }
} } }
  alerts(first: 50) { edges { node { rule status message details acknowledgedBy resolvedBy note } } }
  scorecards { name segment createdBy currency tiers { name } }
  metrics { arr(asOf: $today, groupBy: [CSM_OWNER]) { group { dimension value } currency accounts arr } } }"""
HANDOFFS = """{ handoffs(first: 30) { edges { node {
  state opportunityRef salesOwner csmOwner sensitivities createdBy missingForSubmit
  deal { products pricingTerms billingTerms scope outOfScope }
  whyTheyBought { triggerEvent painPoints alternativesEvaluated whyWeWon }
  goals { outcome successCriterion { metric unit } }
  stakeholders { name notes role }
  promises { description promisedBy }
  implementation { integrations dataMigration preStartTasks { title owner done } }
  risks { description mitigation severity }
  competition { competitorsInUse notes }
  timeline { firstValueMilestone }
  evidence { title url }
  events { actor actorRole comment }
} } } }"""
READS = {"records": RECORDS, "success": SUCCESS, "handoffs": HANDOFFS}


@pytest_asyncio.fixture
async def demo(client: httpx.AsyncClient, engine: AsyncEngine) -> dict[Role, str]:
    """A seeded demo company plus what only people write in the hub (notes, overrides, alert actions…)."""
    now = dt.datetime.now(dt.UTC)
    await seed_demo(engine, accounts=8, seed=3, today=now.date())
    keys = {role: await make_key(engine, role, name) for role, name in
            ((Role.ADMIN, "Ines admin"), (Role.CSM, "Aiko"), (Role.BI, "bi"))}  # fmt: skip
    csm = keys[Role.CSM]
    async with engine.connect() as conn:
        account_id, account_ref = (await conn.execute(sa.text(
            "SELECT a.id, l.external_id FROM accounts a JOIN source_links l ON l.entity_id = a.id "
            "AND l.object_type = 'account' AND l.source = 'crm' ORDER BY a.name LIMIT 1"))).one()  # fmt: skip
        goal_id = (await conn.execute(sa.select(goals.c.id).order_by(goals.c.id).limit(1))).scalar_one()
    account = encode_global_id("Account", account_id)

    entry = {"external_id": "call-cara", "account_external_id": account_ref, "kind": "call",
             "summary": "Cara wants the renewal quote by Friday", "actor": CARA,
             "occurred_at": (now - dt.timedelta(minutes=5)).isoformat()}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "timeline-events", [entry])) == ["created"]
    cara = {"external_id": "cara", "account_external_id": account_ref, "name": "Cara Tanaka",
            "email": "cara@customer.example", "phone": "+1 415 555 0134", "title": "Head of Support"}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "contacts", [cara])) == ["created"]  # the demo has no phones

    record = complete_record()
    record["sensitivities"] = "Their CFO, Joan Bell, opposed the purchase"
    record["competition"]["notes"] = "Lee still runs reports in the old tool"
    record["implementation"]["data_migration"] = "Two years of tickets, exported by Lee"
    record["risks"][0]["mitigation"] = "Kim sponsors a second champion"
    record["promises"][0]["promised_by"] = "Sato"
    await create(engine, principal(Role.SALES, "Sato"), record)

    manual = {"accountId": account, "score": 40, "comment": "Kim sounded unhappy on the call"}
    await _mutate(client, csm, "setManualScore", "ManualScore", manual)
    await in_transaction(engine, lambda conn: recompute_health(conn, dt.datetime.now(dt.UTC)))  # after it
    override = {"accountId": account, "score": 30, "reason": "Joan Bell blocks the renewal",
                "expiresAt": (now + dt.timedelta(days=30)).isoformat()}  # fmt: skip
    await _mutate(client, csm, "overrideHealth", "HealthOverride", override)
    progress = {"goalId": encode_global_id("Goal", goal_id), "value": "5", "note": "Lee's count"}
    await _mutate(client, csm, "recordGoalProgress", "Goal", progress)
    status = {"goalId": encode_global_id("Goal", goal_id), "status": "AT_RISK", "note": "Lee is leaving"}
    await _mutate(client, csm, "setGoalStatus", "Goal", status)

    async with engine.begin() as conn:
        raised = await conn.execute(
            sa.insert(alerts).returning(alerts.c.id),
            [
                {"account_id": account_id, "rule": rule, "message": f"{rule} fired", "opened_at": now}
                for rule in ("usage_drop", "ticket_spike")
            ],
        )
        acknowledged, resolved = [encode_global_id("Alert", row.id) for row in raised]
    for mutation, alert_id in (("acknowledgeAlert", acknowledged), ("resolveAlert", resolved)):
        answer = await gql(client, csm, f'mutation($id: ID!) {{ {mutation}(id: $id, note: "Kim called back") '
                           "{ ... on Alert { status } } }", {"id": alert_id})  # fmt: skip
        assert "errors" not in answer, answer
    return keys


async def _mutate(client: httpx.AsyncClient, key: str, mutation: str, answer_type: str, values: dict[str, Any]) -> None:
    """Run ``mutation(input:)`` and check it answered ``answer_type``, not a MutationError."""
    input_type = mutation[0].upper() + mutation[1:] + "Input"
    query = f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ __typename }} }}"
    answer = await gql(client, key, query, {"input": values})
    assert "errors" not in answer, answer
    assert answer["data"][mutation] == {"__typename": answer_type}, answer


def mapped(query: str, data: Any, visit: Callable[[str, Any], Any]) -> Any:
    """``data`` (the answer to ``query``) with every leaf value replaced by ``visit("Type.field", value)``."""
    (operation,) = parse(query).definitions
    assert isinstance(operation, OperationDefinitionNode)
    assert schema._schema.query_type is not None
    return _mapped(operation.selection_set, schema._schema.query_type, data, visit)


def _mapped(selections: SelectionSetNode, parent: Any, data: Any, visit: Callable[[str, Any], Any]) -> Any:
    if data is None:
        return None
    if isinstance(data, list):
        return [_mapped(selections, parent, item, visit) for item in data]
    answer = {}
    for selection in selections.selections:
        assert isinstance(selection, FieldNode), "these queries use no fragments"
        key = selection.alias.value if selection.alias else selection.name.value
        field = parent.fields[selection.name.value]
        if selection.selection_set is None:
            answer[key] = visit(f"{parent.name}.{selection.name.value}", data[key])
        else:
            answer[key] = _mapped(selection.selection_set, get_named_type(field.type), data[key], visit)
    return answer


def masked(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [MASK for _ in value]
    return MASK


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


async def test_bi_reads_every_person_and_free_text_value_masked_csm_and_admin_the_originals(
    client: httpx.AsyncClient, demo: dict[Role, str]
) -> None:
    to_read = {name for name in MASKED_FIELDS if name.split(".")[0] in bi_reachable_types()} - NEVER_READ - PER_CALLER
    assert {"PreStartTask.owner", "ActionItem.owner", "TimelineEvent.actor", "Account.csmOwner"} <= to_read
    filled: set[str] = set()
    originals: set[str] = set()

    def original(name: str, value: Any) -> Any:
        if value not in (None, []):
            filled.add(name)
            if name in MASKED_FIELDS:
                originals.update(_strings(value))
        return value

    for read, query in READS.items():
        today = {"today": dt.date.today().isoformat()}
        answers = {role: await gql(client, key, query, today) for role, key in demo.items()}
        for role, answer in answers.items():
            assert "errors" not in answer, (read, role, answer)
        csm, admin, bi = (answers[role]["data"] for role in (Role.CSM, Role.ADMIN, Role.BI))
        assert admin == csm, read
        assert MASK not in set(_strings(csm)), read
        mapped(query, csm, original)
        expected = mapped(query, csm, lambda name, value: masked(value) if name in MASKED_FIELDS else value)
        assert bi == expected, read  # masked exactly where the class says; every other value the same
        records = {key: value for key, value in bi.items() if key != "metrics"}
        shown = set(_strings(records))
        assert not originals & shown, (read, originals & shown)  # no person or free text under another field
        assert not [text for text in shown if PEOPLE.search(text)], read  # nor a person the fixture wrote
        if read == "records":
            assert CARA in set(_strings(csm))
            assert CARA not in set(_strings(bi))
        if read == "success":  # aggregates are not masked, groups named by CSM owner included
            assert bi["metrics"] == csm["metrics"]
            assert any(row["group"][0]["value"] for row in bi["metrics"]["arr"]), bi["metrics"]
    assert sorted(to_read - filled) == [], "read these fields here, with data the demo or this fixture fills"


# Every path to a person's data is masked alike: the mask is on the field, not on the root field.
PATHS = {
    "contact": "query($c: ID!) { contact(id: $c) { name email phone title role } }",
    "node": "query($c: ID!) { node(id: $c) { ... on Contact { name email phone title role } } }",
    "handoffContext": """query($a: ID!) { handoffContext(accountId: $a) {
        contactsByRole { contacts { name email phone title role } }
        recentTimeline { actor summary kind } } }""",
}


@pytest.mark.parametrize("path", sorted(PATHS))
async def test_every_path_to_a_contact_is_masked_for_bi(
    client: httpx.AsyncClient, engine: AsyncEngine, path: str
) -> None:
    (account,) = (await ingest(engine, "crm", "accounts", [{"external_id": "a1", "name": "Acme"}])).results
    contact = {"external_id": "p1", "account_external_id": "a1", "name": "Ann Lee", "email": "ann@acme.example",
               "phone": "+49 30 1234", "title": "CTO", "role": "decision_maker"}  # fmt: skip
    (person,) = (await ingest(engine, "crm", "contacts", [contact])).results
    note = {"external_id": "n1", "account_external_id": "a1", "kind": "note", "summary": "Ann asked for SSO",
            "occurred_at": "2026-01-11T10:00:00Z", "actor": "Ann Lee"}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "timeline-events", [note])) == ["created"]
    assert account.id
    assert person.id
    variables = {"a": encode_global_id("Account", account.id), "c": encode_global_id("Contact", person.id)}
    query = PATHS[path]
    used = {name: value for name, value in variables.items() if f"${name}:" in query}
    csm = await gql(client, await make_key(engine, Role.CSM, "Aiko"), query, used)
    bi = await gql(client, await make_key(engine, Role.BI, "bi"), query, used)
    assert "errors" not in csm, csm
    assert "errors" not in bi, bi
    real = set(_strings(csm["data"]))
    assert {"Ann Lee", "ann@acme.example", "+49 30 1234", "CTO"} <= real
    assert set(_strings(bi["data"])) <= {MASK, "DECISION_MAKER", "NOTE"}, bi
    assert MASK in set(_strings(bi["data"]))
