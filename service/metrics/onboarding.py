"""The ``onboarding`` metric: how the handoffs of a contract-start cohort reached first value (docs/kpis.md).

Cohort = handoffs whose ``contract_start_date`` is in ``[from, to)``, except CANCELLED ones (a cancelled handoff
was never going to be onboarded; they are counted apart as ``cancelled``). Completed = cohort handoffs with a
``first_value_on``. Completion rate = completed / cohort (null for an empty cohort). Time to value = median of
``first_value_on − contract_start_date`` in days over the completed handoffs (the same expression as the handoff
SLA summary), interpolated; null when none completed. Groups use the account's attributes, not the handoff's.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.db.rows import median
from service.handoffs.queries import SLA_EXPRESSIONS
from service.handoffs.tables import handoffs
from service.handoffs.workflow import State
from service.metrics.activity import Group, as_float, group_columns, group_of, group_order, ratio
from service.metrics.dimensions import Dimension
from service.metrics.periods import Period


@dataclass(frozen=True, slots=True)
class OnboardingFigures:
    group: Group
    cohort: int
    completed: int
    cancelled: int
    median_time_to_value_days: float | None
    mean_time_to_value_days: float | None

    @property
    def completion_rate(self) -> float | None:
        return ratio(self.completed, self.cohort)


async def onboarding(conn: AsyncConnection, period: Period, dimensions: Sequence[Dimension]) -> list[OnboardingFigures]:
    h = handoffs.c
    keys = group_columns(dimensions)
    kept = h.state != State.CANCELLED.value
    time_to_value = sa.case((kept, SLA_EXPRESSIONS["time_to_value_days"]))
    started = accounts.outerjoin(
        handoffs, sa.and_(h.account_id == accounts.c.id, period.holds_day(h.contract_start_date))
    )
    statement = (
        sa.select(
            *keys,
            sa.func.count(h.id).filter(kept).label("cohort"),
            sa.func.count(h.first_value_on).filter(kept).label("completed"),
            sa.func.count(h.id).filter(sa.not_(kept)).label("cancelled"),
            median(time_to_value).label("median_time_to_value_days"),
            sa.func.avg(time_to_value).label("mean_time_to_value_days"),
        )
        .select_from(started)
        .group_by(*keys)
        .order_by(*group_order(keys))
    )
    return [
        OnboardingFigures(
            group=group_of(row._mapping, dimensions),
            cohort=row.cohort,
            completed=row.completed,
            cancelled=row.cancelled,
            median_time_to_value_days=as_float(row.median_time_to_value_days),
            mean_time_to_value_days=as_float(row.mean_time_to_value_days),
        )
        for row in await conn.execute(statement)
    ]
