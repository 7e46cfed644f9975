import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from service.db.columns import created_at, one_of, updated_at, uuid_pk
from service.db.metadata import metadata

SEGMENTS = ("enterprise", "mid_market", "smb", "startup")
LIFECYCLE_STAGES = ("prospect", "onboarding", "adoption", "expansion", "renewal", "churned")
TOUCH_MODELS = ("high", "low", "tech")

accounts = sa.Table(
    "accounts",
    metadata,
    uuid_pk(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("domain", sa.Text),
    sa.Column("industry", sa.Text),
    sa.Column("segment", sa.Text),
    sa.Column("lifecycle_stage", sa.Text),
    sa.Column("touch_model", sa.Text),
    sa.Column("csm_owner", sa.Text),
    sa.Column("sales_owner", sa.Text),
    sa.Column("parent_account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="SET NULL")),
    created_at(),
    updated_at(),
    sa.CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
    sa.CheckConstraint("domain = lower(domain)", name="domain_lower_case"),
    sa.CheckConstraint("parent_account_id <> id", name="not_own_parent"),
    one_of("segment", SEGMENTS),
    one_of("lifecycle_stage", LIFECYCLE_STAGES),
    one_of("touch_model", TOUCH_MODELS),
    sa.Index("uq_accounts_domain", "domain", unique=True, postgresql_where=sa.text("domain IS NOT NULL")),
    sa.Index("ix_accounts_name_id", "name", "id"),
    sa.Index("ix_accounts_created_at_id", "created_at", "id"),
    sa.Index("ix_accounts_csm_owner", "csm_owner"),
    sa.Index("ix_accounts_sales_owner", "sales_owner"),
    sa.Index("ix_accounts_parent_account_id", "parent_account_id"),
    sa.Index("ix_accounts_segment", "segment"),
)

# The record of each merge: the merged-away account is deleted, its id and name are kept here.
account_merges = sa.Table(
    "account_merges",
    metadata,
    uuid_pk(),
    sa.Column("merged_account_id", sa.Uuid, nullable=False),
    sa.Column("merged_account_name", sa.Text, nullable=False),
    sa.Column("into_account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("merged_by", sa.Text, nullable=False),
    sa.Column("moved", JSONB, nullable=False),
    sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_account_merges_into_account_id", "into_account_id"),
    sa.Index("ix_account_merges_merged_account_id", "merged_account_id"),
)
