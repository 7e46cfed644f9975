"""``handoffContext(accountId:)``: everything a CSM needs to take an account over, in one query.

Each field reuses the account's own resolvers and per-request loaders (the same batched statements as
the 360 page), preset for the handoff: active contracts, open tickets, recent timeline, open action
items, the latest handoff. Nothing here has rules of its own.
"""

import uuid
from typing import Annotated

import strawberry

from service.accounts import queries as account_queries
from service.action_items.resolvers import account_action_items
from service.action_items.types import ActionItem
from service.contacts import resolvers as contact_resolvers
from service.contacts.types import Contact, ContactRole
from service.contracts import resolvers as contract_resolvers
from service.contracts.types import Contract, ContractStatus
from service.customer360 import types as account_types
from service.customer360.types import Account
from service.errors import InvalidInput
from service.goals.resolvers import account_goals
from service.goals.types import Goal
from service.graphql.context import Context
from service.graphql.relay import decode_typed_id
from service.handoffs import queries as handoff_queries
from service.handoffs.types import Handoff
from service.handoffs.workflow import IN_EFFECT_STATES, OPEN_STATES
from service.health_scores.alert_resolvers import account_alerts
from service.health_scores.alert_types import Alert
from service.health_scores.resolvers import account_health
from service.health_scores.types import HealthScore
from service.tickets.resolvers import account_tickets
from service.tickets.types import Ticket, TicketFilter
from service.timeline.resolvers import account_timeline
from service.timeline.types import TimelineEvent
from service.usage import resolvers as usage_resolvers
from service.usage.types import LastSeenDistribution

MAX_ITEMS = 100
MAX_ANCESTORS = 10  # levels of the hierarchy above the account
ACTIVE_CONTRACTS = [ContractStatus.ACTIVE]
OPEN_TICKETS = TicketFilter(open=True)
# Groups of contacts by role: in the enum's order (decision makers first), contacts without a role last.
ROLE_ORDER = {role: position for position, role in enumerate(ContactRole)}
Count = Annotated[int, strawberry.argument(description=f"How many, 0 to {MAX_ITEMS}.")]


@strawberry.type(description="The account's contacts who hold one role.")
class ContactsByRole:
    role: ContactRole | None = strawberry.field(description="The role; null for contacts without one.")
    contacts: list[Contact] = strawberry.field(description="The contacts, by name.")


@strawberry.type(description="How the account uses the product now.")
class UsageSummary:
    active_users_30d: int = strawberry.field(description="Distinct users seen in the last 30 days.")
    licensed_seats: int = strawberry.field(description="Seats on the account's active contract lines today.")
    license_utilization: float | None = strawberry.field(
        description="activeUsers30d / licensedSeats (4 places); null without seats."
    )
    last_seen: LastSeenDistribution = strawberry.field(description="Known users by time since last seen.")


async def _ancestors(root: "HandoffContext", info: strawberry.Info[Context]) -> list[Account]:
    found: list[Account] = []
    current = await account_types.account_parent(root.account, info)
    while current is not None and len(found) < MAX_ANCESTORS and current.account_id != root.account.account_id:
        found.append(current)
        current = await account_types.account_parent(current, info)
    return found


async def _subsidiaries(root: "HandoffContext", info: strawberry.Info[Context]) -> list[Account]:
    return await account_types.account_children(root.account, info)


async def _active_contracts(root: "HandoffContext", info: strawberry.Info[Context]) -> list[Contract]:
    return await contract_resolvers.account_contracts(root.account, info, ACTIVE_CONTRACTS)


async def _handoffs(root: "HandoffContext", info: strawberry.Info[Context]) -> list[handoff_queries.HandoffRow]:
    """The account's handoffs, newest first."""
    rows: list[handoff_queries.HandoffRow] = await info.context.batch(handoff_queries.handoffs_of_accounts, list).load(
        (root.account.account_id, None)
    )
    return rows


async def _latest_handoff(root: "HandoffContext", info: strawberry.Info[Context]) -> Handoff | None:
    rows = await _handoffs(root, info)
    return Handoff.from_row(rows[0]) if rows else None


async def _handoff_in_effect(root: "HandoffContext", info: strawberry.Info[Context]) -> Handoff | None:
    in_effect = {state.value for state in IN_EFFECT_STATES}
    found = next((row for row in await _handoffs(root, info) if row.state in in_effect), None)
    return Handoff.from_row(found) if found else None


async def _open_handoffs(root: "HandoffContext", info: strawberry.Info[Context]) -> list[Handoff]:
    open_states = {state.value for state in OPEN_STATES}
    return [Handoff.from_row(row) for row in await _handoffs(root, info) if row.state in open_states]


async def _contacts_by_role(root: "HandoffContext", info: strawberry.Info[Context]) -> list[ContactsByRole]:
    grouped: dict[ContactRole | None, list[Contact]] = {}
    for contact in await contact_resolvers.account_contacts(root.account, info):
        grouped.setdefault(contact.role, []).append(contact)
    roles = sorted(grouped, key=lambda role: ROLE_ORDER[role] if role is not None else len(ROLE_ORDER))
    return [ContactsByRole(role=role, contacts=grouped[role]) for role in roles]


async def _health(root: "HandoffContext", info: strawberry.Info[Context]) -> HealthScore | None:
    return await account_health(root.account, info)


async def _usage(root: "HandoffContext", info: strawberry.Info[Context]) -> UsageSummary:
    return UsageSummary(
        active_users_30d=await usage_resolvers.account_active_users(root.account, info),
        licensed_seats=await contract_resolvers.account_licensed_seats(root.account, info),
        license_utilization=await usage_resolvers.account_license_utilization(root.account, info),
        last_seen=await usage_resolvers.account_last_seen_distribution(root.account, info),
    )


def count_argument(value: int) -> int:
    """The ``first`` of a list: InvalidInput outside 0…MAX_ITEMS."""
    if not 0 <= value <= MAX_ITEMS:
        raise InvalidInput(f"first: must be between 0 and {MAX_ITEMS}")
    return value


async def _open_tickets(root: "HandoffContext", info: strawberry.Info[Context], first: Count = 20) -> list[Ticket]:
    page = await account_tickets(root.account, info, OPEN_TICKETS, count_argument(first))
    return [edge.node for edge in page.edges]


async def _recent_timeline(
    root: "HandoffContext", info: strawberry.Info[Context], first: Count = 20
) -> list[TimelineEvent]:
    page = await account_timeline(root.account, info, count_argument(first))
    return [edge.node for edge in page.edges]


async def _open_action_items(root: "HandoffContext", info: strawberry.Info[Context]) -> list[ActionItem]:
    return await account_action_items(root.account, info)


async def _goals(root: "HandoffContext", info: strawberry.Info[Context]) -> list[Goal]:
    return await account_goals(root.account, info)


async def _alerts(root: "HandoffContext", info: strawberry.Info[Context]) -> list[Alert]:
    return await account_alerts(root.account, info)


@strawberry.type(description="Everything a CSM needs to take an account over, in one query.")
class HandoffContext:
    account: Account = strawberry.field(description="The account: profile, owners, sources and every 360 field.")
    ancestors: list[Account] = strawberry.field(
        resolver=_ancestors, description="The hierarchy above: parent first, then its parent, up to 10 levels."
    )
    subsidiaries: list[Account] = strawberry.field(resolver=_subsidiaries, description="Direct subsidiaries.")
    active_contracts: list[Contract] = strawberry.field(
        resolver=_active_contracts, description="Contracts in state ACTIVE, newest start first, with their lines."
    )
    handoff_in_effect: Handoff | None = strawberry.field(
        resolver=_handoff_in_effect,
        description="The handoff the CSM took (ACCEPTED, KICKOFF_HELD or FIRST_VALUE_REACHED), the newest if "
        "several: its goals, stakeholders, promises and risks; null if none was accepted.",
    )
    open_handoffs: list[Handoff] = strawberry.field(
        resolver=_open_handoffs,
        description="Handoffs sales are still on (DRAFT, SUBMITTED, RETURNED), newest first: at most one per deal.",
    )
    latest_handoff: Handoff | None = strawberry.field(
        resolver=_latest_handoff,
        description="The newest handoff, whatever its state; null if none.",
        deprecation_reason="The newest may be a draft started after the handoff in effect: read handoffInEffect "
        "and openHandoffs.",
    )
    contacts_by_role: list[ContactsByRole] = strawberry.field(
        resolver=_contacts_by_role, description="Contacts grouped by role (decision makers first; no role last)."
    )
    health: HealthScore | None = strawberry.field(
        resolver=_health, description="The latest overall health score; null until scored."
    )
    usage: UsageSummary = strawberry.field(resolver=_usage, description="Active users, seats and utilization.")
    open_tickets: list[Ticket] = strawberry.field(
        resolver=_open_tickets, description="Tickets not yet solved or closed, newest first."
    )
    recent_timeline: list[TimelineEvent] = strawberry.field(
        resolver=_recent_timeline, description="The newest timeline entries (recorded and derived)."
    )
    open_action_items: list[ActionItem] = strawberry.field(
        resolver=_open_action_items, description="Action items still open or in progress, due first."
    )
    goals: list[Goal] = strawberry.field(resolver=_goals, description="The success plan: the customer's goals.")
    open_alerts: list[Alert] = strawberry.field(resolver=_alerts, description="Unresolved risk alerts.")
    account_id: strawberry.Private[uuid.UUID]


async def handoff_context(
    info: strawberry.Info[Context],
    account_id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the account.")],
) -> HandoffContext | None:
    entity_id = decode_typed_id(account_id, "Account")
    row = await info.context.batch(account_queries.accounts_by_id).load((entity_id, None))
    if row is None:
        return None
    return HandoffContext(account=Account.from_row(row), account_id=entity_id)
