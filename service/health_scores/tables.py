import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from service.accounts.tables import TOUCH_MODELS
from service.db.columns import account_fk, created_at, one_of, uuid_pk
from service.db.metadata import metadata

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
    # The band of the last score before this one with a band (same account and name): a band change is a row whose
    # band differs from it (the timeline's entries, by ix_health_scores_band_changes).
    sa.Column("previous_band", sa.Text),
    sa.Column("tier", sa.Text),
    sa.Column("touch_model", sa.Text),  # the tier's suggestion
    sa.Column("trend", sa.Numeric(6, 2)),  # score minus the previous score of the same name
    sa.Column("coverage", sa.Numeric(5, 4), nullable=False),  # share of the weight whose measures had data
    sa.Column("measures", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    sa.CheckConstraint("coverage BETWEEN 0 AND 1", name="coverage_range"),
    one_of("band", BANDS),
    one_of("previous_band", BANDS),
    one_of("touch_model", TOUCH_MODELS),
    sa.Index("ix_health_scores_account_id_score_name_computed_at", "account_id", "score_name", "computed_at"),
    sa.Index("ix_health_scores_scorecard_id", "scorecard_id"),
    sa.Index("ix_health_scores_computed_at", "computed_at"),  # the days the history thinning reads
    sa.Index(
        "ix_health_scores_band_changes", "account_id", "computed_at", postgresql_where=sa.text("band <> previous_band")
    ),
)

# A CSM's override of a computed score: it applies until it expires or is lifted; the computed score stays.
health_overrides = sa.Table(
    "health_overrides",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("score_name", sa.Text, nullable=False),
    sa.Column("score", sa.Numeric(5, 2), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    created_at(),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lifted_at", sa.DateTime(timezone=True)),
    sa.Column("lifted_by", sa.Text),
    sa.CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    sa.CheckConstraint("length(btrim(reason)) > 0", name="reason_not_blank"),
    sa.CheckConstraint("expires_at > created_at", name="expires_after_created"),
    sa.Index("ix_health_overrides_account_id_score_name", "account_id", "score_name", "created_at"),
)

# The `manual` measure's input: a CSM's judgement of an account, with a comment.
manual_scores = sa.Table(
    "manual_scores",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("score", sa.Numeric(5, 2), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    created_at(),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    sa.CheckConstraint("length(btrim(comment)) > 0", name="comment_not_blank"),
    sa.Index("ix_manual_scores_account_id_created_at", "account_id", "created_at"),
)

ALERT_RULES = ("usage_drop", "no_logins", "ticket_spike", "renewal_while_red", "band_dropped")
ALERT_STATUSES = ("open", "acknowledged", "resolved")

# Risk alerts raised by the rules evaluated with each recompute; one open (or acknowledged) alert per account
# and rule at a time, so a condition that persists does not raise a new alert on every recompute.
alerts = sa.Table(
    "alerts",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
    sa.Column("acknowledged_by", sa.Text),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_by", sa.Text),
    sa.Column("note", sa.Text),
    one_of("rule", ALERT_RULES),
    one_of("status", ALERT_STATUSES),
    sa.Index(
        "uq_alerts_account_id_rule_unresolved",
        "account_id",
        "rule",
        unique=True,
        postgresql_where=sa.text("status <> 'resolved'"),
    ),
    sa.Index("ix_alerts_status_opened_at", "status", "opened_at"),
)
