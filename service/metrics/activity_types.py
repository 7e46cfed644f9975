"""GraphQL fields of the activity metrics: outcomes, voice of the customer, NPS, tickets, health, usage and
onboarding. Each field checks its arguments, runs its domain query (one SQL statement) on a read connection of
its own and turns the figures into rows; the definitions live in the query modules' docstrings."""

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry

from service.graphql.context import Context
from service.metrics import health_distribution as health_queries
from service.metrics import nps as nps_queries
from service.metrics import onboarding as onboarding_queries
from service.metrics import outcomes as outcome_queries
from service.metrics import ticket_stats as ticket_queries
from service.metrics import usage_summary as usage_queries
from service.metrics import voice as voice_queries
from service.metrics.activity import Group, score_name
from service.metrics.dimensions import Dimension, chosen
from service.metrics.periods import Period, currency_code, period
from service.metrics.types import GroupValue, MetricDimension, dimensions_of

F = TypeVar("F")

From = Annotated[date, strawberry.argument(name="from", description="First day of the period (UTC, inclusive).")]
To = Annotated[date, strawberry.argument(description="First day after the period (UTC, exclusive).")]
GroupBy = Annotated[
    list[MetricDimension] | None,
    strawberry.argument(
        description="Account dimensions to group by (PRODUCT is refused: these are not revenue metrics); "
        "default: one row for the whole portfolio."
    ),
]
GROUP_DESCRIPTION = "The group's dimension values, in the order of `groupBy` (empty when ungrouped)."


def _group(dimensions: tuple[Dimension, ...], values: Group) -> list[GroupValue]:
    return [
        GroupValue(dimension=MetricDimension(dimension.value), value=value)
        for dimension, value in zip(dimensions, values, strict=True)
    ]


def _figures(kind: Callable[..., F], dimensions: tuple[Dimension, ...], rows: Sequence[Any]) -> list[F]:
    """Metric rows as GraphQL objects of ``kind`` (a strawberry type): the group, and every other field copied by
    name from the row."""
    names = [field.name for field in dataclasses.fields(kind) if field.name != "group"]  # type: ignore[arg-type]
    return [kind(group=_group(dimensions, row.group), **{name: getattr(row, name) for name in names}) for row in rows]


def _arguments(from_: date, to: date, group_by: list[MetricDimension] | None) -> tuple[Period, tuple[Dimension, ...]]:
    return period(from_, to), chosen(dimensions_of(group_by), product=False)


@strawberry.type(description="Success-plan goals due in the period, by status today.")
class GoalOutcomes:
    group: list[GroupValue] = strawberry.field(description=GROUP_DESCRIPTION)
    due: int = strawberry.field(description="Goals whose due date is in the period.")
    achieved: int = strawberry.field(description="Of those, achieved.")
    missed: int = strawberry.field(description="Of those, missed.")
    at_risk: int = strawberry.field(description="Of those, at risk.")
    on_track: int = strawberry.field(description="Of those, on track (no verdict yet).")
    achievement_rate: float | None = strawberry.field(
        description="achieved / (achieved + missed): of the due goals with a verdict, the share achieved; null "
        "when none has a verdict."
    )


@strawberry.enum(description="What a voice-of-the-customer row counts.")
class VoiceCategory(Enum):
    FEATURE_REQUEST = strawberry.enum_value("feature_request", description="Tickets of category feature_request.")
    BUG = strawberry.enum_value("bug", description="Tickets of category bug.")
    NPS_COMMENT = strawberry.enum_value("nps_comment", description="NPS survey responses with a comment.")
    CSAT_COMMENT = strawberry.enum_value("csat_comment", description="CSAT survey responses with a comment.")


@strawberry.type(description="Requests or comments of one category in the period, weighed by the requesters' ARR.")
class CustomerVoice:
    group: list[GroupValue] = strawberry.field(description=GROUP_DESCRIPTION)
    category: VoiceCategory = strawberry.field(description="What is counted.")
    requests: int = strawberry.field(
        description="Tickets of the category opened in the period, or survey comments (not blank) given in it."
    )
    accounts: int = strawberry.field(description="Distinct accounts with at least one of them.")
    currency: str = strawberry.field(description="Currency of `arr`.")
    arr: Decimal = strawberry.field(
        description="Total ARR of those accounts (each once) on the day `to`: 12 × MRR of their lines active that "
        "day in `currency` (decimal string)."
    )


@strawberry.type(description="NPS survey responses in the period (the same rule as `Account.nps`; see docs/kpis.md).")
class NpsScore:
    group: list[GroupValue] = strawberry.field(description=GROUP_DESCRIPTION)
    responses: int = strawberry.field(description="NPS responses in the period.")
    promoters: int = strawberry.field(description="Responses scoring 9 or 10.")
    passives: int = strawberry.field(description="Responses scoring 7 or 8.")
    detractors: int = strawberry.field(description="Responses scoring 0 to 6.")
    nps: float | None = strawberry.field(
        description="% promoters − % detractors, −100 to 100, rounded to 2 places (halves away from zero); null "
        "with no responses."
    )


@strawberry.type(description="Support tickets: volume, response and resolution times, satisfaction.")
class TicketStats:
    group: list[GroupValue] = strawberry.field(description=GROUP_DESCRIPTION)
    opened: int = strawberry.field(description="Tickets opened in the period.")
    solved: int = strawberry.field(description="Tickets solved in the period (whenever opened).")
    first_responses: int = strawberry.field(description="Tickets opened in the period that have a first response.")
    resolved: int = strawberry.field(description="Tickets opened in the period that are solved (at any time).")
    median_first_response_hours: float | None = strawberry.field(
        description="Median hours from opening to first response over `firstResponses`; null when there are none."
    )
    median_resolution_hours: float | None = strawberry.field(
        description="Median hours from opening to solving over `resolved`; null when there are none."
    )
    csat_ratings: int = strawberry.field(description="Tickets solved in the period that carry a CSAT rating.")
    mean_csat: float | None = strawberry.field(
        description="Mean CSAT rating (1–5) of `csatRatings` (ticket ratings, not CSAT surveys); null without any."
    )


@strawberry.type(description="Accounts in one health tier.")
class HealthTierCount:
    tier: str | None = strawberry.field(description="The tier's name; null: no score row, or no tier matched.")
    accounts: int = strawberry.field(description="Accounts whose latest score row is in this tier.")


@strawberry.type(
    description="Accounts by the band and tier of their latest score of a name computed on or before `asOf`."
)
class HealthDistribution:
    group: list[GroupValue] = strawberry.field(description=GROUP_DESCRIPTION)
    accounts: int = strawberry.field(description="Accounts in the group (red + yellow + green + unscored).")
    red: int = strawberry.field(description="Accounts whose latest score is in the red band.")
    yellow: int = strawberry.field(description="Accounts whose latest score is in the yellow band.")
    green: int = strawberry.field(description="Accounts whose latest score is in the green band.")
    unscored: int = strawberry.field(
        description="Accounts with no score of this name by `asOf`, or whose latest has no score (too little data)."
    )
    tiers: list[HealthTierCount] = strawberry.field(description="Accounts per tier, by name (no tier last).")


@strawberry.type(description="Product usage in the period, from the daily rollups.")
class PortfolioUsage:
    group: list[GroupValue] = strawberry.field(description=GROUP_DESCRIPTION)
    accounts: int = strawberry.field(description="Accounts in the group.")
    active_accounts: int = strawberry.field(description="Accounts with at least one event in the period.")
    events: int = strawberry.field(description="Events in the period.")
    active_users: int = strawberry.field(description="Distinct users seen in the period.")
    mean_daily_active_users: float = strawberry.field(
        description="Σ over the period's days of that day's distinct users / days in the period."
    )
    stickiness: float | None = strawberry.field(
        description="meanDailyActiveUsers / activeUsers (DAU/MAU for a one-month period); null with no users."
    )
    accounts_with_seats: int = strawberry.field(
        description="Accounts with licensed seats on the period's last day (to − 1)."
    )
    licensed_seats: int = strawberry.field(description="Their seats on active lines that day.")
    licensed_active_users: int = strawberry.field(
        description="Their distinct users active in the 30 days ending that day ([to − 30, to))."
    )
    mean_license_utilization: float | None = strawberry.field(
        description="Mean over `accountsWithSeats` of each account's users active in the 30 days ending on the "
        "period's last day / its seats that day (can exceed 1); null when no account has seats."
    )


@strawberry.type(description="Handoffs whose contract starts in the period, and how they reached first value.")
class OnboardingCohort:
    group: list[GroupValue] = strawberry.field(description=GROUP_DESCRIPTION)
    cohort: int = strawberry.field(description="Handoffs with contract start in the period, except cancelled ones.")
    completed: int = strawberry.field(description="Of the cohort, those that reached first value.")
    cancelled: int = strawberry.field(description="Cancelled handoffs with contract start in the period (not in it).")
    completion_rate: float | None = strawberry.field(description="completed / cohort; null for an empty cohort.")
    median_time_to_value_days: float | None = strawberry.field(
        description="Median days from contract start to first value over `completed`; null when none."
    )
    mean_time_to_value_days: float | None = strawberry.field(
        description="Mean days from contract start to first value over `completed`; null when none."
    )


async def _outcomes(
    info: strawberry.Info[Context], from_: From, to: To, group_by: GroupBy = None
) -> list[GoalOutcomes]:
    window, dimensions = _arguments(from_, to, group_by)
    async with info.context.read() as conn:
        figures = await outcome_queries.outcomes(conn, window, dimensions)
    return _figures(GoalOutcomes, dimensions, figures)


async def _voice_of_customer(
    info: strawberry.Info[Context],
    from_: From,
    to: To,
    group_by: GroupBy = None,
    currency: Annotated[
        str, strawberry.argument(description="ISO 4217 code of `arr`; lines in other currencies are not converted.")
    ] = "USD",
) -> list[CustomerVoice]:
    window, dimensions = _arguments(from_, to, group_by)
    code = currency_code(currency)
    async with info.context.read() as conn:
        figures = await voice_queries.voice_of_customer(conn, window, dimensions, code)
    return [
        CustomerVoice(
            group=_group(dimensions, row.group),
            category=VoiceCategory(row.category),
            requests=row.requests,
            accounts=row.accounts,
            currency=row.currency,
            arr=row.arr,
        )
        for row in figures
    ]


async def _nps(info: strawberry.Info[Context], from_: From, to: To, group_by: GroupBy = None) -> list[NpsScore]:
    window, dimensions = _arguments(from_, to, group_by)
    async with info.context.read() as conn:
        figures = await nps_queries.nps(conn, window, dimensions)
    return _figures(NpsScore, dimensions, figures)


async def _ticket_stats(
    info: strawberry.Info[Context], from_: From, to: To, group_by: GroupBy = None
) -> list[TicketStats]:
    window, dimensions = _arguments(from_, to, group_by)
    async with info.context.read() as conn:
        figures = await ticket_queries.ticket_stats(conn, window, dimensions)
    return _figures(TicketStats, dimensions, figures)


async def _health_distribution(
    info: strawberry.Info[Context],
    as_of: Annotated[
        date, strawberry.argument(description="The day: each account's latest score computed by its end (UTC).")
    ],
    name: Annotated[str, strawberry.argument(description="The score's name, e.g. `overall`.")] = "overall",
    group_by: GroupBy = None,
) -> list[HealthDistribution]:
    dimensions = chosen(dimensions_of(group_by), product=False)
    checked_name = score_name(name)
    async with info.context.read() as conn:
        figures = await health_queries.health_distribution(conn, as_of, checked_name, dimensions)
    return [
        HealthDistribution(
            group=_group(dimensions, row.group),
            accounts=row.accounts,
            red=row.red,
            yellow=row.yellow,
            green=row.green,
            unscored=row.unscored,
            tiers=[HealthTierCount(tier=tier.tier, accounts=tier.accounts) for tier in row.tiers],
        )
        for row in figures
    ]


async def _usage_summary(
    info: strawberry.Info[Context], from_: From, to: To, group_by: GroupBy = None
) -> list[PortfolioUsage]:
    window, dimensions = _arguments(from_, to, group_by)
    async with info.context.read() as conn:
        figures = await usage_queries.usage_summary(conn, window, dimensions)
    return _figures(PortfolioUsage, dimensions, figures)


async def _onboarding(
    info: strawberry.Info[Context], from_: From, to: To, group_by: GroupBy = None
) -> list[OnboardingCohort]:
    window, dimensions = _arguments(from_, to, group_by)
    async with info.context.read() as conn:
        figures = await onboarding_queries.onboarding(conn, window, dimensions)
    return _figures(OnboardingCohort, dimensions, figures)


@strawberry.type(description="Activity metrics: goals, voice of the customer, NPS, tickets, health, usage, onboarding.")
class ActivityMetrics:
    outcomes: list[GoalOutcomes] = strawberry.field(
        resolver=_outcomes, description="Success-plan goals due in [from, to) and their achievement rate."
    )
    voice_of_customer: list[CustomerVoice] = strawberry.field(
        resolver=_voice_of_customer,
        description="Feature requests, bugs and survey comments of [from, to), one row per category (every "
        "category, also empty), with the number and total ARR of the accounts behind them.",
    )
    nps: list[NpsScore] = strawberry.field(
        resolver=_nps, description="Net Promoter Score over the NPS responses of [from, to), with its inputs."
    )
    ticket_stats: list[TicketStats] = strawberry.field(
        resolver=_ticket_stats,
        description="Tickets opened and solved in [from, to), median first-response and resolution hours, mean CSAT.",
    )
    health_distribution: list[HealthDistribution] = strawberry.field(
        resolver=_health_distribution,
        description="Accounts per health band and tier on a day; unscored accounts counted explicitly.",
    )
    usage_summary: list[PortfolioUsage] = strawberry.field(
        resolver=_usage_summary,
        description="Active accounts and users, events, DAU/MAU stickiness and mean license utilization of [from, to).",
    )
    onboarding: list[OnboardingCohort] = strawberry.field(
        resolver=_onboarding,
        description="Handoffs whose contract starts in [from, to): completion rate and median time to value.",
    )
