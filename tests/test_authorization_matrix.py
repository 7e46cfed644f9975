"""The role × operation matrix (service.authorization), exhaustively: every query root, mutation and REST route
with every role. Allowed → a real answer (the success type of a mutation, a non-null root field, a 2xx); not
allowed → FORBIDDEN / 403 with no data and nothing written. A root field or route without a matrix entry, or
without a case here, fails the suite."""

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Route

from service.api.schema import schema
from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from service.app import create_app
from service.audit.tables import audit_log
from service.authorization import (
    MUTATIONS,
    QUERIES,
    ROUTES,
    SUBSCRIPTIONS,
    TYPE_FIELDS,
    authorize,
    graphql_operations,
)
from service.events import service as webhooks
from service.events.outbox import append_event
from service.events.ssrf import AddressPolicy
from service.graphql.authorization import Authorize
from service.graphql.relay import decode_typed_id, encode_global_id
from service.health_scores.tables import alerts
from service.http.authorization import route_operation
from service.settings import Settings
from tests.factories import insert_accounts
from tests.graphql_client import gql
from tests.ingesting import ingest

NOW = dt.datetime.now(dt.UTC)
CONFIG: dict[str, Any] = {
    "measures": [{"key": "nps", "weight": 1, "scale": {"kind": "LINEAR", "zeroAt": -50, "fullAt": 50}}],
    "tiers": [{"name": "all", "touchModel": "LOW"}],
}
COMPLETE_HANDOFF: dict[str, Any] = {
    "deal": {
        "products": ["Platform"],
        "arr": {"amount": "60000.00", "currency": "EUR"},
        "contractStartDate": "2026-01-01",
        "pricingTerms": "50 seats",
        "billingTerms": "quarterly",
    },
    "goals": [
        {
            "outcome": "One tool",
            "successCriterion": {"metric": "tools", "baseline": "2", "target": "1", "dueOn": "2026-06-30"},
        }
    ],
    "stakeholders": [{"name": "Dana", "role": "DECISION_MAKER"}],
    "timeline": {"kickoffDate": "2026-01-08"},
}


# The policy, written out here rather than read from service.authorization: an edit to the matrix that is not
# also made here fails (the behaviour tests below check each role against these, not against the code's table).
# Roles by their value; "-" for a route that needs no key at all.
LOOPBACK = AddressPolicy(allow_loopback=True)
PINNED: dict[str, str] = {
    **{
        f"Query.{name}": "admin csm sales bi"
        for name in [
            "account",
            "accounts",
            "accountByDomain",
            "accountBySource",
            "contact",
            "contract",
            "ticket",
            "node",
            "scorecards",
            "scorecard",
            "alerts",
            "handoff",
            "handoffs",
            "handoffContext",
            "handoffSla",
            "viewer",
        ]
    },
    "Query.metrics": "admin csm bi",
    "Query.unmatchedRecords": "admin csm ingest",
    "Query.auditLog": "admin",
    **{
        f"Mutation.{name}": "admin csm"
        for name in [
            "createScorecard",
            "updateScorecard",
            "overrideHealth",
            "liftHealthOverride",
            "setManualScore",
            "acknowledgeAlert",
            "resolveAlert",
            "recomputeHealth",
            "addGoal",
            "recordGoalProgress",
            "setGoalStatus",
            "createActionItem",
            "updateActionItem",
            "completeActionItem",
            "acceptHandoff",
            "returnHandoff",
            "recordKickoffHeld",
            "recordFirstValue",
        ]
    },
    **{f"Mutation.{name}": "admin sales" for name in ("createHandoff", "updateHandoff", "submitHandoff")},
    "Mutation.cancelHandoff": "admin csm sales",
    "Mutation.addTimelineEntry": "admin csm sales",
    "Mutation.mergeAccounts": "admin",
    "Query.webhookEndpoints": "admin",
    "Query.webhookDeliveries": "admin",
    "Mutation.createWebhookEndpoint": "admin",
    "Mutation.updateWebhookEndpoint": "admin",
    "Mutation.deleteWebhookEndpoint": "admin",
    "Mutation.rotateWebhookSecret": "admin",
    "Mutation.redeliverWebhook": "admin",
    "Mutation.replayWebhookDeliveries": "admin",
    "Mutation.runClockSweep": "admin",
    "Account.handoffs": "admin csm sales bi",
    **{
        f"Subscription.{name}": "admin csm sales bi"
        for name in ("alertOpened", "healthChanged", "handoffChanged", "timelineAdded")
    },
    "GET /": "-",
    "GET /healthz": "-",
    "GET /readyz": "-",
    "GET /schema.graphql": "-",
    "GET /openapi.yaml": "-",
    "GET /events/catalogue": "-",
    "GET /graphiql/assets/{name}": "-",
    "GET /graphql": "admin csm sales bi ingest",
    "POST /graphql": "admin csm sales bi ingest",
    "POST /v1/ingest/{entity}": "admin ingest",
    "POST /segment/v1/{call}": "admin ingest",
    "POST /zendesk/v1/tickets": "admin ingest",
    "POST /zendesk/v1/webhook": "admin ingest",
    "POST /hubspot/v1/objects/{object_type}": "admin ingest",
    "POST /hubspot/v1/webhook": "-",  # no key: HubSpot signs it (tests/test_hubspot_http.py)
    "POST /salesforce/v1/records": "admin ingest",
    "POST /salesforce/v1/bulk/{sobject}": "admin ingest",
    "POST /salesforce/v1/events": "admin ingest",
}


def pinned(operation: str) -> frozenset[Role] | None:
    """The roles the pinned policy allows ``operation`` (None: no key needed)."""
    roles = PINNED[operation]
    return None if roles == "-" else frozenset(Role(role) for role in roles.split())


def test_the_policy_is_the_pinned_table() -> None:
    found: dict[str, frozenset[Role] | None] = {**graphql_operations(), **ROUTES}
    assert set(found) == set(PINNED)
    assert {operation: roles for operation, roles in found.items() if roles != pinned(operation)} == {}


@dataclass
class World:
    client: httpx.AsyncClient
    engine: AsyncEngine
    secrets: dict[Role, str]
    key_ids: dict[Role, uuid.UUID]
    account: str  # global ids
    contact: str
    contract: str
    ticket: str
    scorecard: str

    async def admin(self, document: str, variables: dict[str, Any] | None = None) -> Any:
        body = await gql(self.client, self.secrets[Role.ADMIN], document, variables)
        assert "errors" not in body, body
        (value,) = body["data"].values()
        return value

    async def fresh_account(self) -> str:
        (account_id,) = await insert_accounts(self.engine, f"Fresh {uuid.uuid4().hex[:8]}")
        return encode_global_id("Account", account_id)

    async def handoff(self, role: Role, *steps: str) -> str:
        """A complete handoff, created by ``role`` when it may create (else by admin), moved through ``steps``."""
        creator = role if role in (Role.SALES, Role.ADMIN) else Role.ADMIN
        body = await gql(
            self.client,
            self.secrets[creator],
            "mutation($a: ID!, $r: HandoffInput) { createHandoff(accountId: $a, record: $r) "
            "{ ... on Handoff { id } } }",
            {"a": self.account, "r": {**COMPLETE_HANDOFF, "opportunityRef": f"OPP-{uuid.uuid4().hex[:8]}"}},
        )
        handoff_id: str = body["data"]["createHandoff"]["id"]
        for step in steps:
            moved = await self.admin(f"mutation($id: ID!) {{ {step}(id: $id) {{ __typename }} }}", {"id": handoff_id})
            assert moved["__typename"] == "Handoff", (step, moved)
        return handoff_id

    async def alert(self) -> str:
        account = await self.fresh_account()
        async with self.engine.begin() as conn:
            alert_id = await conn.scalar(
                sa.insert(alerts)
                .values(account_id=decode_typed_id(account, "Account"), rule="no_logins", message="m", opened_at=NOW)
                .returning(alerts.c.id)
            )
        return encode_global_id("Alert", alert_id)

    async def webhook_endpoint(self) -> uuid.UUID:
        async with self.engine.begin() as conn:
            created = await webhooks.create_endpoint(
                conn, webhooks.NewEndpoint("http://127.0.0.1:9/hook", ["*"]), by="matrix", policy=LOOPBACK
            )
        return created.endpoint.id

    async def webhook_delivery(self) -> uuid.UUID:
        endpoint_id = await self.webhook_endpoint()
        async with self.engine.begin() as conn:
            payload = {"endpointId": endpoint_id, "url": "http://127.0.0.1:9/hook", "reason": "test"}
            await append_event(conn, "webhook.endpoint_disabled", payload, account_id=None)
            return uuid.UUID(
                str(
                    await conn.scalar(
                        sa.text("SELECT id FROM webhook_deliveries WHERE endpoint_id = :e"), {"e": endpoint_id}
                    )
                )
            )


Setup = Callable[[World, Role], Awaitable[dict[str, Any]]]


async def _none(world: World, role: Role) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    document: str
    setup: Setup = _none
    success: str | None = None  # a mutation's success type in its result union


def _id(make: Callable[[World], str]) -> Setup:
    async def setup(world: World, role: Role) -> dict[str, Any]:
        return {"id": make(world)}

    return setup


async def _goal(world: World, role: Role) -> dict[str, Any]:
    goal = await world.admin(
        "mutation($i: AddGoalInput!) { addGoal(input: $i) { ... on Goal { id } } }",
        {"i": {"accountId": world.account, "outcome": "Fewer tools"}},
    )
    return {"id": goal["id"]}


async def _item(world: World, role: Role) -> dict[str, Any]:
    item = await world.admin(
        "mutation($i: CreateActionItemInput!) { createActionItem(input: $i) { ... on ActionItem { id } } }",
        {"i": {"accountId": world.account, "title": "Call"}},
    )
    return {"id": item["id"]}


async def _override(world: World, role: Role) -> dict[str, Any]:
    made = await world.admin(
        "mutation($i: OverrideHealthInput!) { overrideHealth(input: $i) { ... on HealthOverride { id } } }",
        {"i": {"accountId": await world.fresh_account(), "score": 50, "reason": "r", "expiresAt": _later()}},
    )
    return {"id": made["id"]}


def _later() -> str:
    return (NOW + dt.timedelta(days=7)).isoformat()


def _fresh(name: str = "a") -> Setup:
    async def setup(world: World, role: Role) -> dict[str, Any]:
        return {name: await world.fresh_account()}

    return setup


def _handoff(*steps: str) -> Setup:
    async def setup(world: World, role: Role) -> dict[str, Any]:
        return {"id": await world.handoff(role, *steps)}

    return setup


async def _merge(world: World, role: Role) -> dict[str, Any]:
    return {"m": await world.fresh_account(), "i": await world.fresh_account()}


async def _alert(world: World, role: Role) -> dict[str, Any]:
    return {"id": await world.alert()}


async def _endpoint(world: World, role: Role) -> dict[str, Any]:
    return {"id": str(await world.webhook_endpoint())}


async def _delivery(world: World, role: Role) -> dict[str, Any]:
    return {"id": str(await world.webhook_delivery())}


async def _scorecard_name(world: World, role: Role) -> dict[str, Any]:
    return {"name": f"score-{role.value}"}


QUERY_CASES: dict[str, Case] = {
    "account": Case("query($id: ID!) { account(id: $id) { id } }", _id(lambda w: w.account)),
    "accounts": Case("{ accounts(first: 1) { totalCount } }"),
    "accountByDomain": Case('{ accountByDomain(domain: "acme.example") { id } }'),
    "accountBySource": Case('{ accountBySource(source: "crm", externalId: "a1") { id } }'),
    "contact": Case("query($id: ID!) { contact(id: $id) { id } }", _id(lambda w: w.contact)),
    "contract": Case("query($id: ID!) { contract(id: $id) { id } }", _id(lambda w: w.contract)),
    "ticket": Case("query($id: ID!) { ticket(id: $id) { id } }", _id(lambda w: w.ticket)),
    "node": Case("query($id: ID!) { node(id: $id) { id } }", _id(lambda w: w.account)),
    "scorecards": Case("{ scorecards { id } }"),
    "scorecard": Case("query($id: ID!) { scorecard(id: $id) { id } }", _id(lambda w: w.scorecard)),
    "alerts": Case("{ alerts { edges { cursor } } }"),
    "handoff": Case("query($id: ID!) { handoff(id: $id) { id } }", _handoff()),
    "handoffs": Case("{ handoffs { edges { cursor } } }"),
    "handoffContext": Case(
        "query($id: ID!) { handoffContext(accountId: $id) { account { id } } }", _id(lambda w: w.account)
    ),
    "handoffSla": Case("{ handoffSla { handoffs } }"),
    "metrics": Case("{ metrics { dimensions } }"),
    "unmatchedRecords": Case("{ unmatchedRecords { edges { cursor } } }"),
    "auditLog": Case("{ auditLog { edges { cursor } } }"),
    "viewer": Case("{ viewer { role } }"),
    "webhookEndpoints": Case("{ webhookEndpoints { id } }"),
    "webhookDeliveries": Case("query($id: ID!) { webhookDeliveries(endpointId: $id) { id } }", _endpoint),
}

MUTATION_CASES: dict[str, Case] = {
    "createScorecard": Case(
        "mutation($name: String!) { createScorecard(input: {name: $name, config: "
        + '{measures: [{key: "nps", weight: 1, scale: {kind: LINEAR, zeroAt: -50, fullAt: 50}}], '
        + 'tiers: [{name: "all", touchModel: LOW}]}}) { __typename } }',
        _scorecard_name,
        "Scorecard",
    ),
    "updateScorecard": Case(
        "mutation($id: ID!) { updateScorecard(input: {id: $id, active: true}) { __typename } }",
        _id(lambda w: w.scorecard),
        "Scorecard",
    ),
    "overrideHealth": Case(
        'mutation($a: ID!, $e: DateTime!) { overrideHealth(input: {accountId: $a, score: 50, reason: "r", '
        "expiresAt: $e}) { __typename } }",
        lambda world, role: _with(_fresh()(world, role), e=_later()),
        "HealthOverride",
    ),
    "liftHealthOverride": Case(
        "mutation($id: ID!) { liftHealthOverride(id: $id) { __typename } }", _override, "HealthOverride"
    ),
    "setManualScore": Case(
        'mutation($a: ID!) { setManualScore(input: {accountId: $a, score: 70, comment: "ok"}) { __typename } }',
        _fresh(),
        "ManualScore",
    ),
    "acknowledgeAlert": Case("mutation($id: ID!) { acknowledgeAlert(id: $id) { __typename } }", _alert, "Alert"),
    "resolveAlert": Case("mutation($id: ID!) { resolveAlert(id: $id) { __typename } }", _alert, "Alert"),
    "recomputeHealth": Case(
        "mutation($a: ID!) { recomputeHealth(accountIds: [$a]) { __typename } }", _fresh(), "HealthRecomputed"
    ),
    "addGoal": Case(
        'mutation($a: ID!) { addGoal(input: {accountId: $a, outcome: "Grow"}) { __typename } }', _fresh(), "Goal"
    ),
    "recordGoalProgress": Case(
        'mutation($id: ID!) { recordGoalProgress(input: {goalId: $id, value: "1"}) { __typename } }', _goal, "Goal"
    ),
    "setGoalStatus": Case(
        "mutation($id: ID!) { setGoalStatus(input: {goalId: $id, status: AT_RISK}) { __typename } }", _goal, "Goal"
    ),
    "createActionItem": Case(
        'mutation($a: ID!) { createActionItem(input: {accountId: $a, title: "Call"}) { __typename } }',
        _fresh(),
        "ActionItem",
    ),
    "updateActionItem": Case(
        'mutation($id: ID!) { updateActionItem(input: {id: $id, title: "Call back"}) { __typename } }',
        _item,
        "ActionItem",
    ),
    "completeActionItem": Case(
        "mutation($id: ID!) { completeActionItem(id: $id) { __typename } }", _item, "ActionItem"
    ),
    "createHandoff": Case("mutation($a: ID!) { createHandoff(accountId: $a) { __typename } }", _fresh(), "Handoff"),
    "updateHandoff": Case(
        'mutation($id: ID!) { updateHandoff(id: $id, expectedVersion: 1, record: {sensitivities: "none"}) '
        "{ __typename } }",
        _handoff(),
        "Handoff",
    ),
    "submitHandoff": Case("mutation($id: ID!) { submitHandoff(id: $id) { __typename } }", _handoff(), "Handoff"),
    "acceptHandoff": Case(
        "mutation($id: ID!) { acceptHandoff(id: $id) { __typename } }", _handoff("submitHandoff"), "Handoff"
    ),
    "returnHandoff": Case(
        'mutation($id: ID!) { returnHandoff(id: $id, comment: "fix") { __typename } }',
        _handoff("submitHandoff"),
        "Handoff",
    ),
    "recordKickoffHeld": Case(
        "mutation($id: ID!) { recordKickoffHeld(id: $id) { __typename } }",
        _handoff("submitHandoff", "acceptHandoff"),
        "Handoff",
    ),
    "recordFirstValue": Case(
        "mutation($id: ID!) { recordFirstValue(id: $id) { __typename } }",
        _handoff("submitHandoff", "acceptHandoff", "recordKickoffHeld"),
        "Handoff",
    ),
    "cancelHandoff": Case("mutation($id: ID!) { cancelHandoff(id: $id) { __typename } }", _handoff(), "Handoff"),
    "mergeAccounts": Case(
        "mutation($m: ID!, $i: ID!) { mergeAccounts(input: {mergedAccountId: $m, intoAccountId: $i}) { __typename } }",
        _merge,
        "AccountsMerged",
    ),
    "addTimelineEntry": Case(
        "mutation($a: ID!, $t: DateTime!) { addTimelineEntry(input: {accountId: $a, kind: NOTE, occurredAt: $t, "
        'summary: "Met"}) { __typename } }',
        lambda world, role: _with(_fresh()(world, role), t=NOW.isoformat()),
        "TimelineEvent",
    ),
    "createWebhookEndpoint": Case(
        'mutation { createWebhookEndpoint(input: {url: "http://127.0.0.1:9/hook", eventTypes: ["*"]}) { __typename } }',
        _none,
        "WebhookEndpointWithSecret",
    ),
    "updateWebhookEndpoint": Case(
        "mutation($id: ID!) { updateWebhookEndpoint(input: {id: $id, enabled: false}) { __typename } }",
        _endpoint,
        "WebhookEndpoint",
    ),
    "deleteWebhookEndpoint": Case(
        "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { __typename } }", _endpoint, "WebhookEndpointDeleted"
    ),
    "rotateWebhookSecret": Case(
        "mutation($id: ID!) { rotateWebhookSecret(id: $id) { __typename } }", _endpoint, "WebhookEndpointWithSecret"
    ),
    "redeliverWebhook": Case(
        "mutation($id: ID!) { redeliverWebhook(id: $id) { __typename } }", _delivery, "WebhookDelivery"
    ),
    "replayWebhookDeliveries": Case(
        'mutation($id: ID!) { replayWebhookDeliveries(endpointId: $id, from: "2026-06-01T00:00:00Z", '
        'to: "2026-06-02T00:00:00Z") { __typename } }',
        _endpoint,
        "WebhookReplay",
    ),
    "runClockSweep": Case("mutation { runClockSweep { __typename } }", success="ClockSweep"),
}


async def _with(variables: Awaitable[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {**await variables, **more}


@pytest.fixture
async def world(client: httpx.AsyncClient, engine: AsyncEngine) -> World:
    secrets: dict[Role, str] = {}
    key_ids: dict[Role, uuid.UUID] = {}
    async with engine.begin() as conn:
        for role in Role:
            created = await api_keys.create_key(conn, role=role, name=f"matrix {role.value}")
            secrets[role], key_ids[role] = created.secret, created.key.id
    account = await ingest(engine, "crm", "accounts", [{"external_id": "a1", "name": "Acme", "domain": "acme.example"}])
    contact = await ingest(
        engine, "crm", "contacts", [{"external_id": "p1", "account_external_id": "a1", "name": "Ann"}]
    )
    contract = await ingest(
        engine,
        "crm",
        "contracts",
        [{"external_id": "k1", "account_external_id": "a1", "status": "active", "start_date": "2026-01-01"}],
    )
    ticket = await ingest(
        engine,
        "desk",
        "tickets",
        [
            {
                "external_id": "t1",
                "account_domain": "acme.example",
                "subject": "S",
                "status": "open",
                "opened_at": "2026-03-01T09:00:00Z",
            }
        ],
    )
    gids: list[str] = []
    for kind, batch in zip(
        ("Account", "Contact", "Contract", "Ticket"), (account, contact, contract, ticket), strict=True
    ):
        entity_id = batch.results[0].id
        assert entity_id is not None, batch.results
        gids.append(encode_global_id(kind, entity_id))
    account_gid, contact_gid, contract_gid, ticket_gid = gids
    partial = World(client, engine, secrets, key_ids, account_gid, contact_gid, contract_gid, ticket_gid, "")
    made = await partial.admin(
        'mutation($c: ScorecardConfigInput!) { createScorecard(input: {name: "overall", config: $c}) '
        "{ ... on Scorecard { id } ... on MutationError { message } } }",
        {"c": CONFIG},
    )
    partial.scorecard = made["id"]
    return partial


async def _audit_rows(engine: AsyncEngine, key_id: uuid.UUID) -> list[tuple[str, str, Any]]:
    async with engine.connect() as conn:
        found = await conn.execute(
            sa.select(audit_log.c.action, audit_log.c.outcome, audit_log.c.details).where(audit_log.c.key_id == key_id)
        )
        return [(row.action, row.outcome, row.details) for row in found]


def _roles(operation: str) -> frozenset[Role]:
    roles = pinned(operation)
    assert roles is not None, operation
    return roles


async def _check(world: World, kind: str, name: str, case: Case, role: Role, allowed: frozenset[Role]) -> None:
    variables = await case.setup(world, role)
    before = await _audit_rows(world.engine, world.key_ids[role])
    body = await gql(world.client, world.secrets[role], case.document, variables)
    if role in allowed:
        assert "errors" not in body, (name, role, body)
        value = body["data"][name]
        assert value is not None, (name, role)
        if case.success is not None:
            assert value["__typename"] == case.success, (name, role, value)
    else:
        assert body["data"] is None or body["data"].get(name) is None, (name, role, body)
        assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"], (name, role, body)
        if kind == "Mutation":  # refused before the resolver ran: nothing written, the attempt on record
            after = await _audit_rows(world.engine, world.key_ids[role])
            new = [row for row in after if row not in before]
            assert [(action, outcome, details["code"]) for action, outcome, details in new] == [
                (f"mutation:{name}", "refused", "FORBIDDEN")
            ], (name, role, new)


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_every_query_root_answers_its_roles_and_refuses_the_others(world: World, name: str) -> None:
    for role in Role:
        await _check(world, "Query", name, QUERY_CASES[name], role, _roles(f"Query.{name}"))


@pytest.mark.parametrize("name", sorted(MUTATIONS))
async def test_every_mutation_works_for_its_roles_and_refuses_the_others(world: World, name: str) -> None:
    for role in Role:
        await _check(world, "Mutation", name, MUTATION_CASES[name], role, _roles(f"Mutation.{name}"))


async def test_a_nested_field_with_its_own_rule_is_checked_wherever_it_is_reached(world: World) -> None:
    assert set(TYPE_FIELDS) == {"Account.handoffs"}
    query = "query($id: ID!) { account(id: $id) { handoffs { id } } }"
    for role in Role:
        body = await gql(world.client, world.secrets[role], query, {"id": world.account})
        if role in _roles("Account.handoffs"):
            assert body["data"]["account"]["handoffs"] == [], (role, body)
        else:  # the ingest role does not even reach the account
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


REST_CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "GET /": ("GET", "/", {}),
    "GET /schema.graphql": ("GET", "/schema.graphql", {}),
    "GET /openapi.yaml": ("GET", "/openapi.yaml", {}),
    "GET /events/catalogue": ("GET", "/events/catalogue", {}),
    "GET /graphiql/assets/{name}": ("GET", "/graphiql/assets/graphiql.min.css", {}),
    "GET /healthz": ("GET", "/healthz", {}),
    "GET /readyz": ("GET", "/readyz", {}),
    "GET /graphql": ("GET", "/graphql?query=%7B__typename%7D", {}),
    "POST /graphql": ("POST", "/graphql", {"json": {"query": "{ __typename }"}}),
    "POST /v1/ingest/{entity}": (
        "POST",
        "/v1/ingest/accounts",
        {"json": {"source": "crm", "records": [{"external_id": "r1", "name": "Rest Co"}]}},
    ),
    "POST /segment/v1/{call}": ("POST", "/segment/v1/group", {"json": {"groupId": "g1", "traits": {"name": "Seg Co"}}}),
    "POST /zendesk/v1/tickets": (
        "POST",
        "/zendesk/v1/tickets",
        {"json": {"organizations": [{"id": 7, "name": "Zd Co"}]}},
    ),
    "POST /salesforce/v1/records": (
        "POST",
        "/salesforce/v1/records",
        {"json": {"records": [{"attributes": {"type": "Account"}, "Id": "001Dn00000SfCoXAAS", "Name": "Sf Co"}]}},
    ),
    "POST /salesforce/v1/bulk/{sobject}": (
        "POST",
        "/salesforce/v1/bulk/Account",
        {"content": b'"Id","Name"\n"001Dn00000SfBkXAAS","Sf Bulk Co"\n', "headers_extra": {"Content-Type": "text/csv"}},
    ),
    "POST /salesforce/v1/events": (
        "POST",
        "/salesforce/v1/events",
        {
            "json": {
                "ChangeEventHeader": {
                    "entityName": "Account",
                    "changeType": "CREATE",
                    "recordIds": ["001Dn00000SfEvXAAS"],
                    "commitTimestamp": 1793872800000,
                },
                "Name": "Sf Event Co",
            }
        },
    ),
    "POST /zendesk/v1/webhook": (
        "POST",
        "/zendesk/v1/webhook",
        {
            "json": {
                "type": "zen:event-type:ticket.created",
                "detail": {
                    "id": "9",
                    "status": "OPEN",
                    "organization_id": "7",
                    "created_at": "2026-11-06T09:00:00Z",
                    "updated_at": "2026-11-06T09:00:00Z",
                },
            }
        },
    ),
    "POST /hubspot/v1/objects/{object_type}": (
        "POST",
        "/hubspot/v1/objects/companies",
        {"json": {"results": [{"id": "77", "properties": {"name": "Hs Co"}}]}},
    ),
    "POST /hubspot/v1/webhook": ("POST", "/hubspot/v1/webhook", {"json": []}),
}
# Public, but not open: HubSpot's signature is its authentication, and no API key of any role stands in for it.
SIGNED_ROUTES = frozenset({"POST /hubspot/v1/webhook"})


@pytest.mark.parametrize("operation", sorted(ROUTES))
async def test_every_rest_route_answers_its_roles_and_refuses_the_others(world: World, operation: str) -> None:
    method, path, options = REST_CASES[operation]
    options = dict(options)
    extra = options.pop("headers_extra", {})  # a media type other than JSON (Bulk API CSV)
    allowed = pinned(operation)
    if operation in SIGNED_ROUTES:
        for role in Role:
            headers = {"Authorization": f"Bearer {world.secrets[role]}"}
            response = await world.client.request(method, path, headers=headers, **options)
            assert response.status_code == 401, (operation, role, response.text)
        return
    for role in Role:
        async with world.engine.connect() as conn:
            before = await conn.scalar(sa.text("SELECT count(*) FROM accounts"))
        response = await world.client.request(
            method, path, headers={"Authorization": f"Bearer {world.secrets[role]}", **extra}, **options
        )
        if allowed is None or role in allowed:
            assert response.status_code == 200, (operation, role, response.text)
        else:
            assert response.status_code == 403, (operation, role, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "FORBIDDEN"
            async with world.engine.connect() as conn:
                assert await conn.scalar(sa.text("SELECT count(*) FROM accounts")) == before
    if allowed is not None:  # without a key: 401, whatever the route
        assert (await world.client.request(method, path, headers=extra, **options)).status_code == 401


def test_the_matrix_names_every_root_field_and_every_case_here_exists() -> None:
    graphql = schema._schema
    assert graphql.query_type is not None
    assert graphql.mutation_type is not None
    assert set(graphql.query_type.fields) == set(QUERIES) == set(QUERY_CASES)
    assert set(graphql.mutation_type.fields) == set(MUTATIONS) == set(MUTATION_CASES)
    assert graphql.subscription_type is not None
    assert set(graphql.subscription_type.fields) == set(SUBSCRIPTIONS)  # their behaviour: tests/test_subscriptions.py
    for name, field in TYPE_FIELDS.items():
        type_name, field_name = name.split(".")
        assert field_name in graphql.get_type(type_name).fields, name  # type: ignore[union-attr]
        assert field


def test_the_matrix_names_every_route_of_the_app(settings: Settings) -> None:
    app = create_app(settings)
    operations = {
        route_operation(route, method)
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or ())
        if method != "HEAD"
    }
    assert operations == set(ROUTES) == set(REST_CASES)


def test_every_matrix_field_carries_exactly_one_authorize_extension() -> None:
    from strawberry.types.base import get_object_definition

    from service.api.schema import Mutation, Query
    from service.customer360.types import Account
    from service.graphql.authorization import graphql_name
    from service.subscriptions.resolvers import Subscription

    seen: dict[str, int] = {}
    for cls in (Query, Mutation, Subscription, Account):
        definition = get_object_definition(cls, strict=True)
        for field in definition.fields:
            checks = [extension for extension in field.extensions if isinstance(extension, Authorize)]
            if checks:
                seen[f"{definition.name}.{graphql_name(field)}"] = len(checks)
                assert checks[0].operation == f"{definition.name}.{graphql_name(field)}"
    assert seen == dict.fromkeys(graphql_operations(), 1)


# --- the strawberry permission-bypass pattern ---------------------------------------------------------------
# A permission whose sync `has_permission` returns a coroutine object was once taken as "allowed" (the object is
# truthy). Here every check is awaited, and only a real `True` allows.

PRINCIPAL = api_keys.Principal(key_id=uuid.uuid4(), name="p", role=Role.BI)


async def _false() -> bool:
    return False


async def _true() -> bool:
    return True


def sync_check_returning_a_coroutine(principal: api_keys.Principal, operation: str) -> Any:
    return _false()  # a plain def: the classic bypass


async def async_check_returning_a_coroutine(principal: api_keys.Principal, operation: str) -> Any:
    return _true()  # awaiting it gives another awaitable, not True


@pytest.mark.parametrize(
    "check",
    [
        sync_check_returning_a_coroutine,
        async_check_returning_a_coroutine,
        lambda principal, operation: 1,
        lambda principal, operation: "yes",
        lambda principal, operation: object(),
    ],
)
async def test_a_check_that_returns_an_awaitable_or_a_truthy_non_bool_never_allows(check: Any) -> None:
    from service.authorization import authorize
    from service.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        await authorize(PRINCIPAL, "Query.metrics", check)


async def test_a_sync_resolver_guarded_by_a_bypass_pattern_check_is_refused_and_never_runs() -> None:
    import strawberry

    from service.graphql.context import Context

    ran: list[str] = []

    def reveal() -> str:  # a sync resolver: the case where the old bypass happened
        ran.append("secret")
        return "leaked"

    @strawberry.type
    class Probe:
        secret: str | None = strawberry.field(
            resolver=reveal,
            extensions=[Authorize("Query.metrics", partial(authorize, check=sync_check_returning_a_coroutine))],
        )

    probe = strawberry.Schema(query=Probe)
    context = Context.__new__(Context)
    object.__setattr__(context, "principal", PRINCIPAL)
    result = await probe.execute("{ secret }", context_value=context)
    assert result.data is None or result.data["secret"] is None
    assert result.errors
    assert "may not call" in result.errors[0].message
    assert ran == []


def test_no_field_relies_on_strawberry_permission_classes() -> None:
    from strawberry.permission import PermissionExtension

    for type_definition in schema.schema_converter.type_map.values():
        for field in getattr(type_definition.definition, "fields", []):
            assert not any(isinstance(e, PermissionExtension) for e in field.extensions), field.name
