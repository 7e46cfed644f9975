"""The ``voiceOfCustomer`` metric: what customers ask for and complain about, weighed by their revenue.

One row per group and category (every category, also when empty):

- ``feature_request``, ``bug``: tickets of that category opened in ``[from, to)`` (UTC);
- ``nps_comment``, ``csat_comment``: survey responses of that kind in the period whose comment is not blank.

Per row: ``requests`` (tickets or comments), ``accounts`` (distinct accounts with at least one) and ``arr``: the
total ARR of those accounts — each account once — on the day ``to`` (the end of the period, as revenue metrics
read end MRR), in one currency: 12 × the MRR of the account's lines active on ``to`` (the single active-line rule,
``contracts.queries.active_lines``) in that currency; lines in other currencies are not converted.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.contracts.queries import active_lines, annual
from service.metrics.activity import Group, group_columns, group_of, group_order
from service.metrics.dimensions import Dimension
from service.metrics.periods import Period
from service.surveys.tables import survey_responses
from service.tickets.tables import tickets

TICKET_CATEGORIES = ("feature_request", "bug")
SURVEY_CATEGORIES = {"nps": "nps_comment", "csat": "csat_comment"}
CATEGORIES = (*TICKET_CATEGORIES, *SURVEY_CATEGORIES.values())


@dataclass(frozen=True, slots=True)
class VoiceFigures:
    group: Group
    category: str  # one of CATEGORIES
    requests: int
    accounts: int
    arr: Decimal
    currency: str


async def voice_of_customer(
    conn: AsyncConnection, period: Period, dimensions: Sequence[Dimension], currency: str
) -> list[VoiceFigures]:
    t, s = tickets.c, survey_responses.c
    survey_category = sa.case(*((s.kind == kind, category) for kind, category in SURVEY_CATEGORIES.items()))
    items = sa.union_all(
        sa.select(t.account_id, t.category).where(t.category.in_(TICKET_CATEGORIES), period.holds(t.opened_at)),
        sa.select(s.account_id, survey_category).where(
            period.holds(s.responded_at), sa.func.btrim(sa.func.coalesce(s.comment, "")) != ""
        ),
    ).subquery("items")
    requested = (
        sa.select(items.c.account_id, items.c.category, sa.func.count().label("requests"))
        .group_by(items.c.account_id, items.c.category)
        .cte("requested")
    )
    active = active_lines(period.end).subquery("active")
    arr = (
        sa.select(active.c.account_id, annual(sa.func.sum(active.c.mrr)).label("arr"))
        .where(active.c.currency == currency)
        .group_by(active.c.account_id)
        .cte("arr")
    )
    categories = sa.values(sa.column("category", sa.Text), sa.column("position", sa.Integer), name="categories").data(
        [(category, position) for position, category in enumerate(CATEGORIES)]
    )
    # Ungrouped, every category answers a row even when there are no accounts at all.
    portfolio = categories.outerjoin(accounts, sa.true()) if not dimensions else categories.join(accounts, sa.true())
    keys = group_columns(dimensions)
    statement = (
        sa.select(
            *keys,
            categories.c.category,
            sa.func.coalesce(sa.func.sum(requested.c.requests), 0).label("requests"),
            sa.func.count(requested.c.account_id).label("accounts"),
            sa.func.coalesce(sa.func.sum(arr.c.arr), 0).label("arr"),
        )
        .select_from(
            portfolio.outerjoin(
                requested,
                sa.and_(requested.c.account_id == accounts.c.id, requested.c.category == categories.c.category),
            ).outerjoin(arr, arr.c.account_id == requested.c.account_id)
        )
        .group_by(*keys, categories.c.category, categories.c.position)
        .order_by(*group_order(keys), categories.c.position)
    )
    return [
        VoiceFigures(
            group=group_of(row._mapping, dimensions),
            category=row.category,
            requests=int(row.requests),
            accounts=row.accounts,
            arr=Decimal(row.arr).quantize(Decimal("0.01")),
            currency=currency,
        )
        for row in await conn.execute(statement)
    ]
