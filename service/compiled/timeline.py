"""The account timeline in SQL: ``Account.timeline`` (recorded and derived entries, a keyset connection newest
first) and the TimelineEvent type.

A page is the resolvers' own ``service.timeline.queries.newest_entries`` (each source's newest rows after the
cursor, the derived rules of ``service.timeline.derived``) for the account row, in a lateral select with the
same kinds filter, cursor condition and order the resolvers' batched statement uses; ``totalCount`` counts
the timeline's whole union (``timeline_entries`` over every account) narrowed to the account row.
"""

import datetime as dt
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.util import ClauseAdapter

from service.compiled import json_sql
from service.compiled.connections import POSITION, Page, connection
from service.compiled.declare import mapped_columns
from service.compiled.planner import Call, ObjectSql, Row, refused_by_resolver
from service.db.paging import UNPAGED, PageRequest, newest_first
from service.graphql.relay import decode_time_cursor, page_size
from service.table_map import TIMELINE_EVENT
from service.timeline.queries import ALL_ENTRIES, TimelineQuery, entries_over, newest_entries, selected


def timeline_query(call: Call) -> TimelineQuery:
    """The resolver's own reading of the arguments (``account_timeline``); a refusal falls back."""
    kinds = call.args.get("kinds")
    with refused_by_resolver():
        page = PageRequest(limit=page_size(call.args.get("first")), after=decode_time_cursor(call.args.get("after")))
    return TimelineQuery(page=page, kinds=tuple(sorted({str(k.value) for k in kinds})) if kinds is not None else None)


def _entry_row(found: sa.FromClause) -> Row:
    """The TimelineEvent row over ``found`` (entry columns by name): the type map's columns are written over
    ``ALL_ENTRIES``, whose lineage a new union does not share; only its own columns are renamed."""
    own = set(ALL_ENTRIES.c)
    adapter = ClauseAdapter(found, adapt_on_names=True, include_fn=lambda column: column in own)
    return Row(found, (adapter,))


@lru_cache(maxsize=256)
def _entries(today: dt.date, kinds: tuple[str, ...] | None, name: str) -> sa.Subquery:
    """Every account's entries as of ``today`` (a union over six tables), for ``totalCount``: built once per day,
    kinds and name and reused by the plans that read it (the statement is immutable; the account is narrowed
    around it). A page reads ``newest_entries`` instead: only the newest rows of each source."""
    return entries_over(sa.bindparam(None, today, type_=sa.Date), TimelineQuery(UNPAGED, kinds), name)


def _account_timeline(call: Call) -> sa.ColumnElement[Any]:
    return connection(call, account_timeline_page(call))


def account_timeline_page(call: Call) -> Page:
    """The page of the account row's timeline the arguments (``first``, ``after``, ``kinds``) ask for."""
    query = timeline_query(call)
    account_key, account_row = call.row.c("id"), call.row.alias
    plan = call.planner.plan

    def rows() -> sa.FromClause:
        today = sa.bindparam(None, call.today, type_=sa.Date)
        entries = newest_entries(account_key, today, query, plan.name("entries")).subquery(plan.name("entries"))
        order = newest_first(entries, "occurred_at")
        position = sa.func.row_number().over(order_by=order).label(POSITION)
        selected_rows = sa.select(*entries.c, position).order_by(*order).limit(query.page.limit + 1)
        return selected_rows.correlate(account_row).lateral(plan.name("page"))

    def cursor(found: sa.FromClause) -> sa.ColumnElement[str]:
        return json_sql.cursor([json_sql.iso_datetime(found.c.occurred_at), sa.cast(found.c.id, sa.Text)])

    def count() -> sa.ColumnElement[int]:
        entries = _entries(call.today, query.kinds, plan.name("entries"))
        counted = sa.select(sa.func.count()).where(entries.c.account_id == account_key, *selected(entries, query))
        return json_sql.scalar(counted, entries)

    return Page(rows, _entry_row, cursor, query.page.limit, query.page.after is not None, count)


ACCOUNT_FIELDS = {"timeline": _account_timeline}

OBJECTS = {"TimelineEvent": ObjectSql(mapped_columns(TIMELINE_EVENT))}
