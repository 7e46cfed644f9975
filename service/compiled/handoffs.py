"""Handoffs in SQL: ``Account.handoffs``, the roots ``handoff(id)`` and ``handoffs(filter, first, after)``, the
Handoff type with its SLA figures, events, account and contract, and the record's groups read out of ``details``.

A group is a part of the JSONB document (the same keys ``service.handoffs.record`` writes), merged with the
columns the record keeps apart (the deal's ARR and dates, the timeline's kickoff and go-live dates); a group
missing from the document reads as the record's defaults do. Orders, filter conditions, SLA expressions and the
measurable/deciding/using rules are the domain's own (``service.handoffs.queries``, ``service.handoffs.record``).
``missingForSubmit`` is the submit gate built from the constants ``record.missing_for_submit`` reads.
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB

from service.accounts.tables import accounts
from service.compiled import json_sql
from service.compiled.connections import connection, table_page
from service.compiled.declare import column, many, mapped_columns, one
from service.compiled.planner import Call, FieldSql, ObjectSql, Row, refused_by_resolver
from service.contacts.tables import contacts
from service.contracts.tables import contracts
from service.db.paging import after_condition
from service.handoffs.queries import EVENT_ORDER, HANDOFF_ORDER, SLA_EXPRESSIONS, HandoffFilter, conditions
from service.handoffs.record import (
    DEAL_COLUMNS,
    DECIDING_ROLES,
    MEASURABLE_PARTS,
    NO_DECIDER,
    NO_MEASURABLE_GOAL,
    ONLY_WITH,
    REQUIRED_FIELDS,
    TIMELINE_COLUMNS,
    USING_ROLES,
    camel,
    required_path,
)
from service.handoffs.resolvers import page_request
from service.handoffs.tables import handoff_events, handoffs
from service.table_map import HANDOFF, HANDOFF_EVENT

h = handoffs.c
DOC = "doc"  # the Row.value part holding a group's (or a list item's) JSONB document
EMPTY_ARRAY = sa.literal_column("'[]'::jsonb", JSONB)
_COLUMN_FIELDS = {"deal": DEAL_COLUMNS, "timeline": TIMELINE_COLUMNS}  # group fields kept in columns


def _doc(call: Call) -> sa.ColumnElement[Any]:
    return call.row.values[DOC]


def _group_row(call: Call, key: str) -> Row:
    """The handoff's row, with the group's document as its ``DOC`` part (its column fields still read the row)."""
    return Row(call.row.alias, call.row.adapters, {DOC: call.row.adapt(h.details[key])})


def group(key: str) -> FieldSql:
    """A group of the record (one object)."""
    return lambda call: call.object(_group_row(call, key))


def _array(document: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The document when it is a JSON array, else ``[]`` (a list left out of the record is empty)."""
    return sa.case((sa.func.jsonb_typeof(document) == json_sql.text("array"), document), else_=EMPTY_ARRAY)


def items(document: Callable[[Call], sa.ColumnElement[Any]]) -> FieldSql:
    """A list of objects: one per item of the JSON array, in the array's order."""

    def compile_items(call: Call) -> sa.ColumnElement[Any]:
        found = (
            sa.func.jsonb_array_elements(_array(document(call)))
            .table_valued(sa.column("value", JSONB), with_ordinality="ordinality")
            .render_derived(name=call.planner.plan.name("item"))
        )
        item = call.object(Row.value(**{DOC: found.c.value}))
        return json_sql.json_list(item, [found.c.ordinality], sa.select(sa.literal(1)).select_from(found), found)

    return compile_items


def record_items(key: str) -> FieldSql:
    return items(lambda call: call.row.adapt(h.details[key]))


def text(key: str) -> FieldSql:
    """A text, date or decimal of the document as stored: the record writes them as their JSON text already."""
    return lambda call: _doc(call)[key].astext


def texts(key: str) -> FieldSql:
    """A list of strings of the document."""
    return lambda call: _array(_doc(call)[key])


def choice(key: str, default: str | None = None) -> FieldSql:
    """An enum of the document (its stored value; ``default`` when left out)."""

    def compile_choice(call: Call) -> sa.ColumnElement[Any]:
        stored: sa.ColumnElement[Any] = _doc(call)[key].astext
        if default is not None:
            stored = sa.func.coalesce(stored, json_sql.text(default))
        return call.scalar(stored)

    return compile_choice


def flag(key: str, default: Callable[[Call], sa.ColumnElement[bool]]) -> FieldSql:
    def compile_flag(call: Call) -> sa.ColumnElement[Any]:
        return sa.func.coalesce(sa.cast(_doc(call)[key].astext, sa.Boolean), default(call))

    return compile_flag


def _role_in(roles: tuple[str, ...]) -> Callable[[Call], sa.ColumnElement[bool]]:
    return lambda call: _doc(call)["role"].astext.in_(roles)


def _criterion_of(call: Call) -> sa.ColumnElement[Any]:
    return _doc(call)["success_criterion"]


def _success_criterion(call: Call) -> sa.ColumnElement[Any]:
    criterion = _criterion_of(call)
    present = sa.func.jsonb_typeof(criterion) == json_sql.text("object")
    return sa.case((present, call.object(Row.value(**{DOC: criterion}))), else_=sa.null())


def _is_measurable(goal: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """``record.Goal.is_measurable`` of a goal's document: a criterion with every one of ``MEASURABLE_PARTS``."""
    return sa.and_(*(goal["success_criterion"][name].astext.isnot(None) for name in MEASURABLE_PARTS))


def _measurable(call: Call) -> sa.ColumnElement[Any]:
    return _is_measurable(_doc(call))


def _record_field(group: str, name: str) -> sa.ColumnElement[Any]:
    """A field of a group of the record, over ``handoffs``: its column, or its part of ``details``."""
    return h[name] if name in _COLUMN_FIELDS[group] else h.details[group][name].astext


def _any_item(
    call: Call, key: str, condition: Callable[[sa.ColumnElement[Any]], sa.ColumnElement[bool]]
) -> sa.ColumnElement[bool]:
    found = (
        sa.func.jsonb_array_elements(_array(call.row.adapt(h.details[key])))
        .table_valued(sa.column("value", JSONB))
        .render_derived(name=call.planner.plan.name("item"))
    )
    return sa.exists().select_from(found).where(condition(found.c.value))


def _deciding(person: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """A stakeholder's document with a deciding role (``record.missing_for_submit``)."""
    role: sa.ColumnElement[str] = person["role"].astext
    return role.in_(DECIDING_ROLES)


def _lacks(call: Call, group: str, name: str) -> sa.ColumnElement[bool]:
    """The gate's required field is missing (and, per ``ONLY_WITH``, the field it goes with is there)."""
    missing = call.row.adapt(_record_field(group, name)).is_(None)
    needs = ONLY_WITH.get((group, name))
    if needs is None:
        return missing
    return sa.and_(missing, call.row.adapt(_record_field(*needs)).is_not(None))


def _missing_for_submit(call: Call) -> sa.ColumnElement[Any]:
    """``record.missing_for_submit``: the gate's texts, in its order (the same constants)."""
    gates = [
        sa.case((~_any_item(call, "goals", _is_measurable), json_sql.text(NO_MEASURABLE_GOAL))),
        sa.case((~_any_item(call, "stakeholders", _deciding), json_sql.text(NO_DECIDER))),
        *(
            sa.case((_lacks(call, group, name), json_sql.text(required_path(group, name))))
            for group, name in REQUIRED_FIELDS
        ),
    ]
    return sa.func.to_json(sa.func.array_remove(postgresql.array(gates), sa.null()))


def _arr(call: Call) -> sa.ColumnElement[Any]:
    """Money of the deal's ARR: null unless both the amount and the currency are given."""
    amount, currency = call.row.adapt(h.arr), call.row.adapt(h.currency)
    money = call.object(Row.value(amount=amount, currency=currency), "Money")
    return sa.case((sa.and_(amount.isnot(None), currency.isnot(None)), money), else_=sa.null())


def _stakeholder_contact(call: Call) -> sa.ColumnElement[Any]:
    alias = call.alias(contacts)
    contact_id = sa.cast(_doc(call)["contact_id"].astext, sa.Uuid)
    return json_sql.scalar(sa.select(call.object(Row.of(alias))).where(alias.c.id == contact_id), alias)


def _lead_time(call: Call) -> sa.ColumnElement[Any]:
    return sa.cast(_doc(call)["lead_time_days"].astext, sa.Integer)


def _sla(call: Call) -> sa.ColumnElement[Any]:
    parts = {camel(name): call.row.adapt(expression) for name, expression in SLA_EXPRESSIONS.items()}
    return call.object(Row.value(**parts, returnedCount=call.row.adapt(h.returned_count)))


def _part(name: str) -> FieldSql:
    return lambda call: call.scalar(call.row.values[name])


def handoff_page(call: Call, narrow: Callable[[HandoffFilter], HandoffFilter] | None = None) -> sa.ColumnElement[Any]:
    """The root ``handoffs`` connection (``narrow``: what ``viewer.myHandoffs`` adds to the filter)."""
    args = call.args
    with refused_by_resolver():
        chosen, page = page_request(args.get("filter"), args.get("first"), args.get("after"))
    if narrow is not None:
        chosen = narrow(chosen)

    where = [*conditions(chosen), *after_condition(handoffs, "created_at", page)]
    return connection(call, table_page(call, handoffs, HANDOFF_ORDER, where, conditions(chosen), "created_at", page))


ACCOUNT_FIELDS = {
    "handoffs": many(handoffs, lambda parent, child: child.c("account_id") == parent.c("id"), HANDOFF_ORDER),
}


# The record's groups: GraphQL field → key of the ``details`` document.
_GROUPS = {
    "deal": "deal",
    "whyTheyBought": "why_they_bought",
    "implementation": "implementation",
    "competition": "competition",
    "timeline": "timeline",
}
_LISTS = {name: name for name in ("goals", "stakeholders", "promises", "risks", "evidence")}

OBJECTS = {
    "Handoff": ObjectSql(
        {
            **mapped_columns(HANDOFF),
            **{name: group(key) for name, key in _GROUPS.items()},
            **{name: record_items(key) for name, key in _LISTS.items()},
            "sla": _sla,
            "events": many(handoff_events, lambda parent, child: child.c("handoff_id") == parent.c("id"), EVENT_ORDER),
            "account": one(accounts, lambda parent, child: child.c("id") == parent.c("account_id")),
            "contract": one(contracts, lambda parent, child: child.c("id") == parent.c("contract_id")),
            "missingForSubmit": _missing_for_submit,
        }
    ),
    "HandoffDeal": ObjectSql(
        {
            "products": texts("products"),
            "arr": _arr,
            "contractStartDate": column(h.contract_start_date),
            "contractEndDate": column(h.contract_end_date),
            "closedAt": column(h.closed_at),
            "pricingTerms": text("pricing_terms"),
            "discountPercent": text("discount_percent"),
            "billingTerms": text("billing_terms"),
            "scope": text("scope"),
            "outOfScope": texts("out_of_scope"),
        }
    ),
    "WhyTheyBought": ObjectSql(
        {
            "triggerEvent": text("trigger_event"),
            "painPoints": texts("pain_points"),
            "alternativesEvaluated": texts("alternatives_evaluated"),
            "whyWeWon": text("why_we_won"),
        }
    ),
    "HandoffGoal": ObjectSql(
        {"outcome": text("outcome"), "successCriterion": _success_criterion, "measurable": _measurable}
    ),
    "HandoffSuccessCriterion": ObjectSql(
        {camel(key): text(key) for key in ("metric", "unit", "baseline", "target", "due_on")}
    ),
    "Stakeholder": ObjectSql(
        {
            "name": text("name"),
            "role": choice("role"),
            "decides": flag("decides", _role_in(DECIDING_ROLES)),
            "uses": flag("uses", _role_in(USING_ROLES)),
            "notes": text("notes"),
            "contact": _stakeholder_contact,
        }
    ),
    "HandoffPromise": ObjectSql(
        {
            "kind": choice("kind"),
            "description": text("description"),
            "dueOn": text("due_on"),
            "promisedBy": text("promised_by"),
        }
    ),
    "HandoffImplementation": ObjectSql(
        {
            "preStartTasks": items(lambda call: _doc(call)["pre_start_tasks"]),
            "integrations": texts("integrations"),
            "dataMigration": text("data_migration"),
            "leadTimeDays": _lead_time,
        }
    ),
    "PreStartTask": ObjectSql(
        {
            "title": text("title"),
            "owner": text("owner"),
            "dueOn": text("due_on"),
            "done": flag("done", lambda call: sa.false()),
        }
    ),
    "HandoffRisk": ObjectSql(
        {"description": text("description"), "severity": choice("severity", "medium"), "mitigation": text("mitigation")}
    ),
    "HandoffCompetition": ObjectSql(
        {
            "situation": choice("situation"),
            "switchingCost": choice("switching_cost"),
            "competitorsInUse": texts("competitors_in_use"),
            "notes": text("notes"),
        }
    ),
    "HandoffTimeline": ObjectSql(
        {
            "introSentOn": text("intro_sent_on"),
            "kickoffDate": column(h.kickoff_date),
            "goLiveTargetDate": column(h.go_live_target_date),
            "firstValueMilestone": text("first_value_milestone"),
            "firstValueTargetDate": text("first_value_target_date"),
        }
    ),
    "EvidenceLink": ObjectSql({"kind": choice("kind"), "title": text("title"), "url": text("url")}),
    "HandoffSla": ObjectSql({name: _part(name) for name in (*map(camel, SLA_EXPRESSIONS), "returnedCount")}),
    "HandoffEvent": ObjectSql(mapped_columns(HANDOFF_EVENT, node=False)),
}
