"""The account list: filtering, ordering and keyset pages over ``accounts`` plus two computed columns.

ARR (in one currency, by the active-line rule) and the next renewal date are not stored: they are joined
in as grouped subqueries, only when a filter or the ordering needs them. Every ordering ends with the id,
so it is total and a page starts strictly after its cursor's (sort value, id).
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.queries import AccountRow
from service.accounts.tables import accounts
from service.contracts.queries import active_lines, annual, next_renewal_dates
from service.db.rows import row_into, text_array
from service.health_scores.queries import latest_bands
from service.input_bounds import outside_calendar, unusable_decimal

# Accounts without a renewal date sort after all others in either direction.
_NO_RENEWAL_ASC = dt.date(9999, 12, 31)
_NO_RENEWAL_DESC = dt.date(1, 1, 1)


class SortKey(Enum):
    NAME = "name"
    ARR = "arr"
    RENEWAL_DATE = "renewal_date"
    CREATED_AT = "created_at"


@dataclass(frozen=True, slots=True)
class Ordering:
    key: SortKey = SortKey.NAME
    descending: bool = False
    currency: str = "USD"  # of ARR, when ordering by it

    @property
    def tag(self) -> str:
        """Names the ordering inside cursors, so a cursor is only accepted by the ordering that issued it."""
        direction = "desc" if self.descending else "asc"
        currency = f":{self.currency}" if self.key is SortKey.ARR else ""
        return f"{self.key.value}{currency}.{direction}"


@dataclass(frozen=True, slots=True)
class Criteria:
    """Conditions an account must meet, all of them; ``None`` leaves a condition out, an empty tuple matches none."""

    segments: tuple[str, ...] | None = None
    industries: tuple[str, ...] | None = None
    lifecycle_stages: tuple[str, ...] | None = None
    touch_models: tuple[str, ...] | None = None
    csm_owners: tuple[str, ...] | None = None
    sales_owners: tuple[str, ...] | None = None
    parent_id: uuid.UUID | None = None
    has_parent: bool | None = None
    renewal_from: dt.date | None = None  # next renewal date in [from, to)
    renewal_to: dt.date | None = None
    arr_min: Decimal | None = None  # ARR in [min, max], in ``arr_currency``
    arr_max: Decimal | None = None
    arr_currency: str = "USD"
    search: str | None = None  # substring of the name or the domain, any case
    health_bands: tuple[str, ...] | None = None  # band of the latest score named ``health_score``
    health_score: str = "overall"

    @property
    def needs_arr(self) -> bool:
        return self.arr_min is not None or self.arr_max is not None

    @property
    def needs_renewal(self) -> bool:
        return self.renewal_from is not None or self.renewal_to is not None


@dataclass(frozen=True, slots=True)
class ListedAccount:
    row: AccountRow
    sort_value: Any


def _arr_by_account(day: dt.date, currency: str, name: str) -> sa.Subquery:
    active = active_lines(day).subquery()
    return (
        sa.select(active.c.account_id, annual(sa.func.sum(active.c.mrr)).label("arr"))
        .where(active.c.currency == currency)
        .group_by(active.c.account_id)
        .subquery(name)
    )


def _amount(value: Decimal) -> sa.ColumnElement[Decimal]:
    # Bound as plain numeric: compared with the money type it would be cast to numeric(14, 2) and overflow.
    return sa.literal(value, sa.Numeric())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _any_of(column: sa.ColumnElement[Any], values: tuple[str, ...], name: str) -> sa.ColumnElement[bool]:
    return column == sa.any_(text_array(values, name))


class _Listing:
    """The FROM clause, WHERE conditions and sort expression of one listing request."""

    def __init__(self, criteria: Criteria, ordering: Ordering, today: dt.date) -> None:
        source: sa.FromClause = accounts
        arr_columns: dict[str, sa.ColumnElement[Any]] = {}
        wanted = [criteria.arr_currency] if criteria.needs_arr else []
        wanted += [ordering.currency] if ordering.key is SortKey.ARR else []
        for currency in dict.fromkeys(wanted):
            arr_sub = _arr_by_account(today, currency, f"account_arr_{len(arr_columns)}")
            source = source.outerjoin(arr_sub, arr_sub.c.account_id == accounts.c.id)
            arr_columns[currency] = sa.func.coalesce(arr_sub.c.arr, 0)
        renewal: sa.ColumnElement[Any] | None = None
        if criteria.needs_renewal or ordering.key is SortKey.RENEWAL_DATE:
            renewal_sub = next_renewal_dates(today).subquery("account_renewal")
            source = source.outerjoin(renewal_sub, renewal_sub.c.account_id == accounts.c.id)
            renewal = renewal_sub.c.renewal_date
        if criteria.health_bands is not None:
            bands = latest_bands(criteria.health_score).subquery("account_health")
            source = source.join(bands, bands.c.account_id == accounts.c.id)
            self._health_band: sa.ColumnElement[Any] | None = bands.c.band
        else:
            self._health_band = None
        self.source = source
        self.conditions = self._conditions(criteria, arr_columns.get(criteria.arr_currency), renewal)
        if self._health_band is not None and criteria.health_bands is not None:
            self.conditions.append(_any_of(self._health_band, criteria.health_bands, "health_bands"))
        self.sort = self._sort(ordering, arr_columns.get(ordering.currency), renewal)
        self.descending = ordering.descending

    @staticmethod
    def _conditions(
        criteria: Criteria, arr: sa.ColumnElement[Any] | None, renewal: sa.ColumnElement[Any] | None
    ) -> list[sa.ColumnElement[bool]]:
        a = accounts.c
        found: list[sa.ColumnElement[bool]] = []
        for column, values, name in (
            (a.segment, criteria.segments, "segments"),
            (a.industry, criteria.industries, "industries"),
            (a.lifecycle_stage, criteria.lifecycle_stages, "lifecycle_stages"),
            (a.touch_model, criteria.touch_models, "touch_models"),
            (a.csm_owner, criteria.csm_owners, "csm_owners"),
            (a.sales_owner, criteria.sales_owners, "sales_owners"),
        ):
            if values is not None:
                found.append(_any_of(column, values, name))
        if criteria.parent_id is not None:
            found.append(a.parent_account_id == criteria.parent_id)
        if criteria.has_parent is not None:
            found.append(a.parent_account_id.is_not(None) if criteria.has_parent else a.parent_account_id.is_(None))
        if renewal is not None:
            if criteria.renewal_from is not None:
                found.append(renewal >= criteria.renewal_from)
            if criteria.renewal_to is not None:
                found.append(renewal < criteria.renewal_to)
        if arr is not None:
            if criteria.arr_min is not None:
                found.append(arr >= _amount(criteria.arr_min))
            if criteria.arr_max is not None:
                found.append(arr <= _amount(criteria.arr_max))
        if criteria.search is not None:
            pattern = f"%{_escape_like(criteria.search)}%"
            found.append(sa.or_(a.name.ilike(pattern, escape="\\"), a.domain.ilike(pattern, escape="\\")))
        return found

    @staticmethod
    def _sort(
        ordering: Ordering, arr: sa.ColumnElement[Any] | None, renewal: sa.ColumnElement[Any] | None
    ) -> sa.ColumnElement[Any]:
        if ordering.key is SortKey.ARR:
            assert arr is not None
            return arr
        if ordering.key is SortKey.RENEWAL_DATE:
            assert renewal is not None
            missing = _NO_RENEWAL_DESC if ordering.descending else _NO_RENEWAL_ASC
            return sa.func.coalesce(renewal, missing)
        column: sa.ColumnElement[Any] = accounts.c[ordering.key.value]
        return column


def parse_sort_value(ordering: Ordering, text: str) -> Any:
    """A sort value from its cursor text; ValueError when it is not one this ordering produces (which holds
    only values inside ``service.input_bounds``, or the renewal sentinels)."""
    if ordering.key is SortKey.ARR:
        amount = Decimal(text)
        if unusable_decimal(amount):
            raise ValueError("an amount out of bounds")
        return amount
    if ordering.key is SortKey.RENEWAL_DATE:
        day = dt.date.fromisoformat(text)
        if outside_calendar(day) and day not in (_NO_RENEWAL_ASC, _NO_RENEWAL_DESC):
            raise ValueError("a day outside the calendar")
        return day
    if ordering.key is SortKey.CREATED_AT:
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is None or outside_calendar(moment):
            raise ValueError("a naive timestamp or one outside the calendar")
        return moment
    return text


async def accounts_page(
    conn: AsyncConnection,
    criteria: Criteria,
    ordering: Ordering,
    today: dt.date,
    *,
    after: tuple[Any, uuid.UUID] | None,
    limit: int,
) -> list[ListedAccount]:
    """At most ``limit`` accounts meeting ``criteria`` in ``ordering``, starting after the (sort value, id) key."""
    result = await conn.execute(page_select(criteria, ordering, today, after=after, limit=limit))
    return [ListedAccount(row=row_into(AccountRow, row), sort_value=row.sort_value) for row in result]


def page_select(
    criteria: Criteria, ordering: Ordering, today: dt.date, *, after: tuple[Any, uuid.UUID] | None, limit: int
) -> sa.Select[Any]:
    """The accounts of a page, in order, with their ``sort_value`` and ``position`` (1, 2, … in the order)."""
    listing = _Listing(criteria, ordering, today)
    columns = [accounts.c[name] for name in AccountRow.__slots__]
    conditions = list(listing.conditions)
    key = sa.tuple_(listing.sort, accounts.c.id)
    if after is not None:
        value, after_id = after
        after_key = sa.tuple_(_amount(value) if isinstance(value, Decimal) else value, after_id)
        conditions.append(key < after_key if listing.descending else key > after_key)
    order = (listing.sort.desc(), accounts.c.id.desc()) if listing.descending else (listing.sort, accounts.c.id)
    position = sa.func.row_number().over(order_by=order).label("position")
    return (
        sa.select(*columns, listing.sort.label("sort_value"), position)
        .select_from(listing.source)
        .where(*conditions)
        .order_by(*order)
        .limit(limit)
    )


def count_select(criteria: Criteria, today: dt.date) -> sa.Select[int]:
    """How many accounts meet ``criteria``, over all pages."""
    listing = _Listing(criteria, Ordering(currency=criteria.arr_currency), today)
    return sa.select(sa.func.count()).select_from(listing.source).where(*listing.conditions)


async def count_accounts(conn: AsyncConnection, criteria: Criteria, today: dt.date) -> int:
    return int((await conn.execute(count_select(criteria, today))).scalar_one())
