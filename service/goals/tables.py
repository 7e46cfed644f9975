import sqlalchemy as sa

from service.db.columns import account_fk, created_at, one_of, updated_at, uuid_pk
from service.db.metadata import metadata

GOAL_STATUSES = ("on_track", "at_risk", "achieved", "missed")
GOAL_NUMBER = sa.Numeric(18, 4)

goals = sa.Table(
    "goals",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("handoff_id", sa.Uuid, sa.ForeignKey("handoffs.id", ondelete="SET NULL")),
    sa.Column("outcome", sa.Text, nullable=False),  # the customer's business outcome, in their words
    # The success criterion: what is measured, from where to where, by when.
    sa.Column("metric", sa.Text),
    sa.Column("unit", sa.Text),
    sa.Column("baseline", GOAL_NUMBER),
    sa.Column("target", GOAL_NUMBER),
    sa.Column("due_on", sa.Date),
    sa.Column("status", sa.Text, nullable=False, server_default="on_track"),
    sa.Column("current_value", GOAL_NUMBER),  # the latest progress update's value
    sa.Column("achieved_on", sa.Date),
    # The latest status change: who set the status, when, and why.
    sa.Column("status_changed_at", sa.DateTime(timezone=True)),
    sa.Column("status_changed_by", sa.Text),
    sa.Column("status_note", sa.Text),
    sa.Column("created_by", sa.Text, nullable=False),
    created_at(),
    updated_at(),
    sa.CheckConstraint("length(btrim(outcome)) > 0", name="outcome_not_blank"),
    one_of("status", GOAL_STATUSES),
    sa.CheckConstraint("(status = 'achieved') = (achieved_on IS NOT NULL)", name="achieved_on_iff_achieved"),
    sa.Index("ix_goals_account_id_due_on", "account_id", "due_on"),
    sa.Index("ix_goals_handoff_id", "handoff_id"),
)

goal_progress = sa.Table(
    "goal_progress",
    metadata,
    uuid_pk(),
    sa.Column("goal_id", sa.Uuid, sa.ForeignKey("goals.id", ondelete="CASCADE"), nullable=False),
    account_fk(),
    sa.Column("value", GOAL_NUMBER, nullable=False),
    sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    created_at(),
    sa.Index("ix_goal_progress_goal_id_measured_at", "goal_id", "measured_at"),
    sa.Index("ix_goal_progress_account_id", "account_id"),
)
