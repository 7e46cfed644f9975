"""Initial schema: the core tables (docs/architecture.md#data-model) with their keys, constraints and the 360 indexes.

Revision ID: 0001_initial_schema
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial_schema"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Creation order (foreign keys point backwards in this list); downgrade drops in reverse.
TABLES = [
    "accounts",
    "api_keys",
    "products",
    "scorecards",
    "contacts",
    "contracts",
    "health_scores",
    "source_links",
    "tickets",
    "timeline_events",
    "usage_daily",
    "usage_events",
    "user_last_seen",
    "contract_lines",
    "handoffs",
    "survey_responses",
    "action_items",
    "handoff_events",
]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("segment", sa.Text(), nullable=True),
        sa.Column("lifecycle_stage", sa.Text(), nullable=True),
        sa.Column("touch_model", sa.Text(), nullable=True),
        sa.Column("csm_owner", sa.Text(), nullable=True),
        sa.Column("sales_owner", sa.Text(), nullable=True),
        sa.Column("parent_account_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "lifecycle_stage IN ('prospect', 'onboarding', 'adoption', 'expansion', 'renewal', 'churned')",
            name=op.f("ck_accounts_lifecycle_stage"),
        ),
        sa.CheckConstraint(
            "segment IN ('enterprise', 'mid_market', 'smb', 'startup')", name=op.f("ck_accounts_segment")
        ),
        sa.CheckConstraint("touch_model IN ('high', 'low', 'tech')", name=op.f("ck_accounts_touch_model")),
        sa.CheckConstraint("domain = lower(domain)", name=op.f("ck_accounts_domain_lower_case")),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_accounts_name_not_blank")),
        sa.CheckConstraint("parent_account_id <> id", name=op.f("ck_accounts_not_own_parent")),
        sa.ForeignKeyConstraint(
            ["parent_account_id"],
            ["accounts.id"],
            name=op.f("fk_accounts_parent_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_index("ix_accounts_created_at_id", "accounts", ["created_at", "id"], unique=False)
    op.create_index("ix_accounts_csm_owner", "accounts", ["csm_owner"], unique=False)
    op.create_index("ix_accounts_name_id", "accounts", ["name", "id"], unique=False)
    op.create_index("ix_accounts_parent_account_id", "accounts", ["parent_account_id"], unique=False)
    op.create_index("ix_accounts_sales_owner", "accounts", ["sales_owner"], unique=False)
    op.create_index("ix_accounts_segment", "accounts", ["segment"], unique=False)
    op.create_index(
        "uq_accounts_domain", "accounts", ["domain"], unique=True, postgresql_where=sa.text("domain IS NOT NULL")
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("key_prefix", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'csm', 'sales', 'bi', 'ingest')", name=op.f("ck_api_keys_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("family", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("name", name=op.f("uq_products_name")),
    )
    op.create_table(
        "scorecards",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("segment", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_scorecards_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecards")),
        sa.UniqueConstraint(
            "name",
            "segment",
            "version",
            name=op.f("uq_scorecards_name_segment_version"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "role IN ('decision_maker', 'economic_buyer', 'champion', 'admin', 'user', 'billing', 'technical', 'other')",
            name=op.f("ck_contacts_role"),
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_contacts_email_lower_case")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_contacts_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index("ix_contacts_account_id_created_at", "contacts", ["account_id", "created_at"], unique=False)
    op.create_index("ix_contacts_account_id_email", "contacts", ["account_id", "email"], unique=False)
    op.create_table(
        "contracts",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("renewal_date", sa.Date(), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="USD", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_contracts_currency_iso_4217")),
        sa.CheckConstraint("status IN ('draft', 'active', 'ended', 'cancelled')", name=op.f("ck_contracts_status")),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date > start_date",
            name=op.f("ck_contracts_end_date_after_start_date"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_contracts_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    op.create_index("ix_contracts_account_id_renewal_date", "contracts", ["account_id", "renewal_date"], unique=False)
    op.create_index("ix_contracts_account_id_start_date", "contracts", ["account_id", "start_date"], unique=False)
    op.create_table(
        "health_scores",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("scorecard_id", sa.Uuid(), nullable=False),
        sa.Column("score_name", sa.Text(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("band", sa.Text(), nullable=True),
        sa.Column("tier", sa.Text(), nullable=True),
        sa.Column("trend", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column(
            "measures", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False
        ),
        sa.Column("override_score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_by", sa.Text(), nullable=True),
        sa.Column("override_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("band IN ('red', 'yellow', 'green')", name=op.f("ck_health_scores_band")),
        sa.CheckConstraint("override_score BETWEEN 0 AND 100", name=op.f("ck_health_scores_override_score_range")),
        sa.CheckConstraint(
            "override_score IS NULL OR (override_reason IS NOT NULL AND override_by IS NOT NULL)",
            name=op.f("ck_health_scores_override_explained"),
        ),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_health_scores_score_range")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_health_scores_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["scorecards.id"],
            name=op.f("fk_health_scores_scorecard_id_scorecards"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_scores")),
    )
    op.create_index(
        "ix_health_scores_account_id_score_name_computed_at",
        "health_scores",
        ["account_id", "score_name", "computed_at"],
        unique=False,
    )
    op.create_index("ix_health_scores_scorecard_id", "health_scores", ["scorecard_id"], unique=False)
    op.create_table(
        "source_links",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("object_type", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "object_type IN ('account', 'contact', 'contract', 'ticket', 'usage_event', 'survey_response', 'timeline_event', 'product')",
            name=op.f("ck_source_links_object_type"),
        ),
        sa.CheckConstraint(
            "length(source) > 0 AND length(external_id) > 0", name=op.f("ck_source_links_reference_not_blank")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_source_links_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_links")),
        sa.UniqueConstraint(
            "source", "object_type", "external_id", name=op.f("uq_source_links_source_object_type_external_id")
        ),
    )
    op.create_index("ix_source_links_account_id", "source_links", ["account_id"], unique=False)
    op.create_index("ix_source_links_object_type_entity_id", "source_links", ["object_type", "entity_id"], unique=False)
    op.create_table(
        "tickets",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("solved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("csat", sa.SmallInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "category IN ('bug', 'question', 'feature_request', 'incident', 'billing', 'other')",
            name=op.f("ck_tickets_category"),
        ),
        sa.CheckConstraint("priority IN ('low', 'normal', 'high', 'urgent')", name=op.f("ck_tickets_priority")),
        sa.CheckConstraint(
            "status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')", name=op.f("ck_tickets_status")
        ),
        sa.CheckConstraint("csat BETWEEN 1 AND 5", name=op.f("ck_tickets_csat_range")),
        sa.CheckConstraint(
            "first_response_at IS NULL OR first_response_at >= opened_at",
            name=op.f("ck_tickets_first_response_at_not_before_opened_at"),
        ),
        sa.CheckConstraint(
            "solved_at IS NULL OR solved_at >= opened_at", name=op.f("ck_tickets_solved_at_not_before_opened_at")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_tickets_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    op.create_index("ix_tickets_account_id_opened_at", "tickets", ["account_id", "opened_at"], unique=False)
    op.create_index("ix_tickets_account_id_status", "tickets", ["account_id", "status"], unique=False)
    op.create_table(
        "timeline_events",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('meeting', 'qbr', 'call', 'email', 'note', 'kickoff', 'onboarding', 'escalation', 'renewal', 'handoff', 'other')",
            name=op.f("ck_timeline_events_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_timeline_events_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_events")),
    )
    op.create_index(
        "ix_timeline_events_account_id_occurred_at", "timeline_events", ["account_id", "occurred_at"], unique=False
    )
    op.create_table(
        "usage_daily",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("feature", sa.Text(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("active_users", sa.Integer(), nullable=False),
        sa.CheckConstraint("active_users >= 0", name=op.f("ck_usage_daily_active_users_non_negative")),
        sa.CheckConstraint("events >= 0", name=op.f("ck_usage_daily_events_non_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_usage_daily_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "day", "feature", name=op.f("pk_usage_daily")),
    )
    op.create_table(
        "usage_events",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_event_id", sa.Text(), nullable=False),
        sa.Column("user_ref", sa.Text(), nullable=True),
        sa.Column("event_name", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_usage_events_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_events")),
        sa.UniqueConstraint("source", "source_event_id", name=op.f("uq_usage_events_source_source_event_id")),
    )
    op.create_index(
        "ix_usage_events_account_id_event_name_occurred_at",
        "usage_events",
        ["account_id", "event_name", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_usage_events_account_id_occurred_at", "usage_events", ["account_id", "occurred_at"], unique=False
    )
    op.create_table(
        "user_last_seen",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("user_ref", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("last_seen_at >= first_seen_at", name=op.f("ck_user_last_seen_last_seen_not_before_first")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_user_last_seen_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "user_ref", name=op.f("pk_user_last_seen")),
    )
    op.create_index(
        "ix_user_last_seen_account_id_last_seen_at", "user_last_seen", ["account_id", "last_seen_at"], unique=False
    )
    op.create_table(
        "contract_lines",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("mrr", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date > start_date",
            name=op.f("ck_contract_lines_end_date_after_start_date"),
        ),
        sa.CheckConstraint("mrr >= 0", name=op.f("ck_contract_lines_mrr_non_negative")),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_contract_lines_quantity_non_negative")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_contract_lines_unit_price_non_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_contract_lines_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_lines_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_contract_lines_product_id_products"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_lines")),
    )
    op.create_index(
        "ix_contract_lines_account_id_product_id", "contract_lines", ["account_id", "product_id"], unique=False
    )
    op.create_index("ix_contract_lines_contract_id", "contract_lines", ["contract_id"], unique=False)
    op.create_index("ix_contract_lines_product_id", "contract_lines", ["product_id"], unique=False)
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("opportunity_ref", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), server_default="DRAFT", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("arr", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("contract_start_date", sa.Date(), nullable=True),
        sa.Column("contract_end_date", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kickoff_date", sa.Date(), nullable=True),
        sa.Column("go_live_target_date", sa.Date(), nullable=True),
        sa.Column("first_value_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("sales_owner", sa.Text(), nullable=True),
        sa.Column("csm_owner", sa.Text(), nullable=True),
        sa.Column(
            "details", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_handoffs_currency_iso_4217")),
        sa.CheckConstraint(
            "state IN ('DRAFT', 'SUBMITTED', 'ACCEPTED', 'RETURNED', 'KICKOFF_HELD', 'FIRST_VALUE_REACHED', 'CANCELLED')",
            name=op.f("ck_handoffs_state"),
        ),
        sa.CheckConstraint("arr >= 0", name=op.f("ck_handoffs_arr_non_negative")),
        sa.CheckConstraint(
            "contract_end_date IS NULL OR contract_start_date IS NULL OR contract_end_date > contract_start_date",
            name=op.f("ck_handoffs_contract_end_date_after_contract_start_date"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_handoffs_version_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_handoffs_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_handoffs_contract_id_contracts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    op.create_index("ix_handoffs_account_id_created_at", "handoffs", ["account_id", "created_at"], unique=False)
    op.create_index("ix_handoffs_contract_id", "handoffs", ["contract_id"], unique=False)
    op.create_index("ix_handoffs_state", "handoffs", ["state"], unique=False)
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("contact_email", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(kind = 'nps' AND score BETWEEN 0 AND 10) OR (kind = 'csat' AND score BETWEEN 1 AND 5)",
            name=op.f("ck_survey_responses_score_range"),
        ),
        sa.CheckConstraint("kind IN ('nps', 'csat')", name=op.f("ck_survey_responses_kind")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_survey_responses_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_survey_responses_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
    )
    op.create_index(
        "ix_survey_responses_account_id_responded_at", "survey_responses", ["account_id", "responded_at"], unique=False
    )
    op.create_index("ix_survey_responses_contact_id", "survey_responses", ["contact_id"], unique=False)
    op.create_table(
        "action_items",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("handoff_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("theme", sa.Text(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'done', 'cancelled')", name=op.f("ck_action_items_status")
        ),
        sa.CheckConstraint(
            "theme IN ('effortless', 'onboarding', 'adoption', 'voc', 'time_to_value')",
            name=op.f("ck_action_items_theme"),
        ),
        sa.CheckConstraint("length(btrim(title)) > 0", name=op.f("ck_action_items_title_not_blank")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_action_items_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_action_items_handoff_id_handoffs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
    )
    op.create_index("ix_action_items_account_id_due_on", "action_items", ["account_id", "due_on"], unique=False)
    op.create_index("ix_action_items_handoff_id", "action_items", ["handoff_id"], unique=False)
    op.create_table(
        "handoff_events",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("handoff_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text(), nullable=False),
        sa.Column("from_state", sa.Text(), nullable=True),
        sa.Column("to_state", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "actor_role IN ('admin', 'csm', 'sales', 'bi', 'ingest')", name=op.f("ck_handoff_events_actor_role")
        ),
        sa.CheckConstraint(
            "from_state IN ('DRAFT', 'SUBMITTED', 'ACCEPTED', 'RETURNED', 'KICKOFF_HELD', 'FIRST_VALUE_REACHED', 'CANCELLED')",
            name=op.f("ck_handoff_events_from_state"),
        ),
        sa.CheckConstraint(
            "to_state IN ('DRAFT', 'SUBMITTED', 'ACCEPTED', 'RETURNED', 'KICKOFF_HELD', 'FIRST_VALUE_REACHED', 'CANCELLED')",
            name=op.f("ck_handoff_events_to_state"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_handoff_events_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_handoff_events_handoff_id_handoffs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_events")),
    )
    op.create_index(
        "ix_handoff_events_account_id_occurred_at", "handoff_events", ["account_id", "occurred_at"], unique=False
    )
    op.create_index(
        "ix_handoff_events_handoff_id_occurred_at", "handoff_events", ["handoff_id", "occurred_at"], unique=False
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
