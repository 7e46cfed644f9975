"""Relay connections in SQL: ``edges { cursor node }``, ``pageInfo`` and ``totalCount`` of a keyset page.

A page is a select of up to ``limit + 1`` rows with a ``position`` column (1, 2, …, in the connection's
order): the first ``limit`` are the edges, the extra row only says that more follow — as
``service.graphql.relay.paged`` does with the rows the resolvers fetch.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from service.compiled import json_sql
from service.compiled.planner import Call, NotCompiled, Row
from service.db_paging import PageRequest, after_condition, newest_first

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
    planner = call.planner
    connection_type = planner.object_type(_type_name_of(call.definition.type))
    grouped = planner.executor.collect_subfields(connection_type, call.details).grouped_field_set
    rows = page.rows()
    pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
    for response_name, details in grouped.items():
        name = details[0].node.name.value
        if name == "__typename":
            pairs.append((response_name, json_sql.text(connection_type.name)))
        elif name == "edges":
            pairs.append((response_name, _edges(call, connection_type, page, rows, details)))
        elif name == "pageInfo":
            pairs.append((response_name, _page_info(call, page, rows, details)))
        elif name == "totalCount" and page.count is not None:
            pairs.append((response_name, page.count()))
        else:
            raise NotCompiled(f"{connection_type.name}.{name} is not compiled")
    # GROUP BY (): one row even when the page is empty and nothing is aggregated (only `totalCount` asked).
    one_row = sa.select(json_sql.obj(pairs)).select_from(rows).group_by(sa.text("()"))
    return json_sql.scalar(one_row, rows)


def _on_page(page: Page, rows: sa.FromClause) -> sa.ColumnElement[bool]:
    return rows.c[POSITION] <= page.limit


def _edges(call: Call, connection_type: Any, page: Page, rows: sa.FromClause, details: Any) -> sa.ColumnElement[Any]:
    planner = call.planner
    edge_type = planner.object_type(_type_name_of(connection_type.fields["edges"].type))
    grouped = planner.executor.collect_subfields(edge_type, details).grouped_field_set
    pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
    for response_name, edge_details in grouped.items():
        name = edge_details[0].node.name.value
        if name == "__typename":
            pairs.append((response_name, json_sql.text(edge_type.name)))
        elif name == "cursor":
            pairs.append((response_name, page.cursor(rows)))
        elif name == "node":
            node_type = planner.object_type(_type_name_of(edge_type.fields["node"].type))
            pairs.append((response_name, planner.object(node_type, page.row(rows), edge_details)))
        else:
            raise NotCompiled(f"{edge_type.name}.{name} is not compiled")
    edges = sa.func.json_agg(aggregate_order_by(json_sql.obj(pairs), rows.c[POSITION])).filter(_on_page(page, rows))
    return sa.func.coalesce(edges, json_sql.EMPTY_LIST)


def _page_info(call: Call, page: Page, rows: sa.FromClause, details: Any) -> sa.ColumnElement[Any]:
    planner = call.planner
    info_type = planner.object_type("PageInfo")
    grouped = planner.executor.collect_subfields(info_type, details).grouped_field_set
    pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
    for response_name, info_details in grouped.items():
        name = info_details[0].node.name.value
        if name == "__typename":
            value: sa.ColumnElement[Any] = json_sql.text("PageInfo")
        elif name == "hasNextPage":
            value = sa.func.count() > page.limit
        elif name == "hasPreviousPage":
            value = sa.true() if page.after_given else sa.false()
        elif name in ("startCursor", "endCursor"):
            order = rows.c[POSITION].desc() if name == "endCursor" else rows.c[POSITION]
            cursors = sa.func.array_agg(aggregate_order_by(page.cursor(rows), order), type_=ARRAY(sa.Text))
            value = sa.type_coerce(cursors.filter(_on_page(page, rows)), ARRAY(sa.Text))[1]
        else:
            raise NotCompiled(f"PageInfo.{name} is not compiled")
        pairs.append((response_name, value))
    return json_sql.obj(pairs)


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
    """A per-account keyset page, newest first (``service.db_paging``), of the account row's ``table`` rows
    meeting ``where`` (written over ``table``); its cursor is (time, id), as the resolvers' edges make it."""
    account_key = call.row.c("id")
    account_row = call.row.alias

    def rows() -> sa.FromClause:
        alias = call.alias(table)
        adapt = Row.of(alias).adapt
        order = newest_first(alias, time_column)
        conditions = [alias.c.account_id == account_key, *(adapt(c) for c in where)]
        conditions += after_condition(alias, time_column, page)
        position = sa.func.row_number().over(order_by=order).label(POSITION)
        selected = sa.select(*alias.c, position).where(*conditions).order_by(*order).limit(page.limit + 1)
        return selected.correlate(account_row).lateral(call.planner.plan.name("page"))

    def cursor(found: sa.FromClause) -> sa.ColumnElement[str]:
        return json_sql.cursor([json_sql.iso_datetime(found.c[time_column]), sa.cast(found.c.id, sa.Text)])

    def counted() -> sa.ColumnElement[int]:
        alias = call.alias(table)
        adapt = Row.of(alias).adapt
        conditions = [alias.c.account_id == account_key, *(adapt(c) for c in where)]
        return json_sql.scalar(sa.select(sa.func.count()).select_from(alias).where(*conditions), alias)

    return Page(
        rows, lambda found: Row.of(found), cursor, page.limit, page.after is not None, counted if count else None
    )
