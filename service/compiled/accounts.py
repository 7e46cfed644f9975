"""The account profile, its hierarchy, contacts, sources, contracts and revenue figures, in SQL.

Columns come from ``service.table_map``; orders and revenue rules from each domain's queries (the same
``CONTACT_ORDER``, ``active_lines``, ``mrr_by_currency``… the resolvers' batched statements use).
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from service.accounts.queries import CHILD_ORDER
from service.accounts.tables import accounts
from service.compiled import json_sql
from service.compiled.declare import column, many, mapped_columns, one, value_object
from service.compiled.planner import Call, FieldSql, ObjectSql, Row
from service.contacts.queries import CONTACT_ORDER
from service.contacts.tables import contacts
from service.contracts.queries import (
    CONTRACT_ORDER,
    LINE_ORDER,
    active_lines,
    annual,
    mrr_by_currency,
    next_renewal_dates,
    seats_by_account,
)
from service.contracts.tables import contract_lines, contracts, products
from service.sources.queries import SOURCE_ORDER
from service.sources.tables import source_links
from service.table_map import ACCOUNT, ACCOUNT_SOURCE, CONTACT, CONTRACT, CONTRACT_LINE, PRODUCT

a, k = accounts.c, contracts.c


def _day(call: Call) -> sa.ColumnElement[dt.date]:
    """The field's ``asOf`` day, else the request's today."""
    day: dt.date = call.args.get("as_of") or call.today
    return sa.bindparam(None, day, type_=sa.Date)


def _account_key(call: Call) -> sa.ColumnElement[Any]:
    return call.row.c("id")


# Each figure is its rule's rows for every account, narrowed to this row's account in the scalar subquery's own
# WHERE (a derived table cannot correlate): PostgreSQL pushes the condition down to the rule's scans.


def _revenue(amount: Callable[[sa.ColumnElement[Any]], sa.ColumnElement[Any]]) -> FieldSql:
    """``[Money]`` by currency of the account's MRR on the field's day, each ``amount(mrr)``. The MRR per
    currency is one figure of the object (``mrr`` and ``arr`` of the same day share it): the currencies and
    amounts as two arrays in currency order, unnested by each field."""

    def compile_revenue(call: Call) -> sa.ColumnElement[Any]:
        day: dt.date = call.args.get("as_of") or call.today

        def rule() -> sa.Select[Any]:
            found = mrr_by_currency(active_lines(sa.bindparam(None, day, type_=sa.Date))).subquery()
            in_order = found.c.currency

            def ordered(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
                return sa.func.array_agg(aggregate_order_by(column, in_order))

            return sa.select(
                found.c.account_id, ordered(found.c.currency).label("currencies"), ordered(found.c.mrr).label("mrr")
            ).group_by(found.c.account_id)

        revenue = call.figure(("mrr", day), rule)
        items = (
            sa.func.unnest(revenue.c.currencies, revenue.c.mrr)
            .table_valued("currency", "mrr", with_ordinality="position")
            .render_derived(call.planner.plan.name("money"))
        )
        money = call.object(Row.value(amount=amount(items.c.mrr), currency=items.c.currency), "Money")
        return json_sql.json_list(money, [items.c.position], sa.select(sa.literal(1)).select_from(items), items)

    return compile_revenue


def _renewal_date(call: Call) -> sa.ColumnElement[Any]:
    found = next_renewal_dates(_day(call)).subquery()
    renewal = sa.select(found.c.renewal_date).where(found.c.account_id == _account_key(call))
    return call.scalar(json_sql.scalar(renewal, found))


def seats_on(call: Call, day: dt.date) -> sa.ColumnElement[Any]:
    """The row's account's licensed seats on ``day`` (0 without any); shared with the object's other fields
    that read them (``licensedSeats`` and ``licenseUtilization``)."""
    found = call.figure(("seats", day), lambda: seats_by_account(day))
    return sa.func.coalesce(found.c.seats, 0)


def _licensed_seats(call: Call) -> sa.ColumnElement[Any]:
    return seats_on(call, call.args.get("as_of") or call.today)


def _contract_statuses(call: Call) -> list[sa.ColumnElement[bool]]:
    status = call.args.get("status")
    if status is None:
        return []
    return [k.status.in_(sorted({str(s.value) for s in status}))] if status else [sa.false()]


def _line_money(amount: str) -> Any:
    def compile_money(call: Call) -> sa.ColumnElement[Any]:
        value = call.row.adapt(contract_lines.c[amount])
        money = call.object(Row.value(amount=value, currency=call.row.adapt(k.currency)))
        return json_sql.nullable_obj(value, money)

    return compile_money


def _by_account(parent: Row, child: Row) -> sa.ColumnElement[bool]:
    return child.adapt(contacts.c.account_id) == parent.c("id")


OBJECTS = {
    "Account": ObjectSql(
        {
            **mapped_columns(ACCOUNT),
            "parent": one(accounts, lambda parent, child: child.c("id") == parent.c("parent_account_id")),
            "children": many(
                accounts, lambda parent, child: child.c("parent_account_id") == parent.c("id"), CHILD_ORDER
            ),
            "contacts": many(contacts, _by_account, CONTACT_ORDER),
            "contracts": many(
                contracts,
                lambda parent, child: child.c("account_id") == parent.c("id"),
                CONTRACT_ORDER,
                where=_contract_statuses,
            ),
            "sources": many(
                source_links,
                lambda parent, child: sa.and_(
                    child.c("object_type") == "account", child.c("entity_id") == parent.c("id")
                ),
                SOURCE_ORDER,
            ),
            "mrr": _revenue(lambda mrr: mrr),
            "arr": _revenue(annual),
            "renewalDate": _renewal_date,
            "licensedSeats": _licensed_seats,
        }
    ),
    "Contact": ObjectSql(
        {
            **mapped_columns(CONTACT),
            "account": one(accounts, lambda parent, child: child.c("id") == parent.c("account_id")),
        }
    ),
    "Contract": ObjectSql(
        {
            **mapped_columns(CONTRACT),
            "lines": many(
                contract_lines,
                lambda parent, child: child.c("contract_id") == parent.c("id"),
                LINE_ORDER,
                joins=(
                    (contracts, lambda line, contract: contract.c("id") == line.c("contract_id")),
                    (products, lambda line, product: product.c("id") == line.c("product_id")),
                ),
            ),
            "account": one(accounts, lambda parent, child: child.c("id") == parent.c("account_id")),
        }
    ),
    "ContractLine": ObjectSql(
        {
            **mapped_columns(CONTRACT_LINE),
            "product": lambda call: call.object(call.row),
            "mrr": _line_money("mrr"),
            "unitPrice": _line_money("unit_price"),
        }
    ),
    "Product": ObjectSql({name: column(expression) for name, expression in PRODUCT.columns.items()}),
    "Money": ObjectSql(value_object({"amount": "amount", "currency": "currency"})),
    "AccountSource": ObjectSql(mapped_columns(ACCOUNT_SOURCE)),
}
