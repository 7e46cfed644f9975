"""How many items each list field returns, priced from its arguments: what the cost estimate
(``service.api.measure``) multiplies a list's selection by.

Every list field of the schema has a rule in ``PRICES``, keyed ``Type.field``; tests/test_graphql_prices.py
fails for a list field without one (and for a rule whose field is gone). The rules:

- ``PAGE``: the field's ``first`` (a connection's ``edges``: the connection field's), read as the field will
  coerce it — ``100.0`` is 100 —, else its default, else the default page size;
- ``STORED``: rows one parent has that no argument bounds (an account's contacts, a contract's lines):
  CSHUB_GRAPHQL_COST_LIST_SIZE;
- ``USAGE_BUCKETS``: the days, ISO weeks or calendar months ``[from, to)`` touches, at most what the field
  accepts;
- ``groups(...)``: a metric's rows: the groups of its ``groupBy`` — an enumerated dimension by its values
  (and null), a free-text one (INDUSTRY, CSM_OWNER, PRODUCT) CSHUB_GRAPHQL_COST_GROUP_VALUES, at most
  CSHUB_GRAPHQL_COST_MAX_GROUPS in all — times its buckets (``mrrMovements``: the calendar months or quarters
  of ``[from, to)``, at most 240) or its categories;
- ``HEALTH_HISTORY``: the window's days × the scores computed a day (one per CSHUB_HEALTH_RECOMPUTE_INTERVAL_SECONDS);
- ``fixed(n)``: lists of a known length.

An argument the document does not pin down (a variable not given, a value that will not coerce) is priced at
the most the field accepts: such a request fails coercion anyway, and no price can be below what runs. The
estimate stays an estimate for stored rows and groups; ``service.graphql.response_budget`` caps what a
response really holds.
"""

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, GraphQLField, Undefined, ast_from_value, value_from_ast_untyped

from service.accounts.enums import LifecycleStage, Segment, TouchModel
from service.input_bounds import outside_calendar
from service.metrics import revenue_inputs
from service.metrics.dimensions import Dimension
from service.metrics.periods import Period
from service.metrics.types import MetricInterval
from service.usage.types import MAX_BUCKETS as USAGE_MAX_BUCKETS
from service.usage.types import UsageInterval, bucket_count

COST_CEILING = 10**15  # prices and costs saturate here: far above any limit, and the arithmetic stays small
ENUMERATED = {  # values a dimension can take, null included
    Dimension.SEGMENT: len(Segment) + 1,
    Dimension.LIFECYCLE_STAGE: len(LifecycleStage) + 1,
    Dimension.TOUCH_MODEL: len(TouchModel) + 1,
}
HEALTH_HISTORY_DAYS = 91  # the field's default window


@dataclass(frozen=True, slots=True)
class Pricing:
    """The settings prices read."""

    list_size: int  # CSHUB_GRAPHQL_COST_LIST_SIZE
    page_size: int  # a connection's default page
    group_values: int  # CSHUB_GRAPHQL_COST_GROUP_VALUES
    max_groups: int  # CSHUB_GRAPHQL_COST_MAX_GROUPS
    scores_per_day: int  # health scores computed per account and day


class Arguments:
    """A field's arguments as the document gives them, variables substituted; defaults when left out."""

    def __init__(self, node: FieldNode, definition: GraphQLField | None, variables: dict[str, Any]) -> None:
        self.node = node
        self.definition = definition
        self.variables = variables

    def __getitem__(self, name: str) -> Any:
        """The value (None for null); the default when left out or given as a variable not provided."""
        for argument in self.node.arguments or ():
            if argument.name.value == name:
                value = value_from_ast_untyped(argument.value, self.variables)
                if value is not Undefined:
                    return value
        if self.definition is None or name not in self.definition.args:
            return Undefined
        declared = self.definition.args[name]
        if declared.default_value is None or declared.default_value is Undefined:
            return declared.default_value
        # Defaults are held as the values resolvers get (enum members…): back to what a document would say.
        default = ast_from_value(declared.default_value, declared.type)
        return Undefined if default is None else value_from_ast_untyped(default)


@dataclass(frozen=True, slots=True)
class Call:
    """A list field as the operation asks for it: its arguments, those of the field it is selected in."""

    arguments: Arguments
    outer: Arguments | None
    pricing: Pricing


Price = Callable[[Call], int]


def count(value: Any) -> int | None:
    """A number as GraphQL's Int coerces it (JSON ``100.0`` is 100); None when it is no number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return COST_CEILING
    return min(max(math.ceil(value), 0), COST_CEILING)


def _page(arguments: Arguments | None, pricing: Pricing) -> int:
    if arguments is None:
        return pricing.page_size
    first = count(arguments["first"])
    return pricing.page_size if first is None else first


def PAGE(call: Call) -> int:
    return _page(call.arguments, call.pricing)


def CONNECTION_PAGE(call: Call) -> int:
    return _page(call.outer, call.pricing)


def STORED(call: Call) -> int:
    return call.pricing.list_size


def fixed(items: int) -> Price:
    def price(call: Call) -> int:
        return items

    return price


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _refused_dates(arguments: Arguments, *names: str) -> bool:
    """Whether a date argument is one the Date scalar refuses (not a date, or outside ``service.input_bounds``):
    the operation then fails before any resolver runs, with the argument and the supported range named, so
    it costs nothing — and pricing it must neither refuse it first nor do date arithmetic on it."""
    for name in names:
        value = arguments[name]
        if value is None:
            continue
        day = _day(value)
        if day is None or outside_calendar(day):
            return True
    return False


def _period(arguments: Arguments) -> Period | None:
    start, end = _day(arguments["from"]), _day(arguments["to"])
    return Period(start, end) if start is not None and end is not None else None


def USAGE_BUCKETS(call: Call) -> int:
    """Buckets of a usage series, counted as the field counts them (``usage.types.bucket_count``); past
    MAX_BUCKETS the field refuses the range, so the price stops one above it."""
    if _refused_dates(call.arguments, "from", "to"):
        return 0
    within, interval = _period(call.arguments), call.arguments["interval"]
    if within is None or interval not in UsageInterval.__members__:
        return USAGE_MAX_BUCKETS + 1
    if within.days <= 0:
        return 0
    buckets = bucket_count(within.start, within.end, UsageInterval[interval])
    return min(buckets, USAGE_MAX_BUCKETS + 1)


def _groups(arguments: Arguments, pricing: Pricing) -> int:
    given = arguments["groupBy"]
    if given is None:
        return 1
    names = given if isinstance(given, list) else [given]  # one value is a list of one (input coercion)
    if not all(isinstance(name, str) for name in names):
        return pricing.max_groups  # will not coerce
    groups = 1
    for name in dict.fromkeys(names):
        dimension = Dimension.__members__.get(name)
        values = pricing.group_values if dimension is None else ENUMERATED.get(dimension, pricing.group_values)
        groups = min(groups * values, pricing.max_groups)
    return groups


def _movement_buckets(arguments: Arguments) -> int:
    if _refused_dates(arguments, "from", "to"):
        return 0
    within, interval = _period(arguments), arguments["interval"]
    if within is None or interval not in MetricInterval.__members__:
        return revenue_inputs.MAX_BUCKETS
    if within.days <= 0:
        return 0
    size = revenue_inputs.BucketSize(interval.lower())  # MONTH, QUARTER
    return min(revenue_inputs.bucket_count(within, size), revenue_inputs.MAX_BUCKETS)


def groups(per_group: int = 1, *, bucketed: bool = False) -> Price:
    """A metric's rows: ``per_group`` (× its buckets when ``bucketed``) for each group of its ``groupBy``."""

    def price(call: Call) -> int:
        rows = _groups(call.arguments, call.pricing) * per_group
        return rows * _movement_buckets(call.arguments) if bucketed else rows

    return price


def GROUP_VALUES(call: Call) -> int:
    """A metric row's group: one value per distinct dimension of the metric's ``groupBy``."""
    given = call.outer["groupBy"] if call.outer is not None else Undefined
    if given is None:
        return 0
    if isinstance(given, str):
        return 1
    if isinstance(given, list) and all(isinstance(name, str) for name in given):
        return len(dict.fromkeys(given))
    return len(Dimension)


def HEALTH_HISTORY(call: Call) -> int:
    """The field's window (default the 91 days up to today) × the scores computed a day."""
    if _refused_dates(call.arguments, "from", "to"):
        return 0
    given_from, given_to = call.arguments["from"], call.arguments["to"]
    end = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1) if given_to is None else _day(given_to)
    start = (end and end - dt.timedelta(days=HEALTH_HISTORY_DAYS)) if given_from is None else _day(given_from)
    days = (end - start).days if start is not None and end is not None else HEALTH_HISTORY_DAYS
    return max(days, 0) * call.pricing.scores_per_day


PRICES: dict[str, Price] = {
    # Root lists and connections: their pages
    "Query.scorecards": STORED,
    "AccountConnection.edges": CONNECTION_PAGE,
    "AlertConnection.edges": CONNECTION_PAGE,
    "AuditEntryConnection.edges": CONNECTION_PAGE,
    "HandoffConnection.edges": CONNECTION_PAGE,
    "SurveyResponseConnection.edges": CONNECTION_PAGE,
    "TicketConnection.edges": CONNECTION_PAGE,
    "TimelineEventConnection.edges": CONNECTION_PAGE,
    "UnmatchedRecordConnection.edges": CONNECTION_PAGE,
    "Viewer.ownerNames": fixed(2),  # a display name and an e-mail, or a key's name
    "Viewer.myActionItems": PAGE,
    "Query.webhookEndpoints": STORED,
    "Query.webhookDeliveries": PAGE,
    "WebhookDelivery.attemptLog": STORED,
    "WebhookEndpoint.eventTypes": STORED,
    "WebhookEndpoint.segments": STORED,
    "WebhookEndpoint.csmOwners": STORED,
    # An account's own rows
    "Account.sources": STORED,
    "UnmatchedRecord.candidateAccountIds": STORED,  # the accounts an ambiguous domain names
    "Account.children": STORED,
    "Account.contacts": STORED,
    "Account.contracts": STORED,
    "Account.mrr": STORED,  # one per currency
    "Account.arr": STORED,
    "Account.usage": USAGE_BUCKETS,
    "Account.featureAdoption": STORED,
    "Account.alerts": STORED,
    "Account.healthHistory": HEALTH_HISTORY,
    "Account.goals": STORED,
    "Account.actionItems": STORED,
    "Account.handoffs": STORED,
    "Contract.lines": STORED,
    "ContactsByRole.contacts": STORED,
    "Goal.progress": STORED,
    # Health scores and scorecards
    "HealthScore.measures": STORED,
    "Scorecard.measures": STORED,
    "Scorecard.tiers": STORED,
    "Scorecard.versions": STORED,
    "MeasureScale.bands": STORED,
    # Handoffs
    "Handoff.goals": STORED,
    "Handoff.stakeholders": STORED,
    "Handoff.promises": STORED,
    "Handoff.risks": STORED,
    "Handoff.evidence": STORED,
    "Handoff.missingForSubmit": STORED,
    "Handoff.events": STORED,
    "HandoffCompetition.competitorsInUse": STORED,
    "HandoffDeal.products": STORED,
    "HandoffDeal.outOfScope": STORED,
    "HandoffImplementation.preStartTasks": STORED,
    "HandoffImplementation.integrations": STORED,
    "IncompleteHandoff.missing": STORED,
    "WhyTheyBought.painPoints": STORED,
    "WhyTheyBought.alternativesEvaluated": STORED,
    "HandoffContext.ancestors": STORED,
    "HandoffContext.subsidiaries": STORED,
    "HandoffContext.activeContracts": STORED,
    "HandoffContext.openHandoffs": STORED,  # at most one per deal
    "HandoffContext.contactsByRole": STORED,
    "HandoffContext.openTickets": PAGE,
    "HandoffContext.recentTimeline": PAGE,
    "HandoffContext.openActionItems": STORED,
    "HandoffContext.goals": STORED,
    "HandoffContext.openAlerts": STORED,
    # Metrics: groups (× buckets), and each row's group values
    "Metrics.revenueRetention": groups(),
    "Metrics.arr": groups(),
    "Metrics.mrrMovements": groups(bucketed=True),
    "Metrics.expansion": groups(),
    "Metrics.outcomes": groups(),
    "Metrics.voiceOfCustomer": groups(per_group=4),  # every category, also empty
    "Metrics.nps": groups(),
    "Metrics.ticketStats": groups(),
    "Metrics.healthDistribution": groups(),
    "Metrics.usageSummary": groups(),
    "Metrics.onboarding": groups(),
    "Metrics.dimensions": fixed(len(Dimension)),
    "HealthDistribution.tiers": STORED,
    "RevenueRetention.group": GROUP_VALUES,
    "ArrSummary.group": GROUP_VALUES,
    "MrrMovement.group": GROUP_VALUES,
    "RevenueExpansion.group": GROUP_VALUES,
    "GoalOutcomes.group": GROUP_VALUES,
    "CustomerVoice.group": GROUP_VALUES,
    "NpsScore.group": GROUP_VALUES,
    "TicketStats.group": GROUP_VALUES,
    "HealthDistribution.group": GROUP_VALUES,
    "PortfolioUsage.group": GROUP_VALUES,
    "OnboardingCohort.group": GROUP_VALUES,
}


def price(field: str, call: Call) -> int:
    """Items the list field ``Type.field`` returns; one without a rule (introspection's) counts as stored rows."""
    return PRICES.get(field, STORED)(call)
