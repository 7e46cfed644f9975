"""Stored risk alerts: reading them and moving them through open → acknowledged → resolved.

Alerts are opened by ``alert_rules`` with each recompute. People acknowledge (someone is on it) and
resolve them, each step with actor and time; a resolved alert is final, and the rule may then raise a
new one for the account when its condition holds again.
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.db.paging import PageRequest, after_condition, newest_first
from service.db.rows import row_into, text_array, uuid_array
from service.errors import Conflict, InvalidInput, NotFound
from service.events import emit
from service.health_scores.tables import alerts

MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: uuid.UUID
    account_id: uuid.UUID
    rule: str
    status: str
    message: str
    details: dict[str, Any]
    opened_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    resolved_at: dt.datetime | None
    resolved_by: str | None
    note: str | None


_FIRST_PAGE = PageRequest(limit=20, after=None)


@dataclass(frozen=True, slots=True)
class AlertQuery:
    statuses: tuple[str, ...] | None = None
    rules: tuple[str, ...] | None = None
    account_ids: tuple[uuid.UUID, ...] | None = None
    csm_owners: tuple[str, ...] | None = None  # of the accounts these CSMs own
    page: PageRequest = _FIRST_PAGE


_COLUMNS = tuple(alerts.c[name] for name in AlertRow.__slots__)


def alert_conditions(query: AlertQuery) -> list[sa.ColumnElement[bool]]:
    """The alerts ``query``'s filter selects, over all pages (the compiled read path shares this rule)."""
    a = alerts.c
    found: list[sa.ColumnElement[bool]] = []
    if query.statuses is not None:
        found.append(in_statuses(query.statuses))
    if query.rules is not None:
        found.append(a.rule == sa.any_(text_array(query.rules, None)))
    if query.account_ids is not None:
        found.append(a.account_id == sa.any_(uuid_array(query.account_ids, None)))
    if query.csm_owners is not None:
        owned = sa.select(accounts.c.id).where(accounts.c.csm_owner == sa.any_(text_array(query.csm_owners, None)))
        found.append(a.account_id.in_(owned))
    return found


def in_statuses(statuses: tuple[str, ...]) -> sa.ColumnElement[bool]:
    return alerts.c.status == sa.any_(text_array(statuses, None))


def page_conditions(query: AlertQuery) -> list[sa.ColumnElement[bool]]:
    """The alerts of ``query``'s page and the pages after it."""
    return [*alert_conditions(query), *after_condition(alerts, "opened_at", query.page)]


ALERT_ORDER = newest_first(alerts, "opened_at")


async def alert_page(conn: AsyncConnection, query: AlertQuery) -> list[AlertRow]:
    """Alerts newest first, keyset-paginated on (opened_at, id); ``page.limit + 1`` rows to tell "more"."""
    select = sa.select(*_COLUMNS).where(*page_conditions(query))
    rows = await conn.execute(select.order_by(*ALERT_ORDER).limit(query.page.limit + 1))
    return [row_into(AlertRow, row) for row in rows]


async def count_alerts(conn: AsyncConnection, query: AlertQuery) -> int:
    counted = sa.select(sa.func.count()).select_from(alerts).where(*alert_conditions(query))
    return int((await conn.execute(counted)).scalar_one())


def account_alert_conditions(statuses: tuple[str, ...] | None) -> list[sa.ColumnElement[bool]]:
    """An account's alerts in the given states (all when None), besides the account itself."""
    return [] if statuses is None else [in_statuses(statuses)]


async def alerts_of_accounts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], statuses: tuple[str, ...] | None
) -> dict[uuid.UUID, list[AlertRow]]:
    """Each account's alerts in the given states (all when None), newest first."""
    a = alerts.c
    select = sa.select(*_COLUMNS).where(
        a.account_id == sa.any_(uuid_array(account_ids)), *account_alert_conditions(statuses)
    )
    grouped: dict[uuid.UUID, list[AlertRow]] = defaultdict(list)
    for row in await conn.execute(select.order_by(a.account_id, *ALERT_ORDER)):
        grouped[row.account_id].append(row_into(AlertRow, row))
    return grouped


async def _transition(
    conn: AsyncConnection, alert_id: uuid.UUID, allowed_from: tuple[str, ...], values: dict[str, Any], verb: str
) -> AlertRow:
    a = alerts.c
    current = (await conn.execute(sa.select(a.status).where(a.id == alert_id).with_for_update())).scalar_one_or_none()
    if current is None:
        raise NotFound(f"no alert {alert_id}")
    if current not in allowed_from:
        raise Conflict(f"the alert is {current}; only an alert that is {' or '.join(allowed_from)} can be {verb}")
    updated = await conn.execute(sa.update(alerts).where(a.id == alert_id).values(**values).returning(*_COLUMNS))
    row = row_into(AlertRow, updated.one())
    await emit.alert_stepped(
        conn, alert_id=row.id, account_id=row.account_id, rule=row.rule, status=row.status, note=values.get("note"),
        actor=row.resolved_by or row.acknowledged_by, at=row.resolved_at or row.acknowledged_at,
    )  # fmt: skip
    return row


def _note(note: str | None) -> str | None:
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"note: at most {MAX_NOTE} characters")
    return note.strip() or None if note is not None else None


async def acknowledge_alert(
    conn: AsyncConnection, alert_id: uuid.UUID, *, by: str, now: dt.datetime, note: str | None = None
) -> AlertRow:
    values: dict[str, Any] = {"status": "acknowledged", "acknowledged_at": now, "acknowledged_by": by}
    if (text := _note(note)) is not None:
        values["note"] = text
    return await _transition(conn, alert_id, ("open",), values, "acknowledged")


async def resolve_alert(
    conn: AsyncConnection, alert_id: uuid.UUID, *, by: str, now: dt.datetime, note: str | None = None
) -> AlertRow:
    values: dict[str, Any] = {"status": "resolved", "resolved_at": now, "resolved_by": by}
    if (text := _note(note)) is not None:
        values["note"] = text
    return await _transition(conn, alert_id, ("open", "acknowledged"), values, "resolved")
