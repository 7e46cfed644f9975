"""Relay connections in SQL: ``edges { cursor node }``, ``pageInfo`` and ``totalCount`` of a keyset page.

A page is a select of up to ``limit + 1`` rows with a ``position`` column (1, 2, …, in the connection's
order): the first ``limit`` are the edges, the extra row only says that more follow — as
``service.graphql.relay.paged`` does with the rows the resolvers fetch.
"""

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from service.compiled import json_sql
from service.compiled.planner import Call, NotCompiled, Row
from service.db.paging import PageRequest, after_condition, newest_first

POSITION = "position"


@dataclass(frozen=True, slots=True)
class Page:
    rows: Callable[[], sa.FromClause]  # the page's rows with their POSITION, up to limit + 1 (a new FROM each call)
    row: Callable[[sa.FromClause], Row]  # the node's row over ``rows``
    cursor: Callable[[sa.FromClause], sa.ColumnElement[str]]  # an edge's cursor over ``rows``
    limit: int
    after_given: bool
    count: Callable[[], sa.ColumnElement[int]] | None = None  # totalCount, over all pages


def connection(call: Call, page: Page) -> sa.ColumnElement[Any]:
    """The connection object the field's selection asks for: one aggregate over the page's rows (edges,
    ``hasNextPage`` and the cursors all come from one pass; ``totalCount`` is its own count)."""
    connection_type = call.planner.object_type(_type_name_of(call.definition.type))
    rows = page.rows()

    def value(name: str, details: Any) -> sa.ColumnElement[Any]:
        if name == "edges":
            return _edges(call, connection_type, page, rows, details)
        if name == "pageInfo":
            return _page_info(call, page, rows, details)
        if name == "totalCount" and page.count is not None:
            return page.count()
        raise NotCompiled(f"{connection_type.name}.{name} is not compiled")

    answer = call.planner.selection(connection_type, call.details, value)
    # GROUP BY (): one row even when the page is empty and nothing is aggregated (only `totalCount` asked).
    return json_sql.scalar(sa.select(answer).select_from(rows).group_by(sa.text("()")), rows)


def _on_page(page: Page, rows: sa.FromClause) -> sa.ColumnElement[bool]:
    return rows.c[POSITION] <= page.limit


def _edges(call: Call, connection_type: Any, page: Page, rows: sa.FromClause, details: Any) -> sa.ColumnElement[Any]:
    planner = call.planner
    edge_type = planner.object_type(_type_name_of(connection_type.fields["edges"].type))

    def value(name: str, edge_details: Any) -> sa.ColumnElement[Any]:
        if name == "cursor":
            return page.cursor(rows)
        if name == "node":
            node_type = planner.object_type(_type_name_of(edge_type.fields["node"].type))
            return planner.object(node_type, page.row(rows), edge_details)
        raise NotCompiled(f"{edge_type.name}.{name} is not compiled")

    edge = planner.selection(edge_type, details, value)
    edges = sa.func.json_agg(aggregate_order_by(edge, rows.c[POSITION])).filter(_on_page(page, rows))
    return sa.func.coalesce(edges, json_sql.EMPTY_LIST)


def _page_info(call: Call, page: Page, rows: sa.FromClause, details: Any) -> sa.ColumnElement[Any]:
    def value(name: str, _: Any) -> sa.ColumnElement[Any]:
        if name == "hasNextPage":
            return sa.func.count() > page.limit
        if name == "hasPreviousPage":
            return sa.true() if page.after_given else sa.false()
        if name in ("startCursor", "endCursor"):
            order = rows.c[POSITION].desc() if name == "endCursor" else rows.c[POSITION]
            cursors = sa.func.array_agg(aggregate_order_by(page.cursor(rows), order), type_=ARRAY(sa.Text))
            return sa.type_coerce(cursors.filter(_on_page(page, rows)), ARRAY(sa.Text))[1]
        raise NotCompiled(f"PageInfo.{name} is not compiled")

    return call.planner.selection(call.planner.object_type("PageInfo"), details, value)


def _type_name_of(kind: Any) -> str:
    while hasattr(kind, "of_type"):
        kind = kind.of_type
    return str(kind.name)


def account_page(
    call: Call,
    table: sa.Table,
    time_column: str,
    page: PageRequest,
    where: Sequence[sa.ColumnElement[bool]],
    count: bool = True,
) -> Page:
    """A per-account keyset page, newest first (``service.db.paging``), of the account row's ``table`` rows
    meeting ``where`` (written over ``table``): a ``table_page`` correlated to the account row."""
    mine = [table.c.account_id == call.row.c("id"), *where]
    found = table_page(
        call,
        table,
        newest_first(table, time_column),
        [*mine, *after_condition(table, time_column, page)],
        mine,
        time_column,
        page,
        correlate=call.row.alias,
    )
    return found if count else dataclasses.replace(found, count=None)


def table_page(
    call: Call,
    table: sa.Table,
    order: Sequence[sa.ColumnElement[Any]],
    where: Sequence[sa.ColumnElement[bool]],
    counted: Sequence[sa.ColumnElement[bool]],
    time_column: str,
    page: PageRequest,
    correlate: sa.FromClause | None = None,
) -> Page:
    """A keyset page of ``table``: the rows meeting ``where`` (cursor included) in ``order``, the first
    ``page.limit``; ``counted`` (without the cursor) for ``totalCount``. All written over ``table``; the
    cursor is (time, id), as the resolvers' edges make it. ``correlate``: the enclosing row the conditions
    read (the page is then a LATERAL subquery of it)."""

    def rows() -> sa.FromClause:
        alias = call.alias(table)
        adapt = Row.of(alias).adapt
        ordered = [adapt(term) for term in order]
        position = sa.func.row_number().over(order_by=ordered).label(POSITION)
        selected = sa.select(*alias.c, position).where(*(adapt(c) for c in where))
        selected = selected.order_by(*ordered).limit(page.limit + 1)
        name = call.planner.plan.name("page")
        return selected.subquery(name) if correlate is None else selected.correlate(correlate).lateral(name)

    def cursor(found: sa.FromClause) -> sa.ColumnElement[str]:
        return json_sql.cursor([json_sql.iso_datetime(found.c[time_column]), sa.cast(found.c.id, sa.Text)])

    def count() -> sa.ColumnElement[int]:
        alias = call.alias(table)
        adapt = Row.of(alias).adapt
        return json_sql.scalar(sa.select(sa.func.count()).select_from(alias).where(*(adapt(c) for c in counted)), alias)

    return Page(rows, Row.of, cursor, page.limit, page.after is not None, count)
