"""SQL reads over ``survey_responses``: per-account keyset pages, and NPS per account in one statement."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db_paging import PageRequest, counts_per_account, pages_per_account
from service.db_rows import row_into, text_array, uuid_array
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


def _conditions(query: SurveyQuery) -> list[sa.ColumnElement[bool]]:
    if query.kinds is None:
        return []
    return [survey_responses.c.kind == sa.any_(text_array(query.kinds, "kinds"))]


async def survey_pages(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: SurveyQuery
) -> dict[uuid.UUID, list[SurveyRow]]:
    pages = await pages_per_account(conn, survey_responses, "responded_at", account_ids, query.page, _conditions(query))
    return {account_id: [row_into(SurveyRow, row) for row in rows] for account_id, rows in pages.items()}


async def survey_counts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: SurveyQuery
) -> dict[uuid.UUID, int]:
    return await counts_per_account(conn, survey_responses, account_ids, _conditions(query))


async def nps_of_accounts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], window: tuple[dt.datetime, dt.datetime]
) -> dict[uuid.UUID, NpsRow]:
    """NPS inputs per account over responses in [start, end): promoters 9–10, passives 7–8, detractors 0–6."""
    s = survey_responses.c
    rows = await conn.execute(
        sa.select(
            s.account_id,
            sa.func.count(),
            sa.func.count().filter(s.score >= 9),
            sa.func.count().filter(s.score.between(7, 8)),
            sa.func.count().filter(s.score <= 6),
        )
        .where(
            s.account_id == sa.any_(uuid_array(account_ids)),
            s.kind == "nps",
            s.responded_at >= window[0],
            s.responded_at < window[1],
        )
        .group_by(s.account_id)
    )
    return {row[0]: NpsRow(*(int(value) for value in row[1:])) for row in rows}
