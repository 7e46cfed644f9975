"""``viewer`` in SQL: the caller and their working set — the root lists with the caller's owner names added.

What the caller is (person, key, role, owner names) comes from the request's principal, so a plan of this root
is kept per caller: ``caller_shape`` is part of its key. Its lists are ``accounts``, ``handoffs`` and
``alerts`` narrowed exactly as ``service.viewer.types`` narrows them, and the owner's action items by the
rule ``service.action_items.queries.owned_conditions`` states.
"""

import dataclasses
from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa

from service.action_items.queries import PLAN_ORDER, owned_conditions
from service.action_items.resolvers import item_statuses
from service.action_items.tables import action_items
from service.api_keys.service import Principal
from service.compiled import json_sql
from service.compiled.account_list import account_list
from service.compiled.alerts import alert_list
from service.compiled.declare import part
from service.compiled.handoffs import handoff_page
from service.compiled.planner import Call, ObjectSql, Row, refused_by_resolver
from service.graphql.relay import page_size
from service.viewer.owners import narrowed, owner_names, owns_as_sales


def caller_shape(principal: Principal | None) -> Hashable:
    """What a plan of ``viewer`` holds of the caller: who they are and the names they own by."""
    if principal is None:
        return None
    person = principal.person
    return (
        principal.key_id,
        principal.role,
        owner_names(principal),
        (person.id, person.email, person.display_name) if person is not None else None,
    )


def _principal(call: Call) -> Principal:
    principal: Principal | None = call.planner.executor.context_value.principal
    assert principal is not None  # authentication ran
    return principal


def viewer_root(call: Call) -> sa.ColumnElement[Any]:
    return call.object(Row.value())


def _person(call: Call) -> sa.ColumnElement[Any]:
    person = _principal(call).person
    if person is None:
        return sa.null()
    parts = {
        "id": sa.literal(str(person.id), sa.Text),
        "email": sa.literal(person.email, sa.Text),
        "displayName": sa.literal(person.display_name, sa.Text),
    }
    return call.object(Row.value(**parts))


def _api_key_id(call: Call) -> sa.ColumnElement[Any]:
    key_id = _principal(call).key_id
    return sa.null() if key_id is None else call.scalar(sa.literal(str(key_id), sa.Text))


def _role(call: Call) -> sa.ColumnElement[Any]:
    return call.scalar(sa.literal(_principal(call).role.value, sa.Text))


def _owner_names(call: Call) -> sa.ColumnElement[Any]:
    names = owner_names(_principal(call))
    return sa.func.to_json(sa.literal(list(names), sa.ARRAY(sa.Text)))


def _my_accounts(call: Call) -> sa.ColumnElement[Any]:
    principal = _principal(call)
    names = owner_names(principal)
    if owns_as_sales(principal):
        return account_list(call, lambda c: dataclasses.replace(c, sales_owners=narrowed(c.sales_owners, names)))
    return account_list(call, lambda c: dataclasses.replace(c, csm_owners=narrowed(c.csm_owners, names)))


def _my_handoffs(call: Call) -> sa.ColumnElement[Any]:
    principal = _principal(call)
    names = owner_names(principal)
    if owns_as_sales(principal):
        return handoff_page(call, lambda f: dataclasses.replace(f, sales_owners=narrowed(f.sales_owners, names)))
    return handoff_page(call, lambda f: dataclasses.replace(f, csm_owners=narrowed(f.csm_owners, names)))


def _my_alerts(call: Call) -> sa.ColumnElement[Any]:
    names = owner_names(_principal(call))
    return alert_list(call, lambda query: dataclasses.replace(query, csm_owners=names))


def _my_action_items(call: Call) -> sa.ColumnElement[Any]:
    with refused_by_resolver():
        limit = page_size(call.args.get("first"))
        statuses = item_statuses(call.args.get("status"))
    alias = call.alias(action_items)
    adapt = Row.of(alias).adapt
    ordered = [adapt(term) for term in PLAN_ORDER]
    conditions = [adapt(c) for c in owned_conditions(owner_names(_principal(call)), statuses)]
    page = (
        sa.select(*alias.c).where(*conditions).order_by(*ordered).limit(limit).subquery(call.planner.plan.name("mine"))
    )
    row = Row.of(page)
    order = [row.adapt(term) for term in PLAN_ORDER]
    return json_sql.json_list(call.object(row), order, sa.select(sa.literal(1)).select_from(page), page)


OBJECTS = {
    "Viewer": ObjectSql(
        {
            "person": _person,
            "apiKeyId": _api_key_id,
            "role": _role,
            "ownerNames": _owner_names,
            "myAccounts": _my_accounts,
            "myHandoffs": _my_handoffs,
            "myAlerts": _my_alerts,
            "myActionItems": _my_action_items,
        }
    ),
    "ViewerPerson": ObjectSql({"id": part("id"), "email": part("email"), "displayName": part("displayName")}),
}
