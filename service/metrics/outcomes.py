"""The ``outcomes`` metric: success-plan goals due in a period and how they ended up.

Goals due in ``[from, to)`` (``goals.due_on``; goals without a due date are not counted), by their status
today: achieved, missed, at risk, on track. Achievement rate = achieved / (achieved + missed) — of the due goals
that have a verdict; goals still at risk or on track after their due date are not in the denominator. Null when
no due goal has a verdict.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.goals.tables import goals
from service.metrics.activity import Group, group_columns, group_of, group_order, ratio
from service.metrics.dimensions import Dimension
from service.metrics.periods import Period


@dataclass(frozen=True, slots=True)
class OutcomeFigures:
    group: Group
    due: int
    achieved: int
    missed: int
    at_risk: int
    on_track: int

    @property
    def achievement_rate(self) -> float | None:
        return ratio(self.achieved, self.achieved + self.missed)


async def outcomes(conn: AsyncConnection, period: Period, dimensions: Sequence[Dimension]) -> list[OutcomeFigures]:
    g = goals.c
    keys = group_columns(dimensions)

    def status(name: str) -> sa.ColumnElement[int]:
        return sa.func.count(g.id).filter(g.status == name)

    statement = (
        sa.select(
            *keys,
            sa.func.count(g.id).label("due"),
            status("achieved").label("achieved"),
            status("missed").label("missed"),
            status("at_risk").label("at_risk"),
            status("on_track").label("on_track"),
        )
        .select_from(accounts.outerjoin(goals, sa.and_(g.account_id == accounts.c.id, period.holds_day(g.due_on))))
        .group_by(*keys)
        .order_by(*group_order(keys))
    )
    return [
        OutcomeFigures(group_of(row._mapping, dimensions), row.due, row.achieved, row.missed, row.at_risk, row.on_track)
        for row in await conn.execute(statement)
    ]
