"""What each value the API returns is, and which roles see it masked: the one classification of cshub's output.

Every GraphQL output field of type ``String`` (or a list of them) or ``JSON`` has exactly one entry in
``FIELD_CLASSES``, keyed ``Type.field`` as in the schema. The GraphQL shell masks each field by its class when
the schema is built (``service.graphql.pii``); a String or JSON field without an entry, or an entry naming no
field, fails the schema build — a new field is classified before it can ship.

    class        what it holds                                              bi
    PERSON       a person's name or contact details: customer contacts,     masked (•••)
                 stakeholders, owners, actors, the hub's users (API key
                 names), a contact's job title
    FREE_TEXT    text people wrote: comments, notes, summaries, reasons,    masked (•••)
                 plans, titles of tasks — it may name or quote anyone
    LABEL        the name of a thing: a company, product, industry,         as is
                 currency, score, tier, competitor, system
    IDENTIFIER   ids, cursors, codes, source names, input paths             as is
    HUB_TEXT     text the hub writes from its own rules (alert and error    as is
                 messages, measure descriptions)
    AGGREGATE    figures and group keys of aggregates (a metric grouped     as is
                 by CSM owner names the owner)

Identifiers, enums, numbers, dates and aggregates are never masked: BI counts and sums what it cannot read.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from service.api_keys.roles import Role


class DataClass(StrEnum):
    PERSON = "person"
    FREE_TEXT = "free_text"
    LABEL = "label"
    IDENTIFIER = "identifier"
    HUB_TEXT = "hub_text"
    AGGREGATE = "aggregate"


PERSON: Final = DataClass.PERSON
FREE_TEXT: Final = DataClass.FREE_TEXT
LABEL: Final = DataClass.LABEL
IDENTIFIER: Final = DataClass.IDENTIFIER
HUB_TEXT: Final = DataClass.HUB_TEXT
AGGREGATE: Final = DataClass.AGGREGATE

# The classes each role sees masked; a role not named here sees every value as stored.
MASKED: Final[Mapping[Role, frozenset[DataClass]]] = {Role.BI: frozenset({PERSON, FREE_TEXT})}

# What a masked field says about it in the schema (appended to its description).
MASK_NOTES: Final[Mapping[DataClass, str]] = {
    PERSON: "it names or identifies a person",
    FREE_TEXT: "free text people wrote",
}

# The items of the Subscription root's fields (service.subscriptions.types).
SUBSCRIPTION_EVENT_TYPES: Final = (
    "AlertOpenedEvent",
    "HealthChangedEvent",
    "HandoffChangedEvent",
    "TimelineAddedEvent",
)

FIELD_CLASSES: Final[Mapping[str, DataClass]] = {
    # Accounts and their records
    "Account.name": LABEL,  # the customer company
    "Account.domain": LABEL,
    "Account.industry": LABEL,
    "Account.csmOwner": PERSON,
    "Account.salesOwner": PERSON,
    "AccountEdge.cursor": IDENTIFIER,
    "AccountSource.source": IDENTIFIER,
    "AccountSource.externalId": IDENTIFIER,
    "AccountsMerged.moved": AGGREGATE,
    "Contact.name": PERSON,
    "Contact.email": PERSON,
    "Contact.phone": PERSON,
    "Contact.title": PERSON,  # "CTO at Acme" is one person
    "Contract.currency": LABEL,
    "Product.name": LABEL,
    "Product.family": LABEL,
    "Ticket.subject": FREE_TEXT,
    "TicketEdge.cursor": IDENTIFIER,
    "SurveyResponse.comment": FREE_TEXT,
    "SurveyResponse.contactEmail": PERSON,
    "SurveyResponseEdge.cursor": IDENTIFIER,
    "FeatureUsage.feature": LABEL,
    "TimelineEvent.summary": FREE_TEXT,
    "TimelineEvent.actor": PERSON,  # whoever the source recorded, with whatever contact details it wrote
    "TimelineEvent.source": IDENTIFIER,
    "TimelineEventEdge.cursor": IDENTIFIER,
    # Success plans
    "Goal.outcome": FREE_TEXT,
    "Goal.statusChangedBy": PERSON,
    "Goal.statusNote": FREE_TEXT,
    "Goal.createdBy": PERSON,
    "GoalProgress.recordedBy": PERSON,
    "GoalProgress.note": FREE_TEXT,
    "SuccessCriterion.metric": FREE_TEXT,
    "SuccessCriterion.unit": LABEL,
    "ActionItem.title": FREE_TEXT,
    "ActionItem.owner": PERSON,
    "ActionItem.createdBy": PERSON,
    # Health, scorecards and alerts
    "HealthScore.name": LABEL,
    "HealthScore.tier": LABEL,
    "HealthTierCount.tier": AGGREGATE,
    "HealthMeasure.key": LABEL,
    "HealthMeasure.reason": HUB_TEXT,
    "HealthMeasure.note": FREE_TEXT,  # the CSM's comment on a manual score, and who set it
    "HealthOverride.name": LABEL,
    "HealthOverride.reason": FREE_TEXT,
    "HealthOverride.createdBy": PERSON,
    "HealthOverride.liftedBy": PERSON,
    "ManualScore.comment": FREE_TEXT,
    "ManualScore.createdBy": PERSON,
    "Scorecard.name": LABEL,
    "Scorecard.createdBy": PERSON,
    "Scorecard.currency": LABEL,
    "ScorecardMeasure.key": LABEL,
    "ScorecardMeasure.description": HUB_TEXT,
    "ScorecardTier.name": LABEL,
    "Alert.message": HUB_TEXT,
    "Alert.details": AGGREGATE,
    "Alert.acknowledgedBy": PERSON,
    "Alert.resolvedBy": PERSON,
    "Alert.note": FREE_TEXT,
    "AlertEdge.cursor": IDENTIFIER,
    # Handoffs
    "Handoff.opportunityRef": IDENTIFIER,
    "Handoff.salesOwner": PERSON,
    "Handoff.csmOwner": PERSON,
    "Handoff.sensitivities": FREE_TEXT,
    "Handoff.missingForSubmit": IDENTIFIER,
    "Handoff.createdBy": PERSON,
    "HandoffEdge.cursor": IDENTIFIER,
    "HandoffEvent.actor": PERSON,
    "HandoffEvent.actorRole": LABEL,
    "HandoffEvent.comment": FREE_TEXT,
    "Stakeholder.name": PERSON,
    "Stakeholder.notes": FREE_TEXT,
    "WhyTheyBought.triggerEvent": FREE_TEXT,
    "WhyTheyBought.painPoints": FREE_TEXT,
    "WhyTheyBought.alternativesEvaluated": LABEL,
    "WhyTheyBought.whyWeWon": FREE_TEXT,
    "HandoffGoal.outcome": FREE_TEXT,
    "HandoffSuccessCriterion.metric": FREE_TEXT,
    "HandoffSuccessCriterion.unit": LABEL,
    "HandoffDeal.products": LABEL,
    "HandoffDeal.pricingTerms": FREE_TEXT,
    "HandoffDeal.billingTerms": FREE_TEXT,  # names the invoicing contact
    "HandoffDeal.scope": FREE_TEXT,
    "HandoffDeal.outOfScope": FREE_TEXT,
    "HandoffPromise.description": FREE_TEXT,
    "HandoffPromise.promisedBy": PERSON,
    "HandoffImplementation.integrations": LABEL,
    "HandoffImplementation.dataMigration": FREE_TEXT,
    "PreStartTask.title": FREE_TEXT,
    "PreStartTask.owner": PERSON,
    "HandoffTimeline.firstValueMilestone": FREE_TEXT,
    "HandoffRisk.description": FREE_TEXT,
    "HandoffRisk.mitigation": FREE_TEXT,
    "HandoffCompetition.competitorsInUse": LABEL,
    "HandoffCompetition.notes": FREE_TEXT,
    "EvidenceLink.title": FREE_TEXT,
    "EvidenceLink.url": FREE_TEXT,  # a link people pasted: its path may name anyone
    "IllegalHandoffTransition.code": IDENTIFIER,
    "IllegalHandoffTransition.message": HUB_TEXT,
    "IncompleteHandoff.code": IDENTIFIER,
    "IncompleteHandoff.message": HUB_TEXT,
    "IncompleteHandoff.missing": IDENTIFIER,
    "StaleHandoffVersion.code": IDENTIFIER,
    "StaleHandoffVersion.message": HUB_TEXT,
    # Metrics
    "ArrSummary.currency": LABEL,
    "CustomerVoice.currency": LABEL,
    "GroupValue.value": AGGREGATE,
    "Money.currency": LABEL,
    "MrrMovement.currency": LABEL,
    "RevenueExpansion.currency": LABEL,
    "RevenueRetention.currency": LABEL,
    # Ingest feedback and the audit log (not readable by bi; classified all the same)
    "UnmatchedRecord.source": IDENTIFIER,
    "UnmatchedRecord.entity": IDENTIFIER,
    "UnmatchedRecord.externalId": IDENTIFIER,
    "UnmatchedRecord.accountExternalId": IDENTIFIER,
    "UnmatchedRecord.accountDomain": IDENTIFIER,
    "UnmatchedRecord.payload": PERSON,  # the source record as sent: contacts' names, e-mails, phones
    "UnmatchedRecordEdge.cursor": IDENTIFIER,
    "Viewer.role": LABEL,
    "Viewer.ownerNames": PERSON,
    "ViewerPerson.email": PERSON,
    "ViewerPerson.displayName": PERSON,
    "AuditEntry.actor": PERSON,
    "AuditEntry.role": LABEL,
    "AuditEntry.action": IDENTIFIER,
    "AuditEntry.target": IDENTIFIER,
    "AuditEntry.details": HUB_TEXT,  # argument names and counts, never values people typed
    "AuditEntry.requestId": IDENTIFIER,
    "AuditEntryEdge.cursor": IDENTIFIER,
    # Webhooks (admin only; classified all the same)
    "WebhookEndpoint.url": IDENTIFIER,
    "WebhookEndpoint.description": FREE_TEXT,
    "WebhookEndpoint.eventTypes": IDENTIFIER,
    "WebhookEndpoint.segments": LABEL,
    "WebhookEndpoint.csmOwners": PERSON,
    "WebhookEndpoint.disabledReason": HUB_TEXT,
    "WebhookEndpoint.createdBy": PERSON,
    "WebhookEndpointWithSecret.secret": IDENTIFIER,
    "WebhookDelivery.webhookId": IDENTIFIER,
    "WebhookDelivery.eventType": IDENTIFIER,
    "WebhookDelivery.lastError": HUB_TEXT,
    "WebhookAttempt.error": HUB_TEXT,
    # Shared shapes
    "PageInfo.startCursor": IDENTIFIER,
    "PageInfo.endCursor": IDENTIFIER,
    "MutationError.code": IDENTIFIER,
    "MutationError.message": HUB_TEXT,  # a conflict may name who acted first; bi may call no mutation
    "MutationError.field": IDENTIFIER,
    # Subscriptions: events of the outbox
    **{f"{kind}.type": IDENTIFIER for kind in SUBSCRIPTION_EVENT_TYPES},
    **{f"{kind}.actor": PERSON for kind in SUBSCRIPTION_EVENT_TYPES},
    "HealthChangedEvent.scoreName": LABEL,
    "HandoffChangedEvent.comment": FREE_TEXT,
}


def masked_for(data_class: DataClass) -> frozenset[Role]:
    """The roles that see values of this class masked."""
    return frozenset(role for role, classes in MASKED.items() if data_class in classes)
