"""The ``nps`` metric: NPS survey responses in a period (docs/kpis.md), the same rule as ``Account.nps``.

Responses of kind ``nps`` with ``from <= responded_at < to`` (UTC): promoters score 9–10, passives 7–8,
detractors 0–6. NPS = 100 × (promoters − detractors) / responses, rounded to 2 places with halves away from zero
(``service.surveys.queries.nps_score``, as ``Account.nps``); null with no responses.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.metrics.activity import Group, group_columns, group_of, group_order
from service.metrics.dimensions import Dimension
from service.metrics.periods import Period
from service.surveys.queries import nps_score
from service.surveys.tables import survey_responses


@dataclass(frozen=True, slots=True)
class NpsFigures:
    group: Group
    responses: int
    promoters: int
    passives: int
    detractors: int

    @property
    def nps(self) -> float | None:
        return nps_score(self.promoters, self.detractors, self.responses)


async def nps(conn: AsyncConnection, period: Period, dimensions: Sequence[Dimension]) -> list[NpsFigures]:
    s = survey_responses.c
    keys = group_columns(dimensions)
    responses = accounts.outerjoin(
        survey_responses, sa.and_(s.account_id == accounts.c.id, s.kind == "nps", period.holds(s.responded_at))
    )
    statement = (
        sa.select(
            *keys,
            sa.func.count(s.id).label("responses"),
            sa.func.count(s.id).filter(s.score >= 9).label("promoters"),
            sa.func.count(s.id).filter(s.score.between(7, 8)).label("passives"),
            sa.func.count(s.id).filter(s.score <= 6).label("detractors"),
        )
        .select_from(responses)
        .group_by(*keys)
        .order_by(*group_order(keys))
    )
    return [
        NpsFigures(group_of(row._mapping, dimensions), row.responses, row.promoters, row.passives, row.detractors)
        for row in await conn.execute(statement)
    ]
