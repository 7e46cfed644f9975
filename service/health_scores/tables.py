import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from service.db_columns import account_fk, created_at, one_of, uuid_pk
from service.db_metadata import metadata

BANDS = ("red", "yellow", "green")

scorecards = sa.Table(
    "scorecards",
    metadata,
    uuid_pk(),
    sa.Column("name", sa.Text, nullable=False),  # the score it computes, e.g. "overall", "adoption"
    sa.Column("segment", sa.Text),  # null: the default for every segment
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("config", JSONB, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_by", sa.Text),
    created_at(),
    sa.CheckConstraint("version >= 1", name="version_positive"),
    sa.UniqueConstraint("name", "segment", "version", postgresql_nulls_not_distinct=True),
)

health_scores = sa.Table(
    "health_scores",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("scorecard_id", sa.Uuid, sa.ForeignKey("scorecards.id", ondelete="RESTRICT"), nullable=False),
    sa.Column("score_name", sa.Text, nullable=False),
    sa.Column("score", sa.Numeric(5, 2)),  # null: not enough data to score
    sa.Column("band", sa.Text),
    sa.Column("tier", sa.Text),
    sa.Column("trend", sa.Numeric(6, 2)),
    sa.Column("measures", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("override_score", sa.Numeric(5, 2)),
    sa.Column("override_reason", sa.Text),
    sa.Column("override_by", sa.Text),
    sa.Column("override_expires_at", sa.DateTime(timezone=True)),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    sa.CheckConstraint("override_score BETWEEN 0 AND 100", name="override_score_range"),
    sa.CheckConstraint(
        "override_score IS NULL OR (override_reason IS NOT NULL AND override_by IS NOT NULL)",
        name="override_explained",
    ),
    one_of("band", BANDS),
    sa.Index("ix_health_scores_account_id_score_name_computed_at", "account_id", "score_name", "computed_at"),
    sa.Index("ix_health_scores_scorecard_id", "scorecard_id"),
)
