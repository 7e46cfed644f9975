"""SQL reads over ``survey_responses``: per-account keyset pages, and NPS per account in one statement.

The kind filter (``conditions``) and the NPS rule (``nps_counts``, a Core builder over all accounts grouped by
``account_id``, and ``nps_score``) are shared with the compiled read path (``service.compiled.surveys``).
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.paging import PageRequest, counts_per_account, pages_per_account
from service.db.rows import row_into, text_array, uuid_array
from service.surveys.tables import survey_responses


@dataclass(frozen=True, slots=True)
class SurveyRow:
    id: uuid.UUID
    account_id: uuid.UUID
    contact_id: uuid.UUID | None
    contact_email: str | None
    kind: str
    score: int
    comment: str | None
    responded_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SurveyQuery:
    page: PageRequest
    kinds: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class NpsRow:
    responses: int
    promoters: int
    passives: int
    detractors: int


def conditions(query: SurveyQuery) -> list[sa.ColumnElement[bool]]:
    """The responses the query's filter keeps (an anonymous parameter: one statement may hold several)."""
    if query.kinds is None:
        return []
    return [survey_responses.c.kind == sa.any_(text_array(query.kinds))]


async def survey_pages(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: SurveyQuery
) -> dict[uuid.UUID, list[SurveyRow]]:
    pages = await pages_per_account(conn, survey_responses, "responded_at", account_ids, query.page, conditions(query))
    return {account_id: [row_into(SurveyRow, row) for row in rows] for account_id, rows in pages.items()}


async def survey_counts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: SurveyQuery
) -> dict[uuid.UUID, int]:
    return await counts_per_account(conn, survey_responses, account_ids, conditions(query))


def nps_counts(window: tuple[dt.datetime, dt.datetime]) -> sa.Select[Any]:
    """The NPS rule's inputs, for all accounts with responses in [start, end): (``account_id``, ``responses``,
    ``promoters`` 9–10, ``passives`` 7–8, ``detractors`` 0–6)."""
    s = survey_responses.c
    return (
        sa.select(
            s.account_id,
            sa.func.count().label("responses"),
            sa.func.count().filter(s.score >= 9).label("promoters"),
            sa.func.count().filter(s.score.between(7, 8)).label("passives"),
            sa.func.count().filter(s.score <= 6).label("detractors"),
        )
        .where(s.kind == "nps", s.responded_at >= window[0], s.responded_at < window[1])
        .group_by(s.account_id)
    )


def nps_score(promoters: int, detractors: int, responses: int) -> float | None:
    """NPS: 100 × (promoters − detractors) / responses, rounded to 2 places with halves away from zero (exact
    decimal arithmetic); None without responses. ``nps_score_sql`` is the same rule in SQL."""
    if responses == 0:
        return None
    exact = Decimal(100 * (promoters - detractors)) / Decimal(responses)
    return float(exact.quantize(Decimal("0.01"), ROUND_HALF_UP))


def nps_score_sql(
    promoters: sa.ColumnElement[Any], detractors: sa.ColumnElement[Any], responses: sa.ColumnElement[Any]
) -> sa.ColumnElement[Any]:
    """``nps_score`` in SQL: ``round(numeric, 2)`` rounds halves away from zero too; null without responses."""
    exact = sa.cast(100 * (promoters - detractors), sa.Numeric) / sa.func.nullif(responses, 0)
    return sa.cast(sa.func.round(exact, 2), sa.Float)


async def nps_of_accounts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], window: tuple[dt.datetime, dt.datetime]
) -> dict[uuid.UUID, NpsRow]:
    """NPS inputs per account over responses in [start, end)."""
    found = nps_counts(window).subquery()
    rows = await conn.execute(sa.select(found).where(found.c.account_id == sa.any_(uuid_array(account_ids))))
    return {row[0]: NpsRow(*(int(value) for value in row[1:])) for row in rows}
