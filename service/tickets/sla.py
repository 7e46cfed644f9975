"""The support SLA: how long a ticket may wait for its first response and for its resolution, by priority.

One rule, used wherever cshub asks whether a ticket breached its SLA (the clock's ``ticket.escalated``,
``service.clock``). A ticket without a priority is held to ``normal``. A target is breached when its deadline
(``opened_at`` + the target) has passed while the ticket is still open and the stamp is missing: no
``first_response_at`` for the first response, not solved (``solved``/``closed``) for the resolution. A ticket
answered or solved late is past — nothing can be done about it any more, so it is not a breach to act on.
"""

import datetime as dt
from typing import Any, Final

import sqlalchemy as sa

from service.db.rows import text_array
from service.tickets.queries import OPEN_STATUSES
from service.tickets.tables import tickets

DEFAULT_PRIORITY: Final = "normal"

# Hours from opening, per priority: (first response, resolution).
SLA_HOURS: Final[dict[str, tuple[int, int]]] = {
    "urgent": (1, 24),
    "high": (4, 72),
    "normal": (24, 7 * 24),
    "low": (48, 14 * 24),
}
BREACH_KINDS: Final = ("first_response", "resolution")


def _deadline(target: int) -> sa.ColumnElement[dt.datetime]:
    """``opened_at`` plus the priority's target ``target`` (0: first response, 1: resolution), in SQL."""
    hours = sa.case(
        *((tickets.c.priority == priority, targets[target]) for priority, targets in SLA_HOURS.items()),
        else_=SLA_HOURS[DEFAULT_PRIORITY][target],
    )
    return tickets.c.opened_at + sa.func.make_interval(0, 0, 0, 0, hours)


def sla_breaches(now: dt.datetime) -> sa.Select[Any]:
    """(ticket_id, account_id, priority, status, breach, due_at): every open ticket in breach at ``now``, once per
    kind it breaches (a ticket unanswered past both deadlines is two rows)."""
    t = tickets.c
    is_open = t.status == sa.any_(text_array(OPEN_STATUSES))
    at = sa.literal(now, sa.DateTime(timezone=True))
    kinds = []
    for index, (kind, pending) in enumerate(zip(BREACH_KINDS, (t.first_response_at.is_(None), sa.true()), strict=True)):
        due = _deadline(index)
        kinds.append(
            sa.select(
                t.id.label("ticket_id"),
                t.account_id,
                t.priority,
                t.status,
                sa.literal(kind, sa.Text).label("breach"),
                due.label("due_at"),
            ).where(is_open, pending, due <= at)
        )
    return sa.union_all(*kinds).subquery("sla_breaches").select()
