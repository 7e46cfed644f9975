"""Where each GraphQL object type gets its data — declared once, here (docs/architecture.md).

For every type backed by a table: the table and key, each field's column (or SQL expression over the
type's own row), each relation (join columns, one or many, paginated or not) and each computed field
(the set-based domain query that produces it for a batch of rows, through a per-request DataLoader).

Resolvers execute this field by field with batched loaders; the map is the contract they are checked
against (tests compare it with the schema and with the row dataclasses the queries fill), and the compiled
read path (``service.compiled``) reads its plain columns from it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from service.accounts.tables import accounts
from service.action_items import queries as action_item_queries
from service.action_items.tables import action_items
from service.audit.tables import audit_log
from service.contacts.tables import contacts
from service.contracts import queries as contract_queries
from service.contracts.tables import contract_lines, contracts, products
from service.goals import queries as goal_queries
from service.goals.tables import goal_progress, goals
from service.handoffs import queries as handoff_queries
from service.handoffs import record as handoff_record
from service.handoffs.record import camel
from service.handoffs.tables import handoff_events, handoffs
from service.health_scores import alerts as health_alerts_queries
from service.health_scores import overrides as health_overrides_queries
from service.health_scores import queries as health_queries
from service.health_scores import scorecards as scorecard_queries
from service.health_scores.tables import alerts, health_overrides, health_scores, scorecards
from service.sources.tables import source_links, unmatched_records
from service.surveys import queries as survey_queries
from service.surveys.tables import survey_responses
from service.tickets import queries as ticket_queries
from service.tickets.tables import tickets
from service.timeline import queries as timeline_queries
from service.timeline.queries import ALL_ENTRIES, entry_source
from service.usage import queries as usage_queries


@dataclass(frozen=True, slots=True)
class Relation:
    """Rows of ``target`` whose ``theirs`` column equals this row's ``ours`` column."""

    target: str
    ours: sa.ColumnElement[Any]
    theirs: sa.ColumnElement[Any]
    many: bool
    paginated: bool = False  # a keyset connection per parent row (first/after), newest first
    loaded_by: Callable[..., Any] | None = None  # the batched domain query, when not a plain join
    where: sa.ColumnElement[bool] | None = None  # extra condition on the target's rows


@dataclass(frozen=True, slots=True)
class Embedded:
    """A value object (``Money``, …) built from columns of this row or of the map's ``joins``."""

    value_type: str
    fields: Mapping[str, sa.ColumnElement[Any]]


@dataclass(frozen=True, slots=True)
class Computed:
    """A per-row aggregate: ``query`` computes it for a batch of rows in one statement."""

    query: Callable[..., Any]
    note: str = ""


@dataclass(frozen=True, slots=True)
class TypeMap:
    graphql_type: str
    table: sa.FromClause  # a table, or a subquery for types merged from several tables (TimelineEvent)
    key: sa.ColumnElement[Any]
    columns: Mapping[str, sa.ColumnElement[Any]]  # GraphQL field name → column or expression; `id` is the key
    relations: Mapping[str, Relation] = field(default_factory=dict)
    embedded: Mapping[str, Embedded] = field(default_factory=dict)
    computed: Mapping[str, Computed] = field(default_factory=dict)
    joins: tuple[tuple[sa.Table, sa.ColumnElement[bool]], ...] = ()  # tables the columns above also read
    exposes_id: bool = True  # has an `id` field (the key: a global id for Node types)

    def field_names(self) -> set[str]:
        own_id = {"id"} if self.exposes_id else set()
        return {*own_id, *self.columns, *self.relations, *self.embedded, *self.computed}

    def from_clause(self) -> sa.FromClause:
        """The table with its ``joins``: what ``columns`` and ``embedded`` read from."""
        source: sa.FromClause = self.table
        for table, on in self.joins:
            source = source.join(table, on)
        return source


def _seconds_between(start: sa.ColumnElement[Any], end: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Whole seconds, truncated toward zero (as the API answers them: ``int(timedelta.total_seconds())``)."""
    return sa.cast(sa.func.trunc(sa.extract("epoch", end - start)), sa.BigInteger)


a, ct, k, ln, pr = accounts.c, contacts.c, contracts.c, contract_lines.c, products.c
t, s, tl, sl, um = tickets.c, survey_responses.c, ALL_ENTRIES.c, source_links.c, unmatched_records.c

ACCOUNT = TypeMap(
    "Account",
    accounts,
    a.id,
    columns={
        "name": a.name,
        "domain": a.domain,
        "industry": a.industry,
        "segment": a.segment,
        "lifecycleStage": a.lifecycle_stage,
        "touchModel": a.touch_model,
        "csmOwner": a.csm_owner,
        "salesOwner": a.sales_owner,
        "createdAt": a.created_at,
        "updatedAt": a.updated_at,
    },
    relations={
        "parent": Relation("Account", a.parent_account_id, a.id, many=False),
        "children": Relation("Account", a.id, a.parent_account_id, many=True),
        "contacts": Relation("Contact", a.id, ct.account_id, many=True),
        "contracts": Relation("Contract", a.id, k.account_id, many=True),
        "sources": Relation("AccountSource", a.id, sl.entity_id, many=True, where=sl.object_type == "account"),
        "alerts": Relation(
            "Alert", a.id, alerts.c.account_id, many=True, loaded_by=health_alerts_queries.alerts_of_accounts
        ),
        "tickets": Relation(
            "Ticket", a.id, t.account_id, many=True, paginated=True, loaded_by=ticket_queries.ticket_pages
        ),
        "surveys": Relation(
            "SurveyResponse", a.id, s.account_id, many=True, paginated=True, loaded_by=survey_queries.survey_pages
        ),
        "timeline": Relation(
            "TimelineEvent", a.id, tl.account_id, many=True, paginated=True, loaded_by=timeline_queries.timeline_pages
        ),
        "goals": Relation("Goal", a.id, goals.c.account_id, many=True, loaded_by=goal_queries.goals_of_accounts),
        "handoffs": Relation(
            "Handoff", a.id, handoffs.c.account_id, many=True, loaded_by=handoff_queries.handoffs_of_accounts
        ),
        "actionItems": Relation(
            "ActionItem",
            a.id,
            action_items.c.account_id,
            many=True,
            loaded_by=action_item_queries.action_items_of_accounts,
        ),
    },
    computed={
        "mrr": Computed(contract_queries.mrr_of_accounts, "sum of active lines' MRR per currency (active_lines)"),
        "arr": Computed(contract_queries.mrr_of_accounts, "12 × mrr"),
        "renewalDate": Computed(contract_queries.next_renewals),
        "licensedSeats": Computed(contract_queries.licensed_seats),
        "usage": Computed(usage_queries.usage_series, "usage_daily + usage_daily_users, zero-filled buckets"),
        "activeUsers": Computed(usage_queries.active_users),
        "licenseUtilization": Computed(usage_queries.active_users, "activeUsers / licensedSeats"),
        "featureAdoption": Computed(usage_queries.feature_adoption),
        "lastSeenDistribution": Computed(usage_queries.last_seen_distribution),
        "nps": Computed(survey_queries.nps_of_accounts),
        "health": Computed(health_queries.latest_scores, "latest health_scores row of the name"),
        "healthHistory": Computed(health_queries.score_histories, "health_scores rows of the name in a window"),
    },
)

CONTACT = TypeMap(
    "Contact",
    contacts,
    ct.id,
    columns={
        "name": ct.name,
        "email": ct.email,
        "phone": ct.phone,
        "title": ct.title,
        "role": ct.role,
        "createdAt": ct.created_at,
        "updatedAt": ct.updated_at,
    },
    relations={"account": Relation("Account", ct.account_id, a.id, many=False)},
)

CONTRACT = TypeMap(
    "Contract",
    contracts,
    k.id,
    columns={
        "status": k.status,
        "startDate": k.start_date,
        "endDate": k.end_date,
        "renewalDate": k.renewal_date,
        "autoRenew": k.auto_renew,
        "currency": k.currency,
        "kind": k.kind,
        "createdAt": k.created_at,
        "updatedAt": k.updated_at,
    },
    relations={
        "lines": Relation("ContractLine", k.id, ln.contract_id, many=True),
        "account": Relation("Account", k.account_id, a.id, many=False),
    },
)

CONTRACT_LINE = TypeMap(
    "ContractLine",
    contract_lines,
    ln.id,
    columns={"quantity": ln.quantity, "startDate": ln.start_date, "endDate": ln.end_date},
    relations={"product": Relation("Product", ln.product_id, pr.id, many=False)},
    embedded={
        "mrr": Embedded("Money", {"amount": ln.mrr, "currency": k.currency}),
        "unitPrice": Embedded("Money", {"amount": ln.unit_price, "currency": k.currency}),
    },
    joins=((contracts, ln.contract_id == k.id),),
    exposes_id=False,
)

PRODUCT = TypeMap("Product", products, pr.id, columns={"name": pr.name, "family": pr.family}, exposes_id=False)

TICKET = TypeMap(
    "Ticket",
    tickets,
    t.id,
    columns={
        "subject": t.subject,
        "status": t.status,
        "priority": t.priority,
        "category": t.category,
        "openedAt": t.opened_at,
        "firstResponseAt": t.first_response_at,
        "solvedAt": t.solved_at,
        "csat": t.csat,
        "timeToFirstResponseSeconds": _seconds_between(t.opened_at, t.first_response_at),
        "timeToResolutionSeconds": _seconds_between(t.opened_at, t.solved_at),
    },
)

SURVEY_RESPONSE = TypeMap(
    "SurveyResponse",
    survey_responses,
    s.id,
    columns={
        "kind": s.kind,
        "score": s.score,
        "comment": s.comment,
        "contactEmail": s.contact_email,
        "respondedAt": s.responded_at,
    },
)

# Not one table: recorded timeline_events rows UNION ALL the entries derived from contracts, tickets, surveys,
# handoff events and health scores (service.timeline.derived), as of the request's day (the `today` parameter).
TIMELINE_EVENT = TypeMap(
    "TimelineEvent",
    ALL_ENTRIES,
    tl.id,
    columns={
        "kind": tl.kind,
        "occurredAt": tl.occurred_at,
        "summary": tl.summary,
        "actor": tl.actor,
        "source": entry_source(ALL_ENTRIES),  # the row's own, else the record's first source system, else cshub
        "origin": tl.origin,
    },
)

ACCOUNT_SOURCE = TypeMap(
    "AccountSource",
    source_links,
    sl.external_id,  # within its account's links of one source; not exposed (a link's key is three columns)
    columns={
        "source": sl.source,
        "externalId": sl.external_id,
        "firstSeenAt": sl.first_seen_at,
        "lastSyncedAt": sl.last_synced_at,
        "sourceUpdatedAt": sl.source_updated_at,
    },
    exposes_id=False,
)

UNMATCHED_RECORD = TypeMap(
    "UnmatchedRecord",
    unmatched_records,
    um.id,
    columns={
        "source": um.source,
        "entity": um.entity,
        "externalId": um.external_id,
        "accountExternalId": um.account_external_id,
        "accountDomain": um.account_domain,
        "candidateAccountIds": um.candidate_account_ids,
        "payload": um.payload,
        "firstSeenAt": um.first_seen_at,
        "lastSeenAt": um.last_seen_at,
        "resolvedAt": um.resolved_at,
    },
)

hs, sc, ho = health_scores.c, scorecards.c, health_overrides.c

HEALTH_SCORE = TypeMap(
    "HealthScore",
    health_scores,
    hs.id,
    columns={
        "name": hs.score_name,
        "score": hs.score,
        "band": hs.band,
        "tier": hs.tier,
        "suggestedTouchModel": hs.touch_model,
        "trend": hs.trend,
        "coverage": hs.coverage,
        "computedAt": hs.computed_at,
        "scorecardVersion": sc.version,
        "scorecardId": hs.scorecard_id,
        "measures": hs.measures,  # the explanation document: HealthMeasure values
    },
    relations={
        "override": Relation(
            "HealthOverride",
            hs.account_id,
            ho.account_id,
            many=False,
            loaded_by=health_overrides_queries.active_overrides,
            where=ho.score_name == hs.score_name,  # and applying now: created, not expired, not lifted
        ),
    },
    computed={"effectiveScore": Computed(health_overrides_queries.active_overrides, "override score, else score")},
    joins=((scorecards, hs.scorecard_id == sc.id),),
    exposes_id=False,
)

HEALTH_OVERRIDE = TypeMap(
    "HealthOverride",
    health_overrides,
    ho.id,
    columns={
        "name": ho.score_name,
        "score": ho.score,
        "reason": ho.reason,
        "createdBy": ho.created_by,
        "createdAt": ho.created_at,
        "expiresAt": ho.expires_at,
        "liftedAt": ho.lifted_at,
        "liftedBy": ho.lifted_by,
    },
)

SCORECARD = TypeMap(
    "Scorecard",
    scorecards,
    sc.id,
    columns={
        "name": sc.name,
        "segment": sc.segment,
        "version": sc.version,
        "active": sc.is_active,
        "createdBy": sc.created_by,
        "createdAt": sc.created_at,
        # The configuration document's parts (validated by service.health_scores.config).
        "measures": sc.config["measures"],
        "bands": sc.config["bands"],
        "tiers": sc.config["tiers"],
        "currency": sc.config["currency"].astext,
        "minCoverage": sc.config["min_coverage"].astext,
    },
    computed={"versions": Computed(scorecard_queries.versions_of, "rows of the same name and segment")},
)

al = alerts.c

ALERT = TypeMap(
    "Alert",
    alerts,
    al.id,
    columns={
        "accountId": al.account_id,
        "rule": al.rule,
        "status": al.status,
        "message": al.message,
        "details": al.details,
        "openedAt": al.opened_at,
        "acknowledgedAt": al.acknowledged_at,
        "acknowledgedBy": al.acknowledged_by,
        "resolvedAt": al.resolved_at,
        "resolvedBy": al.resolved_by,
        "note": al.note,
    },
)

gl, gp, ai = goals.c, goal_progress.c, action_items.c

GOAL = TypeMap(
    "Goal",
    goals,
    gl.id,
    columns={
        "accountId": gl.account_id,
        "outcome": gl.outcome,
        "dueOn": gl.due_on,
        "status": gl.status,
        "currentValue": gl.current_value,
        "achievedOn": gl.achieved_on,
        "statusChangedAt": gl.status_changed_at,
        "statusChangedBy": gl.status_changed_by,
        "statusNote": gl.status_note,
        "progressRatio": goal_queries.PROGRESS_RATIO,  # the one definition, the resolvers' reads select it
        "handoffId": gl.handoff_id,
        "createdBy": gl.created_by,
        "createdAt": gl.created_at,
        "updatedAt": gl.updated_at,
    },
    relations={
        "progress": Relation("GoalProgress", gl.id, gp.goal_id, many=True, loaded_by=goal_queries.progress_of_goals),
    },
    # Null as a whole when no metric is named (the service allows no numbers without one).
    embedded={
        "successCriterion": Embedded(
            "SuccessCriterion",
            {"metric": gl.metric, "unit": gl.unit, "baseline": gl.baseline, "target": gl.target, "dueOn": gl.due_on},
        ),
    },
)

GOAL_PROGRESS = TypeMap(
    "GoalProgress",
    goal_progress,
    gp.id,
    columns={"value": gp.value, "measuredAt": gp.measured_at, "recordedBy": gp.recorded_by, "note": gp.note},
    exposes_id=False,
)

ACTION_ITEM = TypeMap(
    "ActionItem",
    action_items,
    ai.id,
    columns={
        "accountId": ai.account_id,
        "title": ai.title,
        "theme": ai.theme,
        "owner": ai.owner,
        "dueOn": ai.due_on,
        "status": ai.status,
        "completedAt": ai.completed_at,
        "goalId": ai.goal_id,
        "handoffId": ai.handoff_id,
        "createdBy": ai.created_by,
        "createdAt": ai.created_at,
        "updatedAt": ai.updated_at,
    },
    relations={"goal": Relation("Goal", ai.goal_id, gl.id, many=False, loaded_by=goal_queries.goals_by_id)},
)

ho, he = handoffs.c, handoff_events.c

HANDOFF = TypeMap(
    "Handoff",
    handoffs,
    ho.id,
    columns={
        "state": ho.state,
        "version": ho.version,
        "opportunityRef": ho.opportunity_ref,
        "salesOwner": ho.sales_owner,
        "csmOwner": ho.csm_owner,
        # The record's groups: parts of the `details` document (validated by service.handoffs.record); the
        # deal's ARR, dates and close time and the timeline's kickoff and go-live dates are columns merged in.
        "deal": ho.details["deal"],
        "whyTheyBought": ho.details["why_they_bought"],
        "goals": ho.details["goals"],
        "stakeholders": ho.details["stakeholders"],
        "promises": ho.details["promises"],
        "implementation": ho.details["implementation"],
        "risks": ho.details["risks"],
        "sensitivities": ho.details["sensitivities"].astext,
        "competition": ho.details["competition"],
        "timeline": ho.details["timeline"],
        "evidence": ho.details["evidence"],
        "createdBy": ho.created_by,
        "createdAt": ho.created_at,
        "updatedAt": ho.updated_at,
        "submittedAt": ho.submitted_at,
        "acceptedAt": ho.accepted_at,
        "kickoffHeldAt": ho.kickoff_held_at,
        "firstValueOn": ho.first_value_on,
        "cancelledAt": ho.cancelled_at,
    },
    relations={
        "account": Relation("Account", ho.account_id, a.id, many=False),
        "contract": Relation("Contract", ho.contract_id, k.id, many=False),
        "events": Relation(
            "HandoffEvent", ho.id, he.handoff_id, many=True, loaded_by=handoff_queries.events_of_handoffs
        ),
    },
    embedded={
        "sla": Embedded(
            "HandoffSla",
            {
                **{camel(name): expression for name, expression in handoff_queries.SLA_EXPRESSIONS.items()},
                "returnedCount": ho.returned_count,
            },
        ),
    },
    computed={"missingForSubmit": Computed(handoff_record.missing_for_submit, "the submit gate over the record")},
)

HANDOFF_EVENT = TypeMap(
    "HandoffEvent",
    handoff_events,
    he.id,
    columns={
        "actor": he.actor,
        "actorRole": he.actor_role,
        "fromState": he.from_state,
        "toState": he.to_state,
        "comment": he.comment,
        "occurredAt": he.occurred_at,
    },
    exposes_id=False,
)

au = audit_log.c
AUDIT_ENTRY = TypeMap(
    "AuditEntry",
    audit_log,
    au.id,
    columns={
        "occurredAt": au.occurred_at,
        "keyId": au.key_id,
        "personId": au.person_id,
        "actor": au.actor,
        "role": au.role,
        "action": au.action,
        "target": au.target,
        "outcome": au.outcome,
        "details": au.details,
        "requestId": au.request_id,
    },
)

TYPE_MAPS: Mapping[str, TypeMap] = {
    type_map.graphql_type: type_map
    for type_map in (
        ACCOUNT,
        CONTACT,
        CONTRACT,
        CONTRACT_LINE,
        PRODUCT,
        TICKET,
        SURVEY_RESPONSE,
        TIMELINE_EVENT,
        ACCOUNT_SOURCE,
        UNMATCHED_RECORD,
        HEALTH_SCORE,
        HEALTH_OVERRIDE,
        SCORECARD,
        ALERT,
        GOAL,
        GOAL_PROGRESS,
        ACTION_ITEM,
        HANDOFF,
        HANDOFF_EVENT,
        AUDIT_ENTRY,
    )
}

# Types that are not rows of a table: pages, values and aggregates produced by the computed fields above.
VALUE_TYPES = frozenset(
    {
        "Query",
        "Mutation",
        "PageInfo",
        "Money",
        "UsagePoint",
        "FeatureUsage",
        "LastSeenDistribution",
        "NpsSummary",
        "AccountsMerged",
        "MutationError",
        "FieldError",
        # Documents inside JSONB columns (health_scores.measures, scorecards.config) and mutation answers.
        "HealthMeasure",
        "ScorecardMeasure",
        "MeasureScale",
        "ScaleBand",
        "ScoreBands",
        "ScorecardTier",
        "HealthRecomputed",
        "ManualScore",  # a mutation's answer: the manual_scores row just written
        "SuccessCriterion",  # embedded in Goal: columns of the goals row
        "Viewer",  # the caller (the request's principal), and their lists: the root connections narrowed
        "ViewerPerson",
        # The handoff record's groups (documents in handoffs.details, see HANDOFF), its SLA figures (embedded)
        # and the typed refusals of handoff mutations.
        "HandoffDeal",
        "WhyTheyBought",
        "HandoffGoal",
        "HandoffSuccessCriterion",
        "Stakeholder",
        "HandoffPromise",
        "HandoffImplementation",
        "PreStartTask",
        "HandoffRisk",
        "HandoffCompetition",
        "HandoffTimeline",
        "EvidenceLink",
        "HandoffSla",
        "HandoffSlaSummary",  # an aggregate over handoffs (queries.sla_summary)
        "IncompleteHandoff",
        "IllegalHandoffTransition",
        "StaleHandoffVersion",
        # handoffContext: a composition of the account's own fields (each mapped above), not a row.
        "HandoffContext",
        "ContactsByRole",
        "UsageSummary",
        # BI metrics: aggregates computed by service.metrics, one statement per metric call.
        "Metrics",
        "GroupValue",
        # Activity metrics (service.metrics.activity_types): one row per group, aggregates over many tables.
        "GoalOutcomes",
        "CustomerVoice",
        "NpsScore",
        "TicketStats",
        "HealthDistribution",
        "HealthTierCount",
        "PortfolioUsage",
        "OnboardingCohort",
        # Revenue metrics (service.metrics.revenue_types): one row per group (and bucket), aggregates over lines.
        "RevenueMetrics",
        "RevenueRetention",
        "ArrSummary",
        "MrrMovement",
        "RevenueExpansion",
        # Webhook management (service.events, admin only): resolvers over their own queries, never compiled.
        "WebhookEndpoint",
        "WebhookEndpointWithSecret",
        "WebhookEndpointDeleted",
        "WebhookDelivery",
        "WebhookAttempt",
        "WebhookReplay",
        # The clock's sweep (service.clock, admin only): counts of one run, never compiled.
        "ClockSweep",
        # Subscriptions (service.subscriptions): outbox events as they are announced, never compiled.
        "Subscription",
        "AlertOpenedEvent",
        "HealthChangedEvent",
        "HandoffChangedEvent",
        "TimelineAddedEvent",
    }
)
