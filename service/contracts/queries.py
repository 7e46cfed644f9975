"""SQL reads over contracts, their lines and products, and the revenue figures derived from lines.

The active-line rule (docs/kpis.md) lives in ``line_active_on``: a line counts on day d when
``start_date <= d < end_date`` (the line's own dates, else its contract's; no end: open-ended) and its
contract is neither ``draft`` nor ``cancelled``. ``active_lines`` (MRR, ARR and licensed seats of the 360
and the account list), the health statement and the BI metrics (``service.metrics``) all use this one
predicate, set-based, for many accounts at once.
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from service.contracts.tables import contract_lines, contracts, products
from service.db.rows import text_array, uuid_array

NOT_COUNTED = ("draft", "cancelled")
Amount = TypeVar("Amount", Decimal, sa.ColumnElement[Decimal])
Day = dt.date | sa.ColumnElement[dt.date]  # a day, or a SQL expression of one (a bound parameter, a column)


@dataclass(frozen=True, slots=True)
class ContractRow:
    id: uuid.UUID
    account_id: uuid.UUID
    status: str
    start_date: dt.date
    end_date: dt.date | None
    renewal_date: dt.date | None
    auto_renew: bool
    currency: str
    kind: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LineRow:
    id: uuid.UUID
    contract_id: uuid.UUID
    product_id: uuid.UUID
    product_name: str
    product_family: str | None
    quantity: int
    unit_price: Decimal | None
    mrr: Decimal
    start_date: dt.date | None
    end_date: dt.date | None


# An account's contracts: newest start first. A contract's lines: oldest start first (open start first), by product.
CONTRACT_ORDER = (contracts.c.start_date.desc(), contracts.c.id)
LINE_ORDER = (contract_lines.c.start_date.nulls_first(), products.c.name, contract_lines.c.id)

_CONTRACT_COLUMNS = tuple(contracts.c[name] for name in ContractRow.__slots__)


async def contracts_by_ids(
    conn: AsyncConnection, ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, ContractRow]:
    rows = await conn.execute(sa.select(*_CONTRACT_COLUMNS).where(contracts.c.id == sa.any_(uuid_array(ids))))
    return {row.id: ContractRow(**row._mapping) for row in rows}


async def contracts_of_accounts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], statuses: tuple[str, ...] | None
) -> dict[uuid.UUID, list[ContractRow]]:
    """Each account's contracts, newest start first; only the given statuses when ``statuses`` is set."""
    query = sa.select(*_CONTRACT_COLUMNS).where(contracts.c.account_id == sa.any_(uuid_array(account_ids)))
    if statuses is not None:
        query = query.where(contracts.c.status == sa.any_(text_array(statuses, "statuses")))
    rows = await conn.execute(query.order_by(contracts.c.account_id, *CONTRACT_ORDER))
    grouped: dict[uuid.UUID, list[ContractRow]] = defaultdict(list)
    for row in rows:
        grouped[row.account_id].append(ContractRow(**row._mapping))
    return grouped


async def lines_of_contracts(
    conn: AsyncConnection, contract_ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, list[LineRow]]:
    line, product = contract_lines.c, products.c
    rows = await conn.execute(
        sa.select(
            line.id,
            line.contract_id,
            line.product_id,
            product.name.label("product_name"),
            product.family.label("product_family"),
            line.quantity,
            line.unit_price,
            line.mrr,
            line.start_date,
            line.end_date,
        )
        .join_from(contract_lines, products, line.product_id == product.id)
        .where(line.contract_id == sa.any_(uuid_array(contract_ids)))
        .order_by(line.contract_id, *LINE_ORDER)
    )
    grouped: dict[uuid.UUID, list[LineRow]] = defaultdict(list)
    for row in rows:
        grouped[row.contract_id].append(LineRow(**row._mapping))
    return grouped


def line_start() -> sa.ColumnElement[dt.date]:
    """A line's first day: its own start date, else its contract's (over ``contract_lines`` joined to ``contracts``)."""
    return sa.func.coalesce(contract_lines.c.start_date, contracts.c.start_date)


def line_end() -> sa.ColumnElement[dt.date]:
    """A line's first day after it (exclusive): its own end date, else its contract's; null: open-ended."""
    return sa.func.coalesce(contract_lines.c.end_date, contracts.c.end_date)


def line_active_on(day: dt.date | sa.ColumnElement[dt.date]) -> sa.ColumnElement[bool]:
    """The active-line rule (docs/kpis.md), over ``contract_lines`` joined to ``contracts``: true when the line
    counts on ``day`` (a date, or a SQL date expression such as a bucket boundary column)."""
    end = line_end()
    return sa.and_(line_start() <= day, sa.or_(end.is_(None), end > day), contracts.c.status.not_in(NOT_COUNTED))


def active_lines(day: Day) -> sa.Select[tuple[uuid.UUID, str, uuid.UUID, int, Decimal]]:
    """(account_id, currency, product_id, quantity, mrr) of every line active on ``day``."""
    line, contract = contract_lines.c, contracts.c
    return (
        sa.select(line.account_id, contract.currency, line.product_id, line.quantity, line.mrr)
        .join_from(contract_lines, contracts, line.contract_id == contract.id)
        .where(line_active_on(day))
    )


def mrr_by_currency(lines: sa.Select[Any]) -> sa.Select[tuple[uuid.UUID, str, Decimal]]:
    """(account_id, currency, mrr): the summed MRR of ``lines`` (some of ``active_lines``) per currency."""
    active = lines.subquery()
    return sa.select(active.c.account_id, active.c.currency, sa.func.sum(active.c.mrr).label("mrr")).group_by(
        active.c.account_id, active.c.currency
    )


MONTHS_PER_YEAR = 12  # ARR = MONTHS_PER_YEAR × MRR; SQL written as text says it with this constant


def annual(monthly: Amount) -> Amount:
    """ARR from MRR: 12 × (an amount, or a SQL expression of one)."""
    return monthly * MONTHS_PER_YEAR


async def mrr_of_accounts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], day: dt.date
) -> dict[uuid.UUID, list[tuple[str, Decimal]]]:
    """Each account's MRR on ``day`` per currency (almost always one)."""
    by_currency = mrr_by_currency(
        active_lines(day).where(contract_lines.c.account_id == sa.any_(uuid_array(account_ids)))
    ).subquery()
    rows = await conn.execute(sa.select(by_currency).order_by(by_currency.c.account_id, by_currency.c.currency))
    grouped: dict[uuid.UUID, list[tuple[str, Decimal]]] = defaultdict(list)
    for account_id, currency, mrr in rows:
        grouped[account_id].append((currency, mrr))
    return grouped


def seats_by_account(day: Day, lines: sa.Select[Any] | None = None) -> sa.Select[Any]:
    """(account_id, seats) licensed on ``day``: per product the summed quantity of active lines, and of those
    the largest (add-on products license a subset of the same users, so products do not add up)."""
    active = (lines if lines is not None else active_lines(day)).subquery()
    per_product = (
        sa.select(active.c.account_id, sa.func.sum(active.c.quantity).label("seats"))
        .group_by(active.c.account_id, active.c.product_id)
        .subquery()
    )
    return sa.select(per_product.c.account_id, sa.func.max(per_product.c.seats).label("seats")).group_by(
        per_product.c.account_id
    )


async def licensed_seats(conn: AsyncConnection, account_ids: Sequence[uuid.UUID], day: dt.date) -> dict[uuid.UUID, int]:
    """Seats licensed on ``day`` (``seats_by_account``) for a batch of accounts."""
    lines = active_lines(day).where(contract_lines.c.account_id == sa.any_(uuid_array(account_ids)))
    rows = await conn.execute(seats_by_account(day, lines))
    return {row[0]: int(row[1]) for row in rows}


def next_renewal_dates(day: Day) -> sa.Select[Any]:
    """(account_id, renewal_date): the earliest renewal date on or after ``day`` among each account's counted
    contracts (neither draft nor cancelled)."""
    c = contracts.c
    return (
        sa.select(c.account_id, sa.func.min(c.renewal_date).label("renewal_date"))
        .where(c.renewal_date >= day, c.status.not_in(NOT_COUNTED))
        .group_by(c.account_id)
    )


def renewals_within(day: dt.date, windows: Sequence[int]) -> sa.Select[Any]:
    """(contract_id, account_id, status, auto_renew, renews_on, date_kind, days_left, window_days): each active
    contract whose renewal date — else its end date (``date_kind`` says which) — is ``day`` or within the widest of
    ``windows`` days after it, with the narrowest window it is inside (20 days left with windows 90, 60, 30: 30)."""
    c = contracts.c
    renews_on = sa.func.coalesce(c.renewal_date, c.end_date)
    days_left = renews_on - sa.cast(sa.literal(day, sa.Date), sa.Date)
    given = (
        sa.func.unnest(sa.bindparam("windows", list(windows), type_=ARRAY(sa.Integer)))
        .table_valued("days")
        .render_derived("windows")
    )
    window = sa.select(sa.func.min(given.c.days)).where(given.c.days >= days_left).scalar_subquery()
    return sa.select(
        c.id.label("contract_id"),
        c.account_id,
        c.status,
        c.auto_renew,
        renews_on.label("renews_on"),
        sa.case((c.renewal_date.is_not(None), "renewal"), else_="end").label("date_kind"),
        days_left.label("days_left"),
        window.label("window_days"),
    ).where(c.status == "active", renews_on >= day, days_left <= max(windows, default=0))


async def next_renewals(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], day: dt.date
) -> dict[uuid.UUID, dt.date]:
    rows = await conn.execute(next_renewal_dates(day).where(contracts.c.account_id == sa.any_(uuid_array(account_ids))))
    return {row[0]: row[1] for row in rows}
