"""Handoff workflow: kickoff/first-value/cancel stamps, success-plan goals with progress, goal-linked action items.

Revision ID: 0005_handoff_workflow
Revises: 0004_alerts
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_handoff_workflow"
down_revision: str | None = "0004_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_column("handoffs", "first_value_at")
    op.add_column("handoffs", sa.Column("kickoff_held_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("handoffs", sa.Column("first_value_on", sa.Date(), nullable=True))
    op.add_column("handoffs", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("handoffs", sa.Column("returned_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("handoffs", sa.Column("created_by_key_id", sa.Uuid(), nullable=True))
    op.create_check_constraint(op.f("ck_handoffs_returned_count_non_negative"), "handoffs", "returned_count >= 0")

    op.create_table(
        "goals",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("handoff_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("baseline", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("target", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), server_default="on_track", nullable=False),
        sa.Column("current_value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("achieved_on", sa.Date(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_changed_by", sa.Text(), nullable=True),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'achieved') = (achieved_on IS NOT NULL)", name=op.f("ck_goals_achieved_on_iff_achieved")
        ),
        sa.CheckConstraint("length(btrim(outcome)) > 0", name=op.f("ck_goals_outcome_not_blank")),
        sa.CheckConstraint("status IN ('on_track', 'at_risk', 'achieved', 'missed')", name=op.f("ck_goals_status")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_goals_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_goals_handoff_id_handoffs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    op.create_index("ix_goals_account_id_due_on", "goals", ["account_id", "due_on"], unique=False)
    op.create_index("ix_goals_handoff_id", "goals", ["handoff_id"], unique=False)

    op.create_table(
        "goal_progress",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_goal_progress_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_goal_progress_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_progress")),
    )
    op.create_index("ix_goal_progress_account_id", "goal_progress", ["account_id"], unique=False)
    op.create_index("ix_goal_progress_goal_id_measured_at", "goal_progress", ["goal_id", "measured_at"], unique=False)

    op.add_column("action_items", sa.Column("goal_id", sa.Uuid(), nullable=True))
    op.add_column("action_items", sa.Column("created_by", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_action_items_goal_id_goals"), "action_items", "goals", ["goal_id"], ["id"], ondelete="SET NULL"
    )
    op.create_index("ix_action_items_goal_id", "action_items", ["goal_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_action_items_goal_id", table_name="action_items")
    op.drop_constraint(op.f("fk_action_items_goal_id_goals"), "action_items", type_="foreignkey")
    op.drop_column("action_items", "created_by")
    op.drop_column("action_items", "goal_id")
    op.drop_index("ix_goal_progress_goal_id_measured_at", table_name="goal_progress")
    op.drop_index("ix_goal_progress_account_id", table_name="goal_progress")
    op.drop_table("goal_progress")
    op.drop_index("ix_goals_handoff_id", table_name="goals")
    op.drop_index("ix_goals_account_id_due_on", table_name="goals")
    op.drop_table("goals")
    op.drop_constraint(op.f("ck_handoffs_returned_count_non_negative"), "handoffs", type_="check")
    for column in ("created_by_key_id", "returned_count", "cancelled_at", "first_value_on", "kickoff_held_at"):
        op.drop_column("handoffs", column)
    op.add_column("handoffs", sa.Column("first_value_at", sa.DateTime(timezone=True), nullable=True))
