"""Schema assembly: the root types, built from each domain's resolvers."""

from typing import Annotated

import strawberry
from graphql.error import GraphQLError
from strawberry.types.execution import ExecutionContext

from service.acceptance import resolvers as acceptance_resolvers
from service.action_items import resolvers as action_item_resolvers
from service.action_items.types import ACTION_ITEM_TYPE_NAME
from service.api.audit import audit_mutations
from service.api.authorization import protect
from service.api.exposure import SchemaExposure
from service.api.limits import OperationLimiter
from service.audit import resolvers as audit_resolvers
from service.audit.types import AuditEntryConnection
from service.clock import resolvers as clock_resolvers
from service.compiled.executor import CompilingExecutor
from service.contacts import resolvers as contact_resolvers
from service.contacts.types import CONTACT_TYPE_NAME, Contact
from service.contracts import resolvers as contract_resolvers
from service.contracts.types import CONTRACT_TYPE_NAME, Contract
from service.customer360 import mutations as account_mutations
from service.customer360 import resolvers as account_resolvers
from service.customer360.handoff_context import HandoffContext, handoff_context
from service.customer360.types import ACCOUNT_TYPE_NAME, Account, AccountConnection
from service.events import resolvers as webhook_resolvers
from service.events.types import WebhookDelivery, WebhookEndpoint
from service.goals import resolvers as goal_resolvers
from service.goals.types import GOAL_TYPE_NAME
from service.graphql.context import Context
from service.graphql.document_cache import DocumentCache
from service.graphql.errors import ErrorPolicy, log_unexpected_errors
from service.graphql.literal_errors import NamedLiteralErrors
from service.graphql.pii import check_classified, mask_by_class
from service.graphql.relay import Node, decode_global_id
from service.graphql.scalars import SCALAR_OVERRIDES
from service.graphql.text_input import TextInputGuard
from service.handoffs import resolvers as handoff_resolvers
from service.handoffs.results import HandoffResult
from service.handoffs.types import HANDOFF_TYPE_NAME, Handoff, HandoffConnection, HandoffSlaSummary
from service.health_scores import alert_resolvers
from service.health_scores import resolvers as health_resolvers
from service.health_scores.alert_types import AlertConnection
from service.health_scores.types import SCORECARD_TYPE_NAME, Scorecard
from service.metrics.root import Metrics
from service.metrics.root import metrics as metrics_root
from service.sources import resolvers as source_resolvers
from service.sources.types import UnmatchedRecordConnection
from service.subscriptions.resolvers import Subscription
from service.subscriptions.types import EVENT_SEQUENCE, EventSequence
from service.tickets import resolvers as ticket_resolvers
from service.tickets.types import TICKET_TYPE_NAME, Ticket
from service.timeline import resolvers as timeline_resolvers
from service.viewer.types import Viewer, viewer


async def node(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the object.")],
) -> Node | None:
    type_name, entity_id = decode_global_id(id)
    if type_name == ACCOUNT_TYPE_NAME:
        return await account_resolvers.account_by_uuid(info, entity_id)
    if type_name == CONTACT_TYPE_NAME:
        return await contact_resolvers.contact_by_uuid(info, entity_id)
    if type_name == CONTRACT_TYPE_NAME:
        return await contract_resolvers.contract_by_uuid(info, entity_id)
    if type_name == TICKET_TYPE_NAME:
        return await ticket_resolvers.ticket_by_uuid(info, entity_id)
    if type_name == HANDOFF_TYPE_NAME:
        return await handoff_resolvers.handoff_by_uuid(info, entity_id)
    if type_name == SCORECARD_TYPE_NAME:
        return await health_resolvers.scorecard_by_uuid(info, entity_id)
    if type_name == GOAL_TYPE_NAME:
        return await goal_resolvers.goal_by_uuid(info, entity_id)
    if type_name == ACTION_ITEM_TYPE_NAME:
        return await action_item_resolvers.action_item_by_uuid(info, entity_id)
    return None


@strawberry.type(description="Read access to the customer-360 view.")
class Query:
    account: Account | None = strawberry.field(
        resolver=account_resolvers.account,
        description="One account by global id; null when it does not exist.",
    )
    accounts: AccountConnection = strawberry.field(
        resolver=account_resolvers.accounts,
        description="The account list: filtered, ordered (by name unless told otherwise) and cursor-paginated — "
        "account lists and CSM portfolios.",
    )
    account_by_domain: Account | None = strawberry.field(
        resolver=account_resolvers.account_by_domain,
        description="The account with this web domain; null when none has it.",
    )
    account_by_source: Account | None = strawberry.field(
        resolver=account_resolvers.account_by_source,
        description="The account a source system knows under its own id; null when that link does not exist.",
    )
    contact: Contact | None = strawberry.field(
        resolver=contact_resolvers.contact, description="One contact by global id; null when it does not exist."
    )
    contract: Contract | None = strawberry.field(
        resolver=contract_resolvers.contract, description="One contract by global id; null when it does not exist."
    )
    ticket: Ticket | None = strawberry.field(
        resolver=ticket_resolvers.ticket, description="One support ticket by global id; null when it does not exist."
    )

    node: Node | None = strawberry.field(
        resolver=node, description="Any object by its global id (Relay); null when it does not exist."
    )
    scorecards: list[Scorecard] = strawberry.field(
        resolver=health_resolvers.all_scorecards,
        description="The current version of every scorecard (by name, the default before segment ones).",
    )
    scorecard: Scorecard | None = strawberry.field(
        resolver=health_resolvers.scorecard, description="One scorecard version by global id; null if none."
    )
    alerts: AlertConnection = strawberry.field(
        resolver=alert_resolvers.alert_list,
        description="Risk alerts across accounts, newest first (roles admin, csm, sales, bi).",
    )
    handoff: Handoff | None = strawberry.field(
        resolver=handoff_resolvers.handoff,
        description="One sales-to-CSM handoff by global id; null when it does not exist (roles admin, csm, sales, bi).",
    )
    handoffs: HandoffConnection = strawberry.field(
        resolver=handoff_resolvers.handoff_list,
        description="Handoffs, newest first, filtered and cursor-paginated (roles admin, csm, sales, bi).",
    )
    handoff_context: HandoffContext | None = strawberry.field(
        resolver=handoff_context,
        description="Everything a CSM needs to take an account over, in one query: profile and hierarchy, active "
        "contracts, the handoff in effect and those still open, contacts by role, health, usage, open tickets, "
        "recent timeline, goals and open action items. Null when the account does not exist (roles admin, csm, "
        "sales, bi).",
    )
    handoff_sla: HandoffSlaSummary = strawberry.field(
        resolver=handoff_resolvers.handoff_sla,
        description="SLA figures over the handoffs the filter selects: close → submit → accept → kickoff, time to "
        "value, returns (roles admin, csm, sales, bi).",
    )
    metrics: Metrics = strawberry.field(
        resolver=metrics_root,
        description="BI metrics: revenue retention, ARR, MRR movements, expansion, outcomes, voice of the customer, "
        "NPS, tickets, health and usage — grouped and bucketed, each with its inputs (roles bi, csm, admin).",
    )
    unmatched_records: UnmatchedRecordConnection = strawberry.field(
        resolver=source_resolvers.unmatched_records,
        description="Ingested records still waiting for their account (roles admin, csm, ingest). An ingest key "
        "bound to sources sees only the records of those sources.",
    )
    viewer: Viewer = strawberry.field(
        resolver=viewer,
        description="Who is calling and what they own: their accounts, handoffs, alerts and action items in one "
        "query — a CS front-end's start page (roles admin, csm, sales, bi).",
    )
    audit_log: AuditEntryConnection = strawberry.field(
        resolver=audit_resolvers.audit_log,
        description="Every write (mutation, ingest batch, API key change): who, what, when and the outcome, newest "
        "first, filtered and cursor-paginated. Admin only.",
    )
    webhook_endpoints: list[WebhookEndpoint] = strawberry.field(
        resolver=webhook_resolvers.webhook_endpoints,
        description="The webhook endpoints events are posted to, oldest first (secrets never shown). Admin only.",
    )
    webhook_deliveries: list[WebhookDelivery] = strawberry.field(
        resolver=webhook_resolvers.webhook_deliveries,
        description="An endpoint's delivery log, newest first: each message's status, response code, latency and "
        "attempts. Admin only.",
    )


@strawberry.type(description="Changes people make in the hub (ingest from source systems goes through REST).")
class Mutation:
    create_scorecard: health_resolvers.ScorecardResult = strawberry.field(
        resolver=health_resolvers.create_scorecard,
        description="Create a scorecard (version 1) for a score name and segment. Roles admin, csm.",
    )
    update_scorecard: health_resolvers.ScorecardResult = strawberry.field(
        resolver=health_resolvers.update_scorecard,
        description="Change a scorecard: saved as its next version (history kept; scores name the version they "
        "used). Roles admin, csm.",
    )
    override_health: health_resolvers.OverrideResult = strawberry.field(
        resolver=health_resolvers.override_health,
        description="Override an account's computed score with a reason until an expiry; the computed score is "
        "kept and keeps being computed. Roles admin, csm.",
    )
    lift_health_override: health_resolvers.OverrideResult = strawberry.field(
        resolver=health_resolvers.lift_health_override,
        description="End an override before it expires. Roles admin, csm.",
    )
    set_manual_score: health_resolvers.ManualScoreResult = strawberry.field(
        resolver=health_resolvers.set_manual_score,
        description="Set a CSM's manual score of an account (the `manual` measure) with a comment; it counts from "
        "the next recompute. Roles admin, csm.",
    )
    acknowledge_alert: alert_resolvers.AlertResult = strawberry.field(
        resolver=alert_resolvers.acknowledge_alert,
        description="Take an open alert (someone is on it). Roles admin, csm.",
    )
    resolve_alert: alert_resolvers.AlertResult = strawberry.field(
        resolver=alert_resolvers.resolve_alert,
        description="Resolve an open or acknowledged alert; the rule may raise a new one if its condition holds "
        "again. Roles admin, csm.",
    )
    recompute_health: health_resolvers.RecomputeResult = strawberry.field(
        resolver=health_resolvers.recompute,
        description="Score every account (or the given ones) now, set-based in SQL; one history row per account "
        "and score name. Roles admin, csm.",
    )
    add_goal: goal_resolvers.GoalResult = strawberry.field(
        resolver=goal_resolvers.add_goal,
        description="Add a business outcome to an account's success plan, with its success criterion. Roles admin, "
        "csm.",
    )
    record_goal_progress: goal_resolvers.GoalResult = strawberry.field(
        resolver=goal_resolvers.record_goal_progress,
        description="Record a measurement of a goal's metric; the goal's current value becomes that of its latest "
        "measurement. Roles admin, csm.",
    )
    set_goal_status: goal_resolvers.GoalResult = strawberry.field(
        resolver=goal_resolvers.set_goal_status,
        description="Mark a goal on track, at risk, achieved (on a day) or missed. Roles admin, csm.",
    )
    create_action_item: action_item_resolvers.ActionItemResult = strawberry.field(
        resolver=action_item_resolvers.create_action_item,
        description="Add an open action item to an account's success plan. Roles admin, csm.",
    )
    update_action_item: action_item_resolvers.ActionItemResult = strawberry.field(
        resolver=action_item_resolvers.update_action_item,
        description="Change an action item: fields left out stay, null clears. Roles admin, csm.",
    )
    complete_action_item: action_item_resolvers.ActionItemResult = strawberry.field(
        resolver=action_item_resolvers.complete_action_item,
        description="Mark an action item done (no change when it already is). Roles admin, csm.",
    )
    create_handoff: HandoffResult = strawberry.field(
        resolver=handoff_resolvers.create_handoff,
        description="Start a handoff record (DRAFT) for an account at closed-won. Roles sales, admin.",
    )
    update_handoff: HandoffResult = strawberry.field(
        resolver=handoff_resolvers.update_handoff,
        description="Edit a DRAFT or RETURNED handoff: the groups sent replace theirs. Needs the version you read. "
        "Roles sales (their own), admin.",
    )
    submit_handoff: HandoffResult = strawberry.field(
        resolver=handoff_resolvers.submit_handoff,
        description="DRAFT or RETURNED → SUBMITTED, once the record is complete (goal with success criterion, decision "
        "maker, commercial terms, kickoff date); otherwise lists every missing field. Roles sales (their own), admin.",
    )
    accept_handoff: HandoffResult = strawberry.field(
        resolver=acceptance_resolvers.accept_handoff,
        description="SUBMITTED → ACCEPTED: the goals become the account's success plan and action items are created "
        "from them and from open pre-start tasks. Roles csm, admin.",
    )
    return_handoff: HandoffResult = strawberry.field(
        resolver=handoff_resolvers.return_handoff,
        description="SUBMITTED → RETURNED with a comment saying what to fix. Roles csm, admin.",
    )
    record_kickoff_held: HandoffResult = strawberry.field(
        resolver=handoff_resolvers.record_kickoff_held,
        description="ACCEPTED → KICKOFF_HELD. Roles csm, admin.",
    )
    record_first_value: HandoffResult = strawberry.field(
        resolver=handoff_resolvers.record_first_value,
        description="KICKOFF_HELD → FIRST_VALUE_REACHED on a day (time to value ends). Roles csm, admin.",
    )
    cancel_handoff: HandoffResult = strawberry.field(
        resolver=handoff_resolvers.cancel_handoff,
        description="Any open state → CANCELLED. Roles csm, admin; sales their own drafts.",
    )
    merge_accounts: account_mutations.MergeAccountsResult = strawberry.field(
        resolver=account_mutations.merge_accounts,
        description="Merge two accounts that are the same customer: every contact, contract, ticket, usage "
        "event, survey, timeline entry, health score, handoff and source link moves to the surviving account; "
        "the merge is recorded. Admin only.",
    )
    add_timeline_entry: timeline_resolvers.TimelineEntryResult = strawberry.field(
        resolver=timeline_resolvers.add_timeline_entry,
        description="Record a touchpoint (meeting, call, note…) on an account's timeline, with the caller's key "
        "name as actor and source `cshub`. Roles admin, csm, sales.",
    )
    create_webhook_endpoint: webhook_resolvers.EndpointWithSecretResult = strawberry.field(
        resolver=webhook_resolvers.create_webhook_endpoint,
        description="Post events of the chosen types (wildcards like `handoff.*`), optionally only of some accounts, "
        "to a URL, signed per Standard Webhooks; the secret is in the answer, once. Admin only.",
    )
    update_webhook_endpoint: webhook_resolvers.EndpointResult = strawberry.field(
        resolver=webhook_resolvers.update_webhook_endpoint,
        description="Change an endpoint's URL, event types, filters or description, or disable/enable it. Admin only.",
    )
    delete_webhook_endpoint: webhook_resolvers.DeletedResult = strawberry.field(
        resolver=webhook_resolvers.delete_webhook_endpoint,
        description="Delete an endpoint with its delivery log; undelivered messages are dropped. Admin only.",
    )
    rotate_webhook_secret: webhook_resolvers.EndpointWithSecretResult = strawberry.field(
        resolver=webhook_resolvers.rotate_webhook_secret,
        description="A new signing secret, shown once; the old one keeps signing beside it for "
        "CSHUB_WEBHOOK_SECRET_OVERLAP_HOURS. Admin only.",
    )
    redeliver_webhook: webhook_resolvers.DeliveryResult = strawberry.field(
        resolver=webhook_resolvers.redeliver_webhook,
        description="Send one delivery again as soon as possible, with the same webhook-id. Admin only.",
    )
    replay_webhook_deliveries: webhook_resolvers.ReplayResult = strawberry.field(
        resolver=webhook_resolvers.replay_webhook_deliveries,
        description="Send an endpoint again every event that occurred in [from, to) and that it wants (its event "
        "types and filters as they are now), as soon as possible, each with its webhook-id (at least once: "
        "receivers deduplicate on it). The window is at most 31 days. Admin only.",
    )
    run_clock_sweep: clock_resolvers.ClockSweepResult = strawberry.field(
        resolver=clock_resolvers.run_clock_sweep,
        description="Run the clock's sweep now (renewal.upcoming, action_item.overdue, ticket.escalated on a "
        "breached SLA), as every process does every CSHUB_CLOCK_SWEEP_INTERVAL_SECONDS; what is already announced "
        "is not announced again. Admin only.",
    )


class CshubSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Expected errors are answers, not incidents: only unexpected ones are logged (with traceback).
        log_unexpected_errors(errors, execution_context)


def build_schema() -> strawberry.Schema:
    # Who may call each root field (service.authorization), and the audit of every mutation, in one place each.
    # What each role sees masked, by the class of each text field (service.privacy): one place as well.
    protect(Query, Mutation, Subscription, Account)
    audit_mutations(Mutation)
    masked = mask_by_class(Query, Mutation, Subscription)
    built = CshubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[ErrorPolicy, OperationLimiter, SchemaExposure, TextInputGuard, NamedLiteralErrors, DocumentCache],
        scalar_overrides={**SCALAR_OVERRIDES, EventSequence: EVENT_SEQUENCE},
        execution_context_class=CompilingExecutor,
    )
    check_classified(built, masked)
    return built


schema = build_schema()
