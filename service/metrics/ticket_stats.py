"""The ``ticketStats`` metric: support volume, speed and satisfaction in a period (docs/kpis.md, tickets).

- opened: tickets with ``from <= opened_at < to``; solved: tickets with ``from <= solved_at < to`` (UTC).
- median first-response hours: over tickets opened in the period that have a first response (whenever it came),
  of ``first_response_at − opened_at``; median resolution hours: over tickets opened in the period that are
  solved, of ``solved_at − opened_at``. Medians interpolate (``percentile_cont(0.5)``); null without such tickets.
- mean CSAT: the mean ``tickets.csat`` (1–5) of the tickets solved in the period that were rated; null without
  ratings. (CSAT survey responses are not ticket ratings and are not mixed in.)
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.db.rows import median
from service.metrics.activity import Group, as_float, group_columns, group_of, group_order, hours
from service.metrics.dimensions import Dimension
from service.metrics.periods import Period
from service.tickets.tables import tickets


@dataclass(frozen=True, slots=True)
class TicketFigures:
    group: Group
    opened: int
    solved: int
    first_responses: int  # opened in the period and answered
    resolved: int  # opened in the period and solved
    median_first_response_hours: float | None
    median_resolution_hours: float | None
    csat_ratings: int  # solved in the period and rated
    mean_csat: float | None


async def ticket_stats(conn: AsyncConnection, period: Period, dimensions: Sequence[Dimension]) -> list[TicketFigures]:
    t = tickets.c
    keys = group_columns(dimensions)
    opened, solved = period.holds(t.opened_at), period.holds(t.solved_at)
    touched = accounts.outerjoin(tickets, sa.and_(t.account_id == accounts.c.id, sa.or_(opened, solved)))
    statement = (
        sa.select(
            *keys,
            sa.func.count(t.id).filter(opened).label("opened"),
            sa.func.count(t.id).filter(solved).label("solved"),
            sa.func.count(t.first_response_at).filter(opened).label("first_responses"),
            sa.func.count(t.solved_at).filter(opened).label("resolved"),
            median(sa.case((opened, hours(t.opened_at, t.first_response_at)))).label("median_first_response_hours"),
            median(sa.case((opened, hours(t.opened_at, t.solved_at)))).label("median_resolution_hours"),
            sa.func.count(t.csat).filter(solved).label("csat_ratings"),
            sa.func.avg(t.csat).filter(solved).label("mean_csat"),
        )
        .select_from(touched)
        .group_by(*keys)
        .order_by(*group_order(keys))
    )
    return [
        TicketFigures(
            group=group_of(row._mapping, dimensions),
            opened=row.opened,
            solved=row.solved,
            first_responses=row.first_responses,
            resolved=row.resolved,
            median_first_response_hours=as_float(row.median_first_response_hours),
            median_resolution_hours=as_float(row.median_resolution_hours),
            csat_ratings=row.csat_ratings,
            mean_csat=as_float(row.mean_csat),
        )
        for row in await conn.execute(statement)
    ]
