"""GraphQL types of the accounts domain, and their mapping from ``AccountRow`` (declared once, here). ``Account``
is assembled here: its profile and hierarchy are this domain's; every other field is a resolver of the domain it
belongs to (``service.contracts.resolvers``, ``service.usage.resolvers``…)."""

import uuid
from datetime import date, datetime

import strawberry

from service.accounts import queries
from service.accounts.enums import LifecycleStage, Segment, TouchModel
from service.accounts.queries import AccountRow
from service.action_items.resolvers import account_action_items
from service.action_items.types import ActionItem
from service.contacts.resolvers import account_contacts
from service.contacts.types import Contact
from service.contracts.resolvers import (
    account_arr,
    account_contracts,
    account_licensed_seats,
    account_mrr,
    account_renewal_date,
)
from service.contracts.types import Contract, Money
from service.customer360 import listing
from service.goals.resolvers import account_goals
from service.goals.types import Goal
from service.graphql.context import Context
from service.graphql.relay import Node, PageInfo, encode_global_id
from service.handoffs.resolvers import account_handoffs
from service.handoffs.types import Handoff
from service.health_scores.alert_resolvers import account_alerts
from service.health_scores.alert_types import Alert
from service.health_scores.resolvers import account_health, account_health_history
from service.health_scores.types import HealthScore
from service.sources.resolvers import account_sources
from service.sources.types import AccountSource
from service.surveys.resolvers import account_nps, account_surveys
from service.surveys.types import NpsSummary, SurveyResponseConnection
from service.tickets.resolvers import account_tickets
from service.tickets.types import TicketConnection
from service.timeline.resolvers import account_timeline
from service.timeline.types import TimelineEventConnection
from service.usage.resolvers import (
    account_active_users,
    account_feature_adoption,
    account_last_seen_distribution,
    account_license_utilization,
    account_usage,
)
from service.usage.types import FeatureUsage, LastSeenDistribution, UsagePoint

ACCOUNT_TYPE_NAME = "Account"


async def account_parent(root: "Account", info: strawberry.Info[Context]) -> "Account | None":
    if root.parent_account_id is None:
        return None
    row = await info.context.batch(queries.accounts_by_id).load((root.parent_account_id, None))
    return Account.from_row(row) if row else None


async def account_children(root: "Account", info: strawberry.Info[Context]) -> list["Account"]:
    return [
        Account.from_row(row)
        for row in await info.context.batch(queries.children_of_accounts, list).load((root.account_id, None))
    ]


@strawberry.type(description="A customer organisation: the root of the customer-360 view.")
class Account(Node):
    name: str = strawberry.field(description="Display name of the customer.")
    domain: str | None = strawberry.field(description="Primary web domain, lower-case (e.g. `acme.com`).")
    industry: str | None = strawberry.field(description="Industry as reported by the CRM.")
    segment: Segment | None = strawberry.field(description="Size segment.")
    lifecycle_stage: LifecycleStage | None = strawberry.field(description="Current lifecycle stage.")
    touch_model: TouchModel | None = strawberry.field(description="Engagement model of the CS team.")
    csm_owner: str | None = strawberry.field(description="The customer success manager who owns the account.")
    sales_owner: str | None = strawberry.field(description="The account executive on the sales side.")
    created_at: datetime = strawberry.field(description="When cshub first recorded the account (UTC).")
    updated_at: datetime = strawberry.field(description="When the account's profile last changed (UTC).")
    account_id: strawberry.Private[uuid.UUID]
    parent_account_id: strawberry.Private[uuid.UUID | None]
    sources: list[AccountSource] = strawberry.field(
        resolver=account_sources, description="The source systems that know this account, with their ids and last sync."
    )
    parent: "Account | None" = strawberry.field(
        resolver=account_parent, description="The parent company, for a subsidiary; null otherwise."
    )
    children: list["Account"] = strawberry.field(resolver=account_children, description="Direct subsidiaries, by name.")
    contacts: list[Contact] = strawberry.field(
        resolver=account_contacts, description="People at the customer, by name."
    )
    contracts: list[Contract] = strawberry.field(
        resolver=account_contracts, description="Contracts, newest start first, with their lines."
    )
    mrr: list[Money] = strawberry.field(
        resolver=account_mrr,
        description="Monthly recurring revenue on a day: the sum of the MRR of lines active that day (start <= "
        "day < end, contract neither draft nor cancelled). One entry per currency — one for accounts billed in "
        "a single currency, none when nothing is active.",
    )
    arr: list[Money] = strawberry.field(
        resolver=account_arr, description="Annual recurring revenue on a day: 12 × `mrr`."
    )
    renewal_date: date | None = strawberry.field(
        resolver=account_renewal_date,
        description="The next renewal date on or after the day among counted contracts; null when none is set.",
    )
    licensed_seats: int = strawberry.field(
        resolver=account_licensed_seats,
        description="Seats licensed on a day: per product the summed quantity of active lines, and of those the "
        "largest (add-ons license a subset of the same users). 0 when nothing is active.",
    )
    tickets: TicketConnection = strawberry.field(
        resolver=account_tickets, description="Support tickets, newest first, with SLA durations."
    )
    surveys: SurveyResponseConnection = strawberry.field(
        resolver=account_surveys, description="NPS and CSAT survey responses, newest first."
    )
    nps: NpsSummary = strawberry.field(
        resolver=account_nps,
        description="Net Promoter Score over responses in [from, to) (UTC days; default the last 90 days), with "
        "its inputs.",
    )
    timeline: TimelineEventConnection = strawberry.field(
        resolver=account_timeline,
        description="Touchpoints with the customer (meetings, calls, notes…) merged with what the hub knows "
        "happened (contracts started, renewed and ended; tickets opened and solved; surveys answered; handoff "
        "transitions; health band changes), newest first.",
    )
    usage: list[UsagePoint] = strawberry.field(
        resolver=account_usage,
        description="Product usage as a series of UTC buckets over [from, to): events and distinct active users "
        "per bucket, empty buckets as zeros. At most 1000 buckets.",
    )
    active_users: int = strawberry.field(
        resolver=account_active_users, description="Distinct users seen in the last `days` days (default 30)."
    )
    license_utilization: float | None = strawberry.field(
        resolver=account_license_utilization,
        description="Active users of the last `days` days (default 30) / licensed seats today, as a fraction "
        "(0.8 = 80%; above 1 when more people use it than are licensed), rounded to 4 decimals, halves up. Null when "
        "no seats are licensed.",
    )
    feature_adoption: list[FeatureUsage] = strawberry.field(
        resolver=account_feature_adoption,
        description="Events and distinct users per feature over the last `days` UTC days including today "
        "(default 30), most used first.",
    )
    last_seen_distribution: LastSeenDistribution = strawberry.field(
        resolver=account_last_seen_distribution, description="The account's known users by time since last seen."
    )
    health: HealthScore | None = strawberry.field(
        resolver=account_health,
        description="The latest health score of this name, with every measure explained; null before the first "
        "computation. `computedAt` tells its freshness.",
    )
    alerts: list[Alert] = strawberry.field(
        resolver=account_alerts, description="Risk alerts raised for the account, newest first."
    )
    health_history: list[HealthScore] = strawberry.field(
        resolver=account_health_history,
        description="Scores of this name computed in [from, to) (UTC days; default the last 90 days), newest first.",
    )
    goals: list[Goal] = strawberry.field(
        resolver=account_goals,
        description="The success plan: the customer's business outcomes, due first (undated last), then oldest first.",
    )
    action_items: list[ActionItem] = strawberry.field(
        resolver=account_action_items,
        description="To-dos of the success plan, due first (undated last), then oldest first.",
    )
    handoffs: list[Handoff] = strawberry.field(
        resolver=account_handoffs,
        description="Sales-to-CSM handoffs of the account, newest first (roles admin, csm, sales, bi).",
    )

    @classmethod
    def from_row(cls, row: AccountRow) -> "Account":
        return cls(
            id=encode_global_id(ACCOUNT_TYPE_NAME, row.id),
            name=row.name,
            domain=row.domain,
            industry=row.industry,
            segment=Segment(row.segment) if row.segment else None,
            lifecycle_stage=LifecycleStage(row.lifecycle_stage) if row.lifecycle_stage else None,
            touch_model=TouchModel(row.touch_model) if row.touch_model else None,
            csm_owner=row.csm_owner,
            sales_owner=row.sales_owner,
            created_at=row.created_at,
            updated_at=row.updated_at,
            account_id=row.id,
            parent_account_id=row.parent_account_id,
        )


@strawberry.type(description="An account and its cursor in a connection.")
class AccountEdge:
    node: Account = strawberry.field(description="The account.")
    cursor: str = strawberry.field(description="Opaque cursor; pass it as `after` to continue after this item.")


async def _total_count(root: "AccountConnection", info: strawberry.Info[Context]) -> int:
    async with info.context.read() as conn:
        return await listing.count_accounts(conn, root.criteria, info.context.loaders.today)


@strawberry.type(description="A page of accounts (Relay connection).")
class AccountConnection:
    edges: list[AccountEdge] = strawberry.field(description="The accounts of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Pagination state of this page.")
    criteria: strawberry.Private[listing.Criteria]

    total_count: int = strawberry.field(
        resolver=_total_count,
        description="Number of accounts matching the filter, over all pages; costs an extra count, so ask only "
        "when needed.",
    )
