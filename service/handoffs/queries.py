"""SQL reads over ``handoffs`` and ``handoff_events``, and the SLA figures defined once as SQL expressions.

SLA definitions (hours between stamps; null until both stamps exist):
- close → submit: ``submitted_at − closed_at`` (the first submission);
- submit → accept: ``accepted_at − submitted_at`` (first submission to acceptance, rework included);
- accept → kickoff: ``kickoff_held_at − accepted_at``;
- time to value (days): ``first_value_on − contract_start_date``.
The same expressions give each handoff's figures and the aggregate medians, so they cannot disagree.
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.paging import PageRequest, after_condition, newest_first
from service.db.rows import median, row_into, text_array, uuid_array
from service.handoffs.tables import handoff_events, handoffs

h = handoffs.c
# Lists of handoffs (an account's, a page of the connection): newest first, ties by id; cursors are (created_at, id).
HANDOFF_ORDER = newest_first(handoffs, "created_at")
# A handoff's workflow events: in the order they happened.
EVENT_ORDER = (handoff_events.c.occurred_at, handoff_events.c.id)


def _hours(later: sa.ColumnElement[Any], earlier: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
    return sa.cast(sa.extract("epoch", later - earlier) / 3600, sa.Float)


SLA_EXPRESSIONS: dict[str, sa.ColumnElement[Any]] = {
    "close_to_submit_hours": _hours(h.submitted_at, h.closed_at),
    "submit_to_accept_hours": _hours(h.accepted_at, h.submitted_at),
    "accept_to_kickoff_hours": _hours(h.kickoff_held_at, h.accepted_at),
    "time_to_value_days": h.first_value_on - h.contract_start_date,
}


@dataclass(frozen=True, slots=True)
class HandoffRow:
    id: uuid.UUID
    account_id: uuid.UUID
    contract_id: uuid.UUID | None
    opportunity_ref: str | None
    state: str
    version: int
    arr: Decimal | None
    currency: str | None
    contract_start_date: dt.date | None
    contract_end_date: dt.date | None
    closed_at: dt.datetime | None
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None
    kickoff_date: dt.date | None
    go_live_target_date: dt.date | None
    kickoff_held_at: dt.datetime | None
    first_value_on: dt.date | None
    cancelled_at: dt.datetime | None
    returned_count: int
    created_by: str | None
    created_by_key_id: uuid.UUID | None
    created_by_person_id: uuid.UUID | None
    sales_owner: str | None
    csm_owner: str | None
    details: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    close_to_submit_hours: float | None
    submit_to_accept_hours: float | None
    accept_to_kickoff_hours: float | None
    time_to_value_days: int | None


COLUMNS: tuple[sa.ColumnElement[Any], ...] = (
    *(h[name] for name in HandoffRow.__slots__ if name in h),
    *(expression.label(name) for name, expression in SLA_EXPRESSIONS.items()),
)


@dataclass(frozen=True, slots=True)
class HandoffEventRow:
    id: uuid.UUID
    handoff_id: uuid.UUID
    actor: str
    actor_role: str
    from_state: str | None
    to_state: str
    comment: str | None
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class HandoffFilter:
    states: tuple[str, ...] | None = None
    account_ids: tuple[uuid.UUID, ...] | None = None
    csm_owners: tuple[str, ...] | None = None
    sales_owners: tuple[str, ...] | None = None
    created_from: dt.datetime | None = None  # [from, to) on created_at
    created_to: dt.datetime | None = None


def conditions(chosen: HandoffFilter) -> list[sa.ColumnElement[bool]]:
    found: list[sa.ColumnElement[bool]] = []
    if chosen.states is not None:
        found.append(h.state == sa.any_(text_array(chosen.states, "states")))
    if chosen.account_ids is not None:
        found.append(h.account_id == sa.any_(uuid_array(chosen.account_ids, "account_ids")))
    if chosen.csm_owners is not None:
        found.append(h.csm_owner == sa.any_(text_array(chosen.csm_owners, "csm_owners")))
    if chosen.sales_owners is not None:
        found.append(h.sales_owner == sa.any_(text_array(chosen.sales_owners, "sales_owners")))
    if chosen.created_from is not None:
        found.append(h.created_at >= chosen.created_from)
    if chosen.created_to is not None:
        found.append(h.created_at < chosen.created_to)
    return found


async def handoff_page(conn: AsyncConnection, chosen: HandoffFilter, page: PageRequest) -> list[HandoffRow]:
    """Handoffs newest first, keyset-paginated on (created_at, id); ``page.limit + 1`` rows to tell "more"."""
    select = sa.select(*COLUMNS).where(*conditions(chosen), *after_condition(handoffs, "created_at", page))
    rows = await conn.execute(select.order_by(*HANDOFF_ORDER).limit(page.limit + 1))
    return [row_into(HandoffRow, row) for row in rows]


async def count_handoffs(conn: AsyncConnection, chosen: HandoffFilter) -> int:
    counted = sa.select(sa.func.count()).select_from(handoffs).where(*conditions(chosen))
    return int((await conn.execute(counted)).scalar_one())


async def handoffs_by_id(
    conn: AsyncConnection, ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, HandoffRow]:
    rows = await conn.execute(sa.select(*COLUMNS).where(h.id == sa.any_(uuid_array(ids))))
    return {row.id: row_into(HandoffRow, row) for row in rows}


async def handoffs_of_accounts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, list[HandoffRow]]:
    """Each account's handoffs, newest first (an account has a handful: one per deal)."""
    select = sa.select(*COLUMNS).where(h.account_id == sa.any_(uuid_array(account_ids)))
    grouped: dict[uuid.UUID, list[HandoffRow]] = defaultdict(list)
    for row in await conn.execute(select.order_by(h.account_id, *HANDOFF_ORDER)):
        grouped[row.account_id].append(row_into(HandoffRow, row))
    return grouped


async def events_of_handoffs(
    conn: AsyncConnection, handoff_ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, list[HandoffEventRow]]:
    """Each handoff's transitions in the order they happened."""
    e = handoff_events.c
    select = sa.select(*(e[name] for name in HandoffEventRow.__slots__)).where(
        e.handoff_id == sa.any_(uuid_array(handoff_ids))
    )
    grouped: dict[uuid.UUID, list[HandoffEventRow]] = defaultdict(list)
    for row in await conn.execute(select.order_by(e.handoff_id, *EVENT_ORDER)):
        grouped[row.handoff_id].append(row_into(HandoffEventRow, row))
    return grouped


@dataclass(frozen=True, slots=True)
class SlaSummaryRow:
    handoffs: int
    submitted: int
    accepted: int
    returned_at_least_once: int
    median_close_to_submit_hours: float | None
    median_submit_to_accept_hours: float | None
    median_accept_to_kickoff_hours: float | None
    median_time_to_value_days: float | None
    mean_close_to_submit_hours: float | None
    mean_submit_to_accept_hours: float | None
    mean_accept_to_kickoff_hours: float | None
    mean_time_to_value_days: float | None


async def sla_summary(conn: AsyncConnection, chosen: HandoffFilter) -> SlaSummaryRow:
    """SLA figures over every handoff the filter selects, in one statement (medians ignore missing stamps)."""
    figures: list[sa.ColumnElement[Any]] = [
        sa.func.count().label("handoffs"),
        sa.func.count(h.submitted_at).label("submitted"),
        sa.func.count(h.accepted_at).label("accepted"),
        sa.func.count().filter(h.returned_count > 0).label("returned_at_least_once"),
    ]
    for name, expression in SLA_EXPRESSIONS.items():
        figures.append(median(expression).label(f"median_{name}"))
    for name, expression in SLA_EXPRESSIONS.items():
        figures.append(sa.cast(sa.func.avg(expression), sa.Float).label(f"mean_{name}"))
    row = (await conn.execute(sa.select(*figures).select_from(handoffs).where(*conditions(chosen)))).one()
    return row_into(SlaSummaryRow, row)
