"""Ingest: provenance hashes, unmatched records, pending parents, idempotency keys, merges, exact usage rollups.

Revision ID: 0002_ingest
Revises: 0001_initial_schema
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_ingest"
down_revision: str | None = "0001_initial_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_merges",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("merged_account_id", sa.Uuid(), nullable=False),
        sa.Column("merged_account_name", sa.Text(), nullable=False),
        sa.Column("into_account_id", sa.Uuid(), nullable=False),
        sa.Column("merged_by", sa.Text(), nullable=False),
        sa.Column("moved", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["into_account_id"],
            ["accounts.id"],
            name=op.f("fk_account_merges_into_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_merges")),
    )
    op.create_index("ix_account_merges_into_account_id", "account_merges", ["into_account_id"], unique=False)
    op.create_index("ix_account_merges_merged_account_id", "account_merges", ["merged_account_id"], unique=False)
    op.create_table(
        "ingest_requests",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_ingest_requests_api_key_id_api_keys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("api_key_id", "idempotency_key", name=op.f("pk_ingest_requests")),
    )
    op.create_index("ix_ingest_requests_created_at", "ingest_requests", ["created_at"], unique=False)
    op.create_table(
        "pending_parent_links",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("parent_external_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_pending_parent_links_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source", "account_id", name=op.f("pk_pending_parent_links")),
    )
    op.create_index(
        "ix_pending_parent_links_source_parent_external_id",
        "pending_parent_links",
        ["source", "parent_external_id"],
        unique=False,
    )
    op.create_table(
        "unmatched_records",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("account_external_id", sa.Text(), nullable=True),
        sa.Column("account_domain", sa.Text(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_account_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resolved_account_id"],
            ["accounts.id"],
            name=op.f("fk_unmatched_records_resolved_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmatched_records")),
        sa.UniqueConstraint(
            "source", "entity", "external_id", name=op.f("uq_unmatched_records_source_entity_external_id")
        ),
    )
    op.create_index(
        "ix_unmatched_records_pending_domain",
        "unmatched_records",
        ["account_domain"],
        unique=False,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_index(
        "ix_unmatched_records_pending_external_id",
        "unmatched_records",
        ["source", "account_external_id"],
        unique=False,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "usage_daily_users",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("feature", sa.Text(), nullable=False),
        sa.Column("user_ref", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_usage_daily_users_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "day", "feature", "user_ref", name=op.f("pk_usage_daily_users")),
    )
    op.add_column("source_links", sa.Column("payload_hash", sa.Text(), nullable=True))
    op.add_column("source_links", sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade() -> None:
    op.drop_column("source_links", "payload")
    op.drop_column("source_links", "payload_hash")
    op.drop_table("usage_daily_users")
    op.drop_index(
        "ix_unmatched_records_pending_external_id",
        table_name="unmatched_records",
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_index(
        "ix_unmatched_records_pending_domain",
        table_name="unmatched_records",
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_table("unmatched_records")
    op.drop_index("ix_pending_parent_links_source_parent_external_id", table_name="pending_parent_links")
    op.drop_table("pending_parent_links")
    op.drop_index("ix_ingest_requests_created_at", table_name="ingest_requests")
    op.drop_table("ingest_requests")
    op.drop_index("ix_account_merges_merged_account_id", table_name="account_merges")
    op.drop_index("ix_account_merges_into_account_id", table_name="account_merges")
    op.drop_table("account_merges")
