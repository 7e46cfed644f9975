"""``handoffContext(accountId:)`` in SQL: the HandoffContext composition over the account's row, and ContactsByRole.

Each field is the account's own compiled field preset as ``service.customer360.handoff_context`` presets it (the same
``MAX_ANCESTORS``, ``ACTIVE_CONTRACTS``, ``OPEN_TICKETS``, ``ROLE_ORDER``, ``count_argument``); UsageSummary
is the account's usage fields with their resolvers' default arguments.
"""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from service.accounts.queries import CHILD_ORDER
from service.accounts.tables import accounts
from service.action_items.queries import PLAN_ORDER as ITEM_ORDER
from service.action_items.resolvers import item_statuses
from service.action_items.tables import action_items
from service.compiled import json_sql
from service.compiled.accounts import OBJECTS as ACCOUNT_OBJECTS
from service.compiled.alerts import ACCOUNT_FIELDS as ALERT_FIELDS
from service.compiled.bindings import STRAWBERRY_DEFINITION
from service.compiled.connections import POSITION, Page, account_page
from service.compiled.declare import many
from service.compiled.health import ACCOUNT_FIELDS as HEALTH_FIELDS
from service.compiled.planner import (
    Call,
    FieldSql,
    ObjectSql,
    Row,
    refused_by_resolver,
)
from service.compiled.timeline import account_timeline_page
from service.compiled.usage import ACCOUNT_FIELDS as USAGE_FIELDS
from service.contacts.queries import CONTACT_ORDER
from service.contacts.tables import contacts
from service.contracts.queries import CONTRACT_ORDER
from service.contracts.tables import contracts
from service.customer360.handoff_context import (
    ACTIVE_CONTRACTS,
    MAX_ANCESTORS,
    OPEN_TICKETS,
    ROLE_ORDER,
    count_argument,
)
from service.goals.queries import PLAN_ORDER
from service.goals.resolvers import goal_statuses
from service.goals.tables import goals
from service.graphql.relay import decode_typed_id
from service.handoffs.queries import HANDOFF_ORDER
from service.handoffs.tables import handoffs
from service.handoffs.workflow import IN_EFFECT_STATES, OPEN_STATES, State
from service.tickets.queries import conditions as ticket_conditions
from service.tickets.resolvers import ticket_query
from service.tickets.tables import tickets

ROLE = "role"  # the Row.value part of a ContactsByRole: its role (null for contacts without one)
ACCOUNT = "account_id"  # … and its account


def _contact_role(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A contact's role as the Contact type reads it (an empty role is none)."""
    return sa.func.nullif(column, json_sql.text(""))


def handoff_context(call: Call) -> sa.ColumnElement[Any]:
    account_id = call.late("account_id", lambda value: decode_typed_id(value, "Account"), UUID)
    alias = call.alias(accounts)
    return sa.select(call.object(Row.of(alias))).select_from(alias).where(alias.c.id == account_id).scalar_subquery()


def _ancestors(call: Call) -> sa.ColumnElement[Any]:
    """Parent first, then its parent…, up to ``MAX_ANCESTORS``, stopping before the account itself (a cycle)."""
    root = call.row
    up, step = call.alias(accounts), call.alias(accounts)
    chain = (
        sa.select(up.c.id, up.c.parent_account_id, sa.literal(1).label("depth"))
        .where(up.c.id == root.c("parent_account_id"))
        .correlate(root.alias)  # the account's row, not a FROM of the CTE
        .cte(call.planner.plan.name("up"), recursive=True, nesting=True)
    )
    chain = chain.union_all(
        sa.select(step.c.id, step.c.parent_account_id, chain.c.depth + 1)
        .select_from(chain.join(step, step.c.id == chain.c.parent_account_id))
        .where(chain.c.depth < MAX_ANCESTORS, chain.c.id != root.c("id"))
        .correlate(root.alias)
    )
    found = call.alias(accounts)
    joined = chain.join(found, found.c.id == chain.c.id)
    source = sa.select(sa.literal(1)).select_from(joined).where(chain.c.id != root.c("id"))
    return json_sql.json_list(call.object(Row.of(found)), [chain.c.depth], source, joined)


def _latest_handoff(call: Call, states: Sequence[State] | None = None) -> sa.ColumnElement[Any]:
    """The account's newest handoff (in one of ``states``)."""
    alias = call.alias(handoffs)
    adapt = Row.of(alias).adapt
    latest = sa.select(call.object(Row.of(alias))).where(alias.c.account_id == call.row.c("id"))
    if states is not None:
        latest = latest.where(alias.c.state.in_([state.value for state in states]))
    return json_sql.scalar(latest.order_by(*(adapt(term) for term in HANDOFF_ORDER)).limit(1), alias)


_open_handoffs = many(
    handoffs,
    lambda parent, child: child.c("account_id") == parent.c("id"),
    HANDOFF_ORDER,
    where=lambda _: [handoffs.c.state.in_([state.value for state in OPEN_STATES])],
)


def _contacts_by_role(call: Call) -> sa.ColumnElement[Any]:
    alias = call.alias(contacts)
    role = _contact_role(alias.c.role).label(ROLE)
    roles = (
        sa.select(alias.c.account_id, role)
        .where(alias.c.account_id == call.row.c("id"))
        .group_by(alias.c.account_id, role)
        .correlate(call.row.alias)
        .lateral(call.planner.plan.name("roles"))
    )
    order = sa.case(
        *((roles.c[ROLE] == json_sql.text(str(value.value)), position) for value, position in ROLE_ORDER.items()),
        else_=len(ROLE_ORDER),
    )
    # The group's own columns (a reference to the account's row two subqueries down would not correlate).
    group = Row.value(**{ROLE: roles.c[ROLE], ACCOUNT: roles.c.account_id})
    return json_sql.json_list(call.object(group), [order], sa.select(sa.literal(1)).select_from(roles), roles)


def _group_contacts(call: Call) -> sa.ColumnElement[Any]:
    alias = call.alias(contacts)
    row = Row.of(alias)
    where = [
        alias.c.account_id == call.row.values[ACCOUNT],
        _contact_role(alias.c.role).is_not_distinct_from(call.row.values[ROLE]),
    ]
    source = sa.select(sa.literal(1)).select_from(alias).where(*where)
    return json_sql.json_list(call.object(row), [row.adapt(term) for term in CONTACT_ORDER], source, alias)


def _first(call: Call) -> int:
    with refused_by_resolver():
        return count_argument(call.args["first"])


def _nodes(call: Call, page: Page) -> sa.ColumnElement[Any]:
    """The nodes of a page's edges, in the page's order (a list field made of a connection's page)."""
    rows = page.rows()
    source = sa.select(sa.literal(1)).select_from(rows).where(rows.c[POSITION] <= page.limit)
    return json_sql.json_list(call.object(page.row(rows)), [rows.c[POSITION]], source, rows)


def _open_tickets(call: Call) -> sa.ColumnElement[Any]:
    query = ticket_query(OPEN_TICKETS, _first(call), None)
    return _nodes(call, account_page(call, tickets, "opened_at", query.page, ticket_conditions(query), count=False))


def _recent_timeline(call: Call) -> sa.ColumnElement[Any]:
    """``account_timeline(first=count_argument(first))``: the arguments the timeline page reads."""
    return _nodes(call, account_timeline_page(replace(call, args={"first": _first(call)})))


def account_field(name: str, compile_field: FieldSql) -> FieldSql:
    """The account's compiled field ``name`` read with its resolver's default arguments, as ``handoff_context``
    calls the resolver (``account_active_users(root.account, info)``: ``days`` 30)."""

    def compile_default(call: Call) -> sa.ColumnElement[Any]:
        definition = call.planner.object_type("Account").fields[name].extensions[STRAWBERRY_DEFINITION]
        return compile_field(replace(call, args={arg.python_name: arg.default for arg in definition.arguments}))

    return compile_default


def _by_account(parent: Row, child: Row) -> sa.ColumnElement[bool]:
    return child.c("account_id") == parent.c("id")


def _statuses(column: sa.ColumnElement[Any], states: tuple[str, ...] | None) -> list[sa.ColumnElement[bool]]:
    return [] if states is None else [column.in_(states)]


OBJECTS = {
    "HandoffContext": ObjectSql(
        {
            "account": lambda call: call.object(call.row),
            "ancestors": _ancestors,
            "subsidiaries": many(
                accounts, lambda parent, child: child.c("parent_account_id") == parent.c("id"), CHILD_ORDER
            ),
            "activeContracts": many(
                contracts,
                _by_account,
                CONTRACT_ORDER,
                where=lambda call: [contracts.c.status.in_([str(s.value) for s in ACTIVE_CONTRACTS])],
            ),
            "latestHandoff": _latest_handoff,
            "handoffInEffect": lambda call: _latest_handoff(call, IN_EFFECT_STATES),
            "openHandoffs": _open_handoffs,
            "contactsByRole": _contacts_by_role,
            "openTickets": _open_tickets,
            "openActionItems": many(
                action_items,
                _by_account,
                ITEM_ORDER,
                where=lambda call: _statuses(action_items.c.status, item_statuses(None)),
            ),
            "health": HEALTH_FIELDS["health"],  # the account's, with its default name (overall)
            "openAlerts": ALERT_FIELDS["alerts"],  # the account's, with its default states (unresolved)
            "recentTimeline": _recent_timeline,
            "usage": lambda call: call.object(call.row),
            "goals": many(
                goals, _by_account, PLAN_ORDER, where=lambda call: _statuses(goals.c.status, goal_statuses(None))
            ),
        }
    ),
    "UsageSummary": ObjectSql(
        {
            "activeUsers30d": account_field("activeUsers", USAGE_FIELDS["activeUsers"]),
            "licensedSeats": account_field("licensedSeats", ACCOUNT_OBJECTS["Account"].fields["licensedSeats"]),
            "licenseUtilization": account_field("licenseUtilization", USAGE_FIELDS["licenseUtilization"]),
            "lastSeen": account_field("lastSeenDistribution", USAGE_FIELDS["lastSeenDistribution"]),
        }
    ),
    "ContactsByRole": ObjectSql({"role": lambda call: call.scalar(call.row.values[ROLE]), "contacts": _group_contacts}),
}
