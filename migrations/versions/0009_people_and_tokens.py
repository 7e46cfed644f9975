"""People with OIDC/JWT bearer tokens: who they are, and where writes record them.

``people`` keeps each person an issuer's tokens name (issuer + subject → cshub's id, email, display name,
role). The audit log and handoffs record the person beside the key (``person_id``,
``created_by_person_id``: a sales rep edits their own drafts from any device). Rate-limit buckets count per
caller — an API key or a person — so their ``key_id`` becomes ``caller_id`` without the key foreign key.

Revision ID: 0009_people_and_tokens
Revises: 0008_ambiguous_account_domains
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_people_and_tokens"
down_revision: str | None = "0008_ambiguous_account_domains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_people_issuer_subject")),
    )
    op.add_column("audit_log", sa.Column("person_id", sa.Uuid(), nullable=True))
    op.create_index("ix_audit_log_person_id_occurred_at", "audit_log", ["person_id", "occurred_at"])
    op.add_column("handoffs", sa.Column("created_by_person_id", sa.Uuid(), nullable=True))
    op.drop_constraint("fk_rate_limit_buckets_key_id_api_keys", "rate_limit_buckets", type_="foreignkey")
    op.alter_column("rate_limit_buckets", "key_id", new_column_name="caller_id")


def downgrade() -> None:
    op.execute("DELETE FROM rate_limit_buckets WHERE caller_id NOT IN (SELECT id FROM api_keys)")
    op.alter_column("rate_limit_buckets", "caller_id", new_column_name="key_id")
    op.create_foreign_key(
        "fk_rate_limit_buckets_key_id_api_keys",
        "rate_limit_buckets",
        "api_keys",
        ["key_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.drop_column("handoffs", "created_by_person_id")
    op.drop_index("ix_audit_log_person_id_occurred_at", table_name="audit_log")
    op.drop_column("audit_log", "person_id")
    op.drop_table("people")
