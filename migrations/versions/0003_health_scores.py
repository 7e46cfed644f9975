"""Health scores: explained score rows (coverage, suggested touch model), overrides and manual scores apart.

Revision ID: 0003_health_scores
Revises: 0002_ingest
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_health_scores"
down_revision: str | None = "0002_ingest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Overrides move to their own table: they outlive any one computed row and expire on their own.
    op.drop_constraint(op.f("ck_health_scores_override_explained"), "health_scores", type_="check")
    op.drop_constraint(op.f("ck_health_scores_override_score_range"), "health_scores", type_="check")
    for column in ("override_score", "override_reason", "override_by", "override_expires_at"):
        op.drop_column("health_scores", column)
    op.add_column("health_scores", sa.Column("touch_model", sa.Text(), nullable=True))
    op.add_column("health_scores", sa.Column("coverage", sa.Numeric(precision=5, scale=4), nullable=False))
    op.create_check_constraint(op.f("ck_health_scores_coverage_range"), "health_scores", "coverage BETWEEN 0 AND 1")
    op.create_check_constraint(
        op.f("ck_health_scores_touch_model"), "health_scores", "touch_model IN ('high', 'low', 'tech')"
    )

    op.create_table(
        "health_overrides",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("score_name", sa.Text(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.Text(), nullable=True),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_health_overrides_score_range")),
        sa.CheckConstraint("length(btrim(reason)) > 0", name=op.f("ck_health_overrides_reason_not_blank")),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_health_overrides_expires_after_created")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_health_overrides_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_overrides")),
    )
    op.create_index(
        "ix_health_overrides_account_id_score_name",
        "health_overrides",
        ["account_id", "score_name", "created_at"],
        unique=False,
    )
    op.create_table(
        "manual_scores",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_manual_scores_score_range")),
        sa.CheckConstraint("length(btrim(comment)) > 0", name=op.f("ck_manual_scores_comment_not_blank")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_manual_scores_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_scores")),
    )
    op.create_index(
        "ix_manual_scores_account_id_created_at", "manual_scores", ["account_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_manual_scores_account_id_created_at", table_name="manual_scores")
    op.drop_table("manual_scores")
    op.drop_index("ix_health_overrides_account_id_score_name", table_name="health_overrides")
    op.drop_table("health_overrides")
    op.drop_constraint(op.f("ck_health_scores_touch_model"), "health_scores", type_="check")
    op.drop_constraint(op.f("ck_health_scores_coverage_range"), "health_scores", type_="check")
    op.drop_column("health_scores", "coverage")
    op.drop_column("health_scores", "touch_model")
    op.add_column("health_scores", sa.Column("override_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("health_scores", sa.Column("override_by", sa.Text(), nullable=True))
    op.add_column("health_scores", sa.Column("override_reason", sa.Text(), nullable=True))
    op.add_column("health_scores", sa.Column("override_score", sa.Numeric(precision=5, scale=2), nullable=True))
    op.create_check_constraint(
        op.f("ck_health_scores_override_score_range"), "health_scores", "override_score BETWEEN 0 AND 100"
    )
    op.create_check_constraint(
        op.f("ck_health_scores_override_explained"),
        "health_scores",
        "override_score IS NULL OR (override_reason IS NOT NULL AND override_by IS NOT NULL)",
    )
