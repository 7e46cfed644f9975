"""The account list in SQL: the root ``accounts`` connection (and ``viewer.myAccounts``, narrowed to an owner).

Criteria, order and cursors are the resolvers' (``service.customer360.listing``, ``page_request``).
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from service.compiled import json_sql
from service.compiled.connections import Page, connection
from service.compiled.planner import Call, Row, refused_by_resolver
from service.customer360 import listing
from service.customer360.resolvers import page_request


def _sort_text(ordering: listing.Ordering, value: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """``str()`` of a sort value, as cursors hold it."""
    if ordering.key is listing.SortKey.CREATED_AT:
        return json_sql.str_datetime(value)
    if ordering.key is listing.SortKey.RENEWAL_DATE:
        # asyncpg sends the sentinels date.max/date.min as ±infinity; Python reads them back as those dates.
        return sa.case(
            (value == sa.literal_column("'infinity'::date"), json_sql.text(dt.date.max.isoformat())),
            (value == sa.literal_column("'-infinity'::date"), json_sql.text(dt.date.min.isoformat())),
            else_=json_sql.iso_date(value),
        )
    return sa.cast(value, sa.Text)


def account_list(
    call: Call, narrow: Callable[[listing.Criteria], listing.Criteria] | None = None
) -> sa.ColumnElement[Any]:
    """The root ``accounts`` connection (``narrow``: what ``viewer.myAccounts`` adds to the criteria)."""
    args = call.args
    with refused_by_resolver():
        limit, criteria, ordering, after = page_request(args["filter"], args["order_by"], args["first"], args["after"])
    if narrow is not None:
        criteria = narrow(criteria)
    rows = listing.page_select(criteria, ordering, call.today, after=after, limit=limit + 1).cte(
        call.planner.plan.name("page")
    )

    def cursor(alias: sa.FromClause) -> sa.ColumnElement[str]:
        parts = [json_sql.text(ordering.tag), _sort_text(ordering, alias.c.sort_value), sa.cast(alias.c.id, sa.Text)]
        return json_sql.cursor(parts)

    def count() -> sa.ColumnElement[int]:
        return listing.count_select(criteria, call.today).scalar_subquery()

    page = Page(
        lambda: rows.alias(call.planner.plan.name("edge")), Row.of, cursor, limit, args["after"] is not None, count
    )
    return connection(call, page)
