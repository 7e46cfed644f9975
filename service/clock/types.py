"""The answer of ``runClockSweep``."""

import datetime as dt

import strawberry

from service.clock.sweep import SweepResult


@strawberry.type(description="What one run of the clock's sweep announced (events it had announced before are not).")
class ClockSweep:
    swept_at: dt.datetime = strawberry.field(description="The time the sweep ran as (its day is the UTC date).")
    renewals_upcoming: int = strawberry.field(description="renewal.upcoming events appended.")
    action_items_overdue: int = strawberry.field(description="action_item.overdue events appended.")
    tickets_escalated: int = strawberry.field(description="ticket.escalated events appended for a breached SLA.")

    @classmethod
    def from_result(cls, result: SweepResult) -> "ClockSweep":
        return cls(
            swept_at=result.at,
            renewals_upcoming=result.renewals_upcoming,
            action_items_overdue=result.action_items_overdue,
            tickets_escalated=result.tickets_escalated,
        )
