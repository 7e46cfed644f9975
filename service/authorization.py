"""Who may call what: the one role × operation matrix of cshub (docs/architecture.md#roles), and its check.

Every GraphQL root field (``Query.*``, ``Mutation.*``), every nested field that needs its own rule
(``Type.field``) and every REST route (``METHOD /path/template``) has exactly one entry here. The GraphQL
assembly attaches the check to each of those fields when the schema is built (``service.api.authorization``),
the HTTP shell runs it for each route (``service.http.authorization``); a field or route without an entry
fails the schema build or answers 403 — never "allowed by default".

    role     reads                                      writes
    admin    everything (the only one: auditLog)        everything (the only one: mergeAccounts)
    csm      accounts, handoffs, metrics, unmatched     CS objects: health, alerts, goals, action items,
                                                        handoff accept/return/kickoff/first value/cancel,
                                                        timeline entries
    sales    accounts, handoffs (account context)       handoffs (create, edit, submit, cancel — their own,
                                                        enforced by service.handoffs.workflow), timeline entries
    bi       accounts, handoffs, metrics (masked:       nothing
             people, free text — service.privacy)
    ingest   unmatched records (its own feedback)       POST /v1/ingest/{entity}, POST /segment/v1/{call},
                                                        POST /zendesk/v1/tickets, POST /zendesk/v1/webhook,
                                                        POST /salesforce/v1/{records, bulk/{sobject}, events}
             (a key bound to sources: only theirs, both ways — service.api_keys.service)

Subscriptions (``Subscription.*``, over WebSocket) follow the reads: admin, csm, sales and bi may subscribe to
the events of the records they may read; ingest may not open a subscription WebSocket.

Domain rules finer than a role (sales act only on the handoffs they created) stay in their domain.
"""

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from service.api_keys.roles import Role
from service.api_keys.service import Principal
from service.errors import AuthenticationRequired, PermissionDenied
from service.handoffs.workflow import CREATORS as HANDOFF_CREATORS
from service.handoffs.workflow import STEPS as HANDOFF_STEPS
from service.handoffs.workflow import Action as HandoffStep

ADMIN: Final = frozenset({Role.ADMIN})
READERS: Final = frozenset({Role.ADMIN, Role.CSM, Role.SALES, Role.BI})  # the customer-360 records
ANALYSTS: Final = frozenset({Role.ADMIN, Role.CSM, Role.BI})  # BI metrics
CS_WRITERS: Final = frozenset({Role.ADMIN, Role.CSM})  # customer-success objects
TOUCHPOINT_WRITERS: Final = frozenset({Role.ADMIN, Role.CSM, Role.SALES})
INGESTERS: Final = frozenset({Role.ADMIN, Role.INGEST})
INGEST_REVIEWERS: Final = frozenset({Role.ADMIN, Role.CSM, Role.INGEST})
EVERY_ROLE: Final = frozenset(Role)
PUBLIC: Final = None  # no API key needed at all (health probes)

Roles = frozenset[Role]

QUERIES: Final[Mapping[str, Roles]] = {
    "account": READERS,
    "accounts": READERS,
    "accountByDomain": READERS,
    "accountBySource": READERS,
    "contact": READERS,
    "contract": READERS,
    "ticket": READERS,
    "node": READERS,
    "scorecards": READERS,
    "scorecard": READERS,
    "alerts": READERS,
    "handoff": READERS,
    "handoffs": READERS,
    "handoffContext": READERS,
    "handoffSla": READERS,
    "metrics": ANALYSTS,
    "unmatchedRecords": INGEST_REVIEWERS,
    "auditLog": ADMIN,
    "viewer": READERS,
    "webhookEndpoints": ADMIN,
    "webhookDeliveries": ADMIN,
}

MUTATIONS: Final[Mapping[str, Roles]] = {
    "createScorecard": CS_WRITERS,
    "updateScorecard": CS_WRITERS,
    "overrideHealth": CS_WRITERS,
    "liftHealthOverride": CS_WRITERS,
    "setManualScore": CS_WRITERS,
    "acknowledgeAlert": CS_WRITERS,
    "resolveAlert": CS_WRITERS,
    "recomputeHealth": CS_WRITERS,
    "addGoal": CS_WRITERS,
    "recordGoalProgress": CS_WRITERS,
    "setGoalStatus": CS_WRITERS,
    "createActionItem": CS_WRITERS,
    "updateActionItem": CS_WRITERS,
    "completeActionItem": CS_WRITERS,
    # The handoff workflow says who takes each step (service.handoffs.workflow); the matrix reads it there.
    "createHandoff": HANDOFF_CREATORS,
    "updateHandoff": HANDOFF_CREATORS,
    "submitHandoff": HANDOFF_STEPS[HandoffStep.SUBMIT].roles,
    "acceptHandoff": HANDOFF_STEPS[HandoffStep.ACCEPT].roles,
    "returnHandoff": HANDOFF_STEPS[HandoffStep.RETURN].roles,
    "recordKickoffHeld": HANDOFF_STEPS[HandoffStep.HOLD_KICKOFF].roles,
    "recordFirstValue": HANDOFF_STEPS[HandoffStep.REACH_FIRST_VALUE].roles,
    "cancelHandoff": HANDOFF_STEPS[HandoffStep.CANCEL].roles,
    "mergeAccounts": ADMIN,
    "addTimelineEntry": TOUCHPOINT_WRITERS,
    "createWebhookEndpoint": ADMIN,
    "updateWebhookEndpoint": ADMIN,
    "deleteWebhookEndpoint": ADMIN,
    "rotateWebhookSecret": ADMIN,
    "redeliverWebhook": ADMIN,
    "replayWebhookDeliveries": ADMIN,
    "runClockSweep": ADMIN,
}

# Over WebSocket (graphql-transport-ws): each kind of event to those who may read its records.
SUBSCRIPTIONS: Final[Mapping[str, Roles]] = {
    "alertOpened": READERS,
    "healthChanged": READERS,
    "handoffChanged": READERS,
    "timelineAdded": READERS,
}
# Who may open a subscription WebSocket at all (others are closed with 4403 at connection_init).
SUBSCRIBERS: Final[Roles] = frozenset().union(*SUBSCRIPTIONS.values())

# Nested fields with a rule of their own (checked wherever the field is reached from).
TYPE_FIELDS: Final[Mapping[str, Roles]] = {
    "Account.handoffs": READERS,
}

# "METHOD /path" as the app routes it (the path template, not the concrete path).
ROUTES: Final[Mapping[str, Roles | None]] = {
    "GET /": PUBLIC,  # the landing page
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /schema.graphql": PUBLIC,  # the published contracts
    "GET /openapi.yaml": PUBLIC,
    "GET /events/catalogue": PUBLIC,  # the event catalogue: a JSON Schema per event type
    "GET /graphiql/assets/{name}": PUBLIC,  # GraphiQL's JavaScript and CSS
    "GET /graphql": EVERY_ROLE,  # each field checks its own entry above
    "POST /graphql": EVERY_ROLE,
    "POST /v1/ingest/{entity}": INGESTERS,
    "POST /segment/v1/{call}": INGESTERS,  # Segment's HTTP Tracking API (service.http.segment_routes)
    "POST /zendesk/v1/tickets": INGESTERS,  # Zendesk payloads (service.http.zendesk_routes)
    "POST /zendesk/v1/webhook": INGESTERS,
    "POST /hubspot/v1/objects/{object_type}": INGESTERS,  # HubSpot payloads (service.http.hubspot_routes)
    "POST /hubspot/v1/webhook": PUBLIC,  # HubSpot sends no key: the route verifies X-HubSpot-Signature-v3
    "POST /salesforce/v1/records": INGESTERS,  # Salesforce payloads (service.http.salesforce_routes)
    "POST /salesforce/v1/bulk/{sobject}": INGESTERS,
    "POST /salesforce/v1/events": INGESTERS,
}


_GRAPHQL_OPERATIONS: Final[Mapping[str, Roles]] = {
    **{f"Query.{name}": roles for name, roles in QUERIES.items()},
    **{f"Mutation.{name}": roles for name, roles in MUTATIONS.items()},
    **{f"Subscription.{name}": roles for name, roles in SUBSCRIPTIONS.items()},
    **TYPE_FIELDS,
}


def graphql_operations() -> Mapping[str, Roles]:
    """Every GraphQL entry, keyed ``Type.field`` (``Query.account``, ``Mutation.addGoal``, ``Account.handoffs``)."""
    return _GRAPHQL_OPERATIONS


Check = Callable[[Principal, str], Awaitable[bool]]


async def role_in_matrix(principal: Principal, operation: str) -> bool:
    """The matrix's answer; an operation without an entry is refused."""
    if operation in ROUTES:
        allowed = ROUTES[operation]
        return allowed is PUBLIC or principal.role in allowed
    return principal.role in graphql_operations().get(operation, frozenset())


async def authorize(principal: Principal | None, operation: str, check: Check = role_in_matrix) -> Principal:
    """The caller, when ``check`` allows ``operation``; else UNAUTHENTICATED (no key) or FORBIDDEN.

    Only a real ``True`` allows. The check is awaited when it returns an awaitable (a plain ``def`` returning a
    coroutine: the pattern that once made strawberry permissions pass, a coroutine object being truthy); what
    comes out of it must again be exactly ``True`` — another awaitable, ``1`` or ``"yes"`` are refusals.
    """
    if principal is None:
        raise AuthenticationRequired("this needs an API key: send the header 'Authorization: Bearer <key>'")
    decision: object = check(principal, operation)
    if inspect.isawaitable(decision):
        decision = await decision
    if decision is not True:
        if inspect.iscoroutine(decision):
            decision.close()  # refused, and not left to warn that it was never awaited
        raise PermissionDenied(_refusal(principal.role, operation))
    return principal


def _refusal(role: Role, operation: str) -> str:
    allowed = graphql_operations().get(operation) or ROUTES.get(operation) or frozenset()
    needed = ", ".join(sorted(r.value for r in allowed)) or "a rule that does not exist"
    return f"role {role.value!r} may not call {operation}; it needs one of: {needed}"
