"""One sweep: every clock-driven event due at ``now`` and not announced yet, appended in the caller's transaction.

The caller passes ``now`` (the request's clock, the database's ``now()`` for the background loop, a fixed time in
tests); "today" is its UTC date. Candidates are read set-based from each domain's rule — ``renewals_within``
(contracts), ``overdue_action_items`` (action items), ``sla_breaches`` (the tickets' SLA rule) — minus what the
outbox already holds, and appended with ``append_once``, whose unique index makes a sweep racing another
announce nothing twice.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.action_items.queries import overdue_action_items
from service.contracts.queries import renewals_within
from service.db.pool import without_statement_timeout
from service.events.outbox import OnceEvent, append_once
from service.events.tables import events
from service.sources.tables import source_links
from service.tickets.sla import sla_breaches

DEFAULT_RENEWAL_WINDOWS: Final = (90, 60, 30)
# pg_advisory_xact_lock key: "cshub clock sweep"; any constant every process shares.
LOCK_KEY: Final = 0x6373_6875_6263_6C6B


@dataclass(frozen=True, slots=True)
class SweepConfig:
    renewal_windows: tuple[int, ...] = DEFAULT_RENEWAL_WINDOWS  # days before a renewal (or end) date


@dataclass(frozen=True, slots=True)
class SweepResult:
    at: dt.datetime
    renewals_upcoming: int
    action_items_overdue: int
    tickets_escalated: int


def _iso(day: sa.ColumnElement[dt.date]) -> sa.ColumnElement[str]:
    return sa.func.to_char(day, "YYYY-MM-DD")


async def _renewals(conn: AsyncConnection, today: dt.date, windows: Sequence[int]) -> list[OnceEvent]:
    if not windows:
        return []
    found = renewals_within(today, windows).subquery("renewals")
    key = _iso(found.c.renews_on) + sa.literal(":") + sa.cast(found.c.window_days, sa.Text) + sa.literal("d")
    rows = await conn.execute(
        sa.select(found, key.label("dedupe_key"))
        .where(_not_said("renewal.upcoming", found.c.contract_id, key))
        .order_by(found.c.renews_on, found.c.contract_id)
    )
    return [
        OnceEvent(
            "renewal.upcoming",
            row.contract_id,
            row.dedupe_key,
            row.account_id,
            {
                "contractId": row.contract_id,
                "renewsOn": row.renews_on,
                "dateKind": row.date_kind,
                "windowDays": row.window_days,
                "daysLeft": row.days_left,
                "status": row.status,
                "autoRenew": row.auto_renew,
            },
        )
        for row in rows
    ]


async def _overdue(conn: AsyncConnection, today: dt.date) -> list[OnceEvent]:
    found = overdue_action_items(today).subquery("overdue")
    key = sa.literal("due:") + _iso(found.c.due_on)
    rows = await conn.execute(
        sa.select(found, key.label("dedupe_key"))
        .where(_not_said("action_item.overdue", found.c.action_item_id, key))
        .order_by(found.c.due_on, found.c.action_item_id)
    )
    return [
        OnceEvent(
            "action_item.overdue",
            row.action_item_id,
            row.dedupe_key,
            row.account_id,
            {
                "actionItemId": row.action_item_id,
                "title": row.title,
                "owner": row.owner,
                "status": row.status,
                "dueOn": row.due_on,
                "daysOverdue": row.days_overdue,
                "goalId": row.goal_id,
                "handoffId": row.handoff_id,
            },
        )
        for row in rows
    ]


async def _breaches(conn: AsyncConnection, now: dt.datetime) -> list[OnceEvent]:
    found = sla_breaches(now).subquery("breaches")
    key = sa.literal("sla:") + found.c.breach
    s = source_links.c
    external_id = (
        sa.select(sa.func.min(s.external_id))
        .where(s.entity_id == found.c.ticket_id, s.object_type == "ticket")
        .scalar_subquery()
    )
    rows = await conn.execute(
        sa.select(found, key.label("dedupe_key"), external_id.label("external_id"))
        .where(_not_said("ticket.escalated", found.c.ticket_id, key))
        .order_by(found.c.due_at, found.c.ticket_id)
    )
    return [
        OnceEvent(
            "ticket.escalated",
            row.ticket_id,
            row.dedupe_key,
            row.account_id,
            {
                "ticketId": row.ticket_id,
                "externalId": row.external_id,
                "priority": row.priority,
                "previouslyAnnounced": None,
                "status": row.status,
                "trigger": "sla_breach",
                "breach": row.breach,
                "dueAt": row.due_at,
            },
        )
        for row in rows
    ]


def _not_said(event_type: str, subject: sa.ColumnElement[Any], key: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    e = events.c
    return ~sa.exists().where(e.type == event_type, e.subject_id == subject, e.dedupe_key == key)


async def sweep(conn: AsyncConnection, now: dt.datetime, config: SweepConfig) -> SweepResult:
    """Append every clock event due at ``now`` that the outbox does not hold yet; how many of each kind."""
    today = now.astimezone(dt.UTC).date()
    renewals = await append_once(conn, await _renewals(conn, today, config.renewal_windows), occurred_at=now)
    overdue = await append_once(conn, await _overdue(conn, today), occurred_at=now)
    escalated = await append_once(conn, await _breaches(conn, now), occurred_at=now)
    return SweepResult(now, renewals, overdue, escalated)


async def locked_sweep(
    conn: AsyncConnection, config: SweepConfig, *, now: dt.datetime | None = None, wait: bool = True
) -> SweepResult | None:
    """``sweep`` under the sweep's advisory lock (held to the end of the caller's transaction), at ``now`` or the
    database's ``now()``. ``wait=False``: None at once when another process is sweeping (the loop skips that
    round); otherwise wait for it, then sweep what it left."""
    await without_statement_timeout(conn)  # a first sweep over years of data may take longer than a request
    if wait:
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    elif not (await conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY})).scalar_one():
        return None
    if now is None:
        now = (await conn.execute(sa.text("SELECT now()"))).scalar_one()
    return await sweep(conn, now, config)
