"""The building blocks of the per-type declarations: columns, value parts, global ids, related rows and lists.

Each returns a ``FieldSql`` — the field's SQL given its ``Call`` — written over the base tables and adapted to
the aliases of the row being compiled, so a declaration never names an alias.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from service.compiled import json_sql
from service.compiled.planner import Call, FieldSql, Row
from service.table_map import TypeMap

Link = Callable[[Row, Row], sa.ColumnElement[bool]]  # (parent row, child row) → the join condition


def column(expression: sa.ColumnElement[Any]) -> FieldSql:
    """A column (or an expression over the row's tables), printed as the field's type."""

    def compile_column(call: Call) -> sa.ColumnElement[Any]:
        return call.scalar(call.row.adapt(expression))

    return compile_column


def part(name: str) -> FieldSql:
    """A part of a value object (``Row.value``)."""

    def compile_part(call: Call) -> sa.ColumnElement[Any]:
        return call.scalar(call.row.values[name])

    return compile_part


def global_id(type_name: str, key: sa.ColumnElement[Any]) -> FieldSql:
    def compile_id(call: Call) -> sa.ColumnElement[Any]:
        return json_sql.global_id(type_name, call.row.adapt(key))

    return compile_id


def mapped_columns(type_map: TypeMap, *, node: bool = True) -> dict[str, FieldSql]:
    """The type's plain columns from ``service.table_map`` (its id as a global id when ``node``)."""
    fields = {name: column(expression) for name, expression in type_map.columns.items()}
    if node and type_map.exposes_id:
        fields["id"] = global_id(type_map.graphql_type, type_map.key)
    return fields


def _alias_row(
    call: Call, table: sa.FromClause, joins: Sequence[tuple[sa.FromClause, Link]]
) -> tuple[Row, sa.FromClause]:
    """A fresh alias of ``table`` (and of the tables it joins, each on its link) and the FROM they make."""
    alias = call.alias(table)
    row = Row.of(alias)
    source: sa.FromClause = alias
    for joined, on in joins:
        joined_alias = call.alias(joined)
        joined_row = Row.of(joined_alias)
        source = source.join(joined_alias, on(row, joined_row))
        row = Row(alias, (*row.adapters, *joined_row.adapters))
    return row, source


def many(
    table: sa.Table,
    link: Link,
    order: Sequence[sa.ColumnElement[Any]],
    *,
    where: Callable[[Call], Sequence[sa.ColumnElement[bool]]] | None = None,
    joins: Sequence[tuple[sa.FromClause, Link]] = (),
) -> FieldSql:
    """A list of the ``table`` rows linked to the parent row, in ``order`` (over the base tables)."""

    def compile_many(call: Call) -> sa.ColumnElement[Any]:
        row, source = _alias_row(call, table, joins)
        conditions = [link(call.row, row), *(row.adapt(c) for c in (where(call) if where else ()))]
        select = sa.select(sa.literal(1)).select_from(source).where(*conditions)
        return json_sql.json_list(call.object(row), [row.adapt(o) for o in order], select, source)

    return compile_many


def one(table: sa.Table, link: Link, joins: Sequence[tuple[sa.FromClause, Link]] = ()) -> FieldSql:
    """The ``table`` row linked to the parent row (or null)."""

    def compile_one(call: Call) -> sa.ColumnElement[Any]:
        row, source = _alias_row(call, table, joins)
        return json_sql.scalar(sa.select(call.object(row)).select_from(source).where(link(call.row, row)), source)

    return compile_one


def account_value(call: Call, found: sa.Subquery, parts: Mapping[str, sa.ColumnElement[Any]]) -> sa.ColumnElement[Any]:
    """The field's value object made of ``parts`` (over ``found``: a rule's rows, one per ``account_id``) for the
    row's account. ``found`` is left-joined to a single row on the account, so an account without a row still
    gets its object (with null parts: coalesce them); the condition is in the join, not in the derived table."""
    single = sa.select(sa.literal(1).label("one")).subquery()
    source = single.outerjoin(found, found.c.account_id == call.row.c("id"))
    return json_sql.scalar(sa.select(call.object(Row.value(**parts))).select_from(source), source)


def value_object(parts: Mapping[str, str]) -> dict[str, FieldSql]:
    """A value type's fields, each a part of ``Row.value`` (GraphQL name → part name)."""
    return {name: part(part_name) for name, part_name in parts.items()}
