import sqlalchemy as sa

from service.db.columns import account_fk, created_at, one_of, updated_at, uuid_pk
from service.db.metadata import metadata

ACTION_THEMES = ("effortless", "onboarding", "adoption", "voc", "time_to_value")
ACTION_STATUSES = ("open", "in_progress", "done", "cancelled")

action_items = sa.Table(
    "action_items",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("handoff_id", sa.Uuid, sa.ForeignKey("handoffs.id", ondelete="SET NULL")),
    sa.Column("goal_id", sa.Uuid, sa.ForeignKey("goals.id", ondelete="SET NULL")),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("theme", sa.Text),
    sa.Column("owner", sa.Text),
    sa.Column("due_on", sa.Date),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
    created_at(),
    updated_at(),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("created_by", sa.Text),
    sa.CheckConstraint("length(btrim(title)) > 0", name="title_not_blank"),
    one_of("theme", ACTION_THEMES),
    one_of("status", ACTION_STATUSES),
    sa.Index("ix_action_items_account_id_due_on", "account_id", "due_on"),
    sa.Index("ix_action_items_handoff_id", "handoff_id"),
    sa.Index("ix_action_items_goal_id", "goal_id"),
)
