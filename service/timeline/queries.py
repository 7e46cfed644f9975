"""SQL of the unified timeline: recorded ``timeline_events`` rows and the entries ``derived`` from the hub's
records, merged in one UNION ALL and paged per account with one keyset, newest first.

One statement per loader batch: per account of the batch (a lateral join), each source's newest entries after
the cursor with the kinds filter (``newest_entries``: a page reads what it shows, however long the history),
``row_number()`` per account on ``(occurred_at DESC, id DESC)`` — ids are unique across sources, so the order
is total and a page never skips or repeats an entry, even among equal timestamps — and, for the rows of the
page only, the source system of a contract, ticket or survey from ``source_links``. A cursor is a position in
that one order, whatever the filter it came from. ``totalCount`` counts the whole union.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.paging import PageRequest, after_condition, newest_first
from service.db.rows import row_into, text_array, uuid_array
from service.sources.tables import source_links
from service.timeline import derived
from service.timeline.derived import HUB_SOURCE, RECORDED, Ids
from service.timeline.tables import TIMELINE_KINDS, timeline_events


@dataclass(frozen=True, slots=True)
class TimelineRow:
    id: uuid.UUID
    account_id: uuid.UUID
    kind: str
    occurred_at: dt.datetime
    summary: str
    actor: str | None
    source: str | None
    origin: str


@dataclass(frozen=True, slots=True)
class TimelineQuery:
    page: PageRequest
    kinds: tuple[str, ...] | None = None  # recorded and derived kinds alike; None: all


def _recorded(ids: Ids, today: sa.ColumnElement[Any]) -> sa.Select[Any]:
    tl = timeline_events.c
    return sa.select(
        tl.id,
        tl.account_id,
        tl.kind,
        tl.occurred_at,
        tl.summary,
        tl.actor,
        tl.source,
        derived.text(RECORDED).label("origin"),
        tl.id.label("origin_id"),
        sa.null().cast(sa.Text).label("link_type"),
    ).where(sa.true() if ids is None else tl.account_id == sa.any_(ids))


Branch = Callable[[Ids, sa.ColumnElement[Any]], sa.Select[Any]]

# Each source of entries with the kinds it yields, so a kinds filter leaves out whole sources.
BRANCHES: tuple[tuple[frozenset[str], Branch], ...] = (
    (frozenset(TIMELINE_KINDS), _recorded),
    (frozenset({derived.CONTRACT_STARTED}), derived.contract_started),
    (frozenset({derived.CONTRACT_RENEWED}), derived.contract_renewed),
    (frozenset({derived.CONTRACT_ENDED}), derived.contract_ended),
    (frozenset({derived.TICKET_OPENED}), derived.ticket_opened),
    (frozenset({derived.TICKET_SOLVED}), derived.ticket_solved),
    (frozenset({derived.SURVEY_ANSWERED}), derived.survey_answered),
    (frozenset({derived.HANDOFF_TRANSITION}), derived.handoff_transition),
    (frozenset({derived.HEALTH_BAND_CHANGED}), derived.health_band_changed),
)


def _wanted(kinds: tuple[str, ...] | None) -> list[Branch]:
    """The sources of entries ``kinds`` can come from (None: every source)."""
    return [branch for yields, branch in BRANCHES if kinds is None or yields & set(kinds)] or [_recorded]


def timeline_entries(
    ids: Ids, today: sa.ColumnElement[Any], kinds: tuple[str, ...] | None = None, name: str = "entries"
) -> sa.Subquery:
    """Every timeline entry of the accounts ``ids`` as of ``today`` (the sources ``kinds`` can come from)."""
    return sa.union_all(*(branch(ids, today) for branch in _wanted(kinds))).subquery(name)


def newest_entries(
    account_id: sa.ColumnElement[Any], today: sa.ColumnElement[Any], query: TimelineQuery, name: str
) -> sa.CompoundSelect[Any]:
    """The entries of ``query``'s page of one account's timeline, and one more — taken from each source's own
    newest rows after the cursor (at most ``limit + 1`` from each), so that a page reads what it shows, not the
    account's whole history: the account and time index of each table (tickets: opened and solved) serves its
    source, and an account with 100,000 tickets pages as fast as one with ten. The newest ``limit + 1`` of
    this union are the newest of all the account's entries (each is among its own source's newest). Every
    table the parts name besides their own is correlated (``account_id`` is the row of an enclosing
    statement: a lateral join)."""
    parts = []
    for number, branch in enumerate(_wanted(query.kinds)):
        found = branch(None, today).subquery(f"{name}_{number}")
        parts.append(
            sa.select(*found.c)
            .where(found.c.account_id == account_id, *page_of(found, query))
            .order_by(*newest_first(found, "occurred_at"))
            .limit(query.page.limit + 1)
            .correlate_except(found)
        )
    return sa.union_all(*parts)


def entry_source(entries: sa.FromClause) -> sa.ColumnElement[Any]:
    """The entry's source system: its own, else (contracts, tickets, surveys) the system that first sent the
    record it derives from, else ``cshub``."""
    sl = source_links.c
    first_sender = (
        sa.select(sl.source)
        .where(sl.object_type == entries.c.link_type, sl.entity_id == entries.c.origin_id)
        .order_by(sl.first_seen_at, sl.source)
        .limit(1)
        .scalar_subquery()
    )
    return sa.case(
        (entries.c.link_type.is_(None), entries.c.source),
        else_=sa.func.coalesce(first_sender, HUB_SOURCE, type_=sa.Text),
    )


# The timeline as one selectable, for the type map (service.table_map): ``today`` is the request's day.
ALL_ENTRIES = timeline_entries(None, sa.bindparam("today", None, type_=sa.Date))


def selected(entries: sa.FromClause, query: TimelineQuery) -> list[sa.ColumnElement[bool]]:
    """The entries ``query`` selects over all pages: its kinds (the compiled read path shares this rule)."""
    return [] if query.kinds is None else [entries.c.kind == sa.any_(text_array(query.kinds, None))]


def page_of(entries: sa.FromClause, query: TimelineQuery) -> list[sa.ColumnElement[bool]]:
    """The entries of ``query``'s page and the pages after it: its kinds, after its cursor."""
    return [*selected(entries, query), *after_condition(entries, "occurred_at", query.page)]


def entries_over(today: sa.ColumnElement[Any], query: TimelineQuery, name: str) -> sa.Subquery:
    """Every account's entries as of ``today`` (the sources ``query``'s kinds come from), named ``name``: the
    compiled read path narrows them to its account row."""
    return timeline_entries(None, today, query.kinds, name)


def _entries_of(account_ids: Sequence[uuid.UUID], query: TimelineQuery, today: dt.date) -> sa.Subquery:
    return timeline_entries(
        uuid_array(account_ids, "account_ids"), sa.bindparam("today", today, type_=sa.Date), query.kinds
    )


async def timeline_pages(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: TimelineQuery, today: dt.date
) -> dict[uuid.UUID, list[TimelineRow]]:
    """Per account up to ``query.page.limit + 1`` entries after the cursor, newest first — one statement, each
    account's page read by ``newest_entries`` in a lateral join."""
    batch = sa.func.unnest(uuid_array(account_ids, "account_ids")).table_valued(sa.column("id", sa.Uuid))
    accounts = batch.render_derived("batch")
    entries = newest_entries(accounts.c.id, sa.bindparam("today", today, type_=sa.Date), query, "entries")
    page = entries.lateral("page")
    e = page.c
    position = sa.func.row_number().over(partition_by=e.account_id, order_by=newest_first(page, "occurred_at"))
    numbered = (
        sa.select(*e, position.label("position")).select_from(accounts.join(page, sa.true())).subquery("numbered")
    )
    n = numbered.c
    rows = await conn.execute(
        sa.select(n.id, n.account_id, n.kind, n.occurred_at, n.summary, n.actor, n.origin)
        .add_columns(entry_source(numbered).label("source"))
        .where(n.position <= query.page.limit + 1)
        .order_by(n.account_id, n.position)
    )
    grouped: dict[uuid.UUID, list[TimelineRow]] = {}
    for row in rows:
        grouped.setdefault(row.account_id, []).append(row_into(TimelineRow, row))
    return grouped


async def timeline_counts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: TimelineQuery, today: dt.date
) -> dict[uuid.UUID, int]:
    """Per account the number of entries ``query`` selects, over all pages."""
    entries = _entries_of(account_ids, query, today)
    rows = await conn.execute(
        sa.select(entries.c.account_id, sa.func.count()).where(*selected(entries, query)).group_by(entries.c.account_id)
    )
    return {row[0]: int(row[1]) for row in rows}


async def timeline_pages_as_of(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query_today: tuple[TimelineQuery, dt.date]
) -> dict[uuid.UUID, list[TimelineRow]]:
    """``timeline_pages`` with one argument, ``(query, today)``, as a batch passes it (``today``: the request's)."""
    query, today = query_today
    return await timeline_pages(conn, account_ids, query, today)


async def timeline_counts_as_of(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query_today: tuple[TimelineQuery, dt.date]
) -> dict[uuid.UUID, int]:
    """``timeline_counts`` with one argument, ``(query, today)``, as a batch passes it (``today``: the request's)."""
    query, today = query_today
    return await timeline_counts(conn, account_ids, query, today)


async def insert_timeline_event(conn: AsyncConnection, values: dict[str, Any]) -> TimelineRow:
    """Write one recorded entry (``timeline_events`` columns) and return it as the timeline shows it."""
    tl = timeline_events.c
    inserted = await conn.execute(
        sa.insert(timeline_events)
        .values(**values)
        .returning(
            *(tl[name] for name in TimelineRow.__slots__ if name != "origin"), derived.text(RECORDED).label("origin")
        )
    )
    return row_into(TimelineRow, inserted.one())
