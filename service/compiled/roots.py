"""The root fields the planner compiles: each becomes the one value of one statement.

The arguments go through the resolvers' own parsing (``decode_typed_id``, ``page_request``,
``normalize_domain``…); when that refuses them the root falls back and the resolver raises the same error.
"""

from collections.abc import Callable, Hashable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from service.accounts.tables import accounts
from service.accounts.web_domains import normalize_domain
from service.action_items.tables import action_items
from service.compiled import json_sql
from service.compiled.account_list import account_list
from service.compiled.alerts import alert_list
from service.compiled.handoff_context import handoff_context
from service.compiled.handoffs import handoff_page
from service.compiled.planner import Call, NotCompiled, Row
from service.compiled.viewer import caller_shape, viewer_root
from service.contacts.tables import contacts
from service.contracts.tables import contracts
from service.errors import InvalidInput
from service.goals.tables import goals
from service.graphql.relay import decode_global_id, decode_typed_id
from service.handoffs.tables import handoffs
from service.sources.tables import source_links
from service.tickets.tables import tickets

RootSql = Callable[[Call], sa.ColumnElement[Any]]

# Node types by global id type name: their table (the planner compiles the type's declaration over it).
NODE_TABLES: dict[str, sa.Table] = {
    "Account": accounts,
    "Contact": contacts,
    "Contract": contracts,
    "Ticket": tickets,
    "Goal": goals,
    "ActionItem": action_items,
    "Handoff": handoffs,
}


def _by_key(
    call: Call,
    table: sa.Table,
    condition: Callable[[sa.FromClause], sa.ColumnElement[bool]],
    type_name: str | None = None,
) -> sa.ColumnElement[Any]:
    alias = call.alias(table)
    row = Row.of(alias)
    return json_sql.scalar(sa.select(call.object(row, type_name)).select_from(alias).where(condition(alias)), alias)


def _by_id(type_name: str) -> RootSql:
    def compile_by_id(call: Call) -> sa.ColumnElement[Any]:
        entity_id = call.late("id", lambda value: decode_typed_id(value, type_name), UUID)
        return _by_key(call, NODE_TABLES[type_name], lambda alias: alias.c.id == entity_id)

    return compile_by_id


def _node(call: Call) -> sa.ColumnElement[Any]:
    type_name = call.late_shape("id", lambda value: decode_global_id(value)[0])
    table = NODE_TABLES.get(type_name)
    if table is None:
        raise NotCompiled(f"node of type {type_name}")
    entity_id = call.late("id", lambda value: decode_typed_id(value, type_name), UUID)
    return _by_key(call, table, lambda alias: alias.c.id == entity_id, type_name)


def _normalized_domain(value: str) -> str:
    """The domain as the resolver looks it up; one it refuses is refused."""
    try:
        return normalize_domain(value)
    except ValueError as refused:
        raise InvalidInput(str(refused)) from None


def _account_by_domain(call: Call) -> sa.ColumnElement[Any]:
    domain = call.late("domain", _normalized_domain, sa.Text())
    return _by_key(call, accounts, lambda alias: alias.c.domain == domain)


def _same(value: Any) -> Any:
    return value


def _account_by_source(call: Call) -> sa.ColumnElement[Any]:
    source, external_id = call.late("source", _same, sa.Text()), call.late("external_id", _same, sa.Text())
    links = source_links.c
    linked = (
        sa.select(links.entity_id)
        .where(links.object_type == "account", links.source == source, links.external_id == external_id)
        .scalar_subquery()
    )
    return _by_key(call, accounts, lambda alias: alias.c.id == linked)


ROOTS: dict[str, RootSql] = {
    "account": _by_id("Account"),
    "contact": _by_id("Contact"),
    "contract": _by_id("Contract"),
    "ticket": _by_id("Ticket"),
    "handoff": _by_id("Handoff"),
    "handoffs": handoff_page,
    "handoffContext": handoff_context,
    "node": _node,
    "accountByDomain": _account_by_domain,
    "accountBySource": _account_by_source,
    "accounts": account_list,
    "alerts": alert_list,
    "viewer": viewer_root,
}
# Roots whose statement depends on who calls, not only on their role: a plan is kept per caller.
CALLER_SHAPES: dict[str, Callable[[Any], Hashable]] = {"viewer": caller_shape}
