"""Ambiguous account domains: an unmatched record lists the accounts its domain names.

``unmatched_records.candidate_account_ids`` holds them when a domain belongs to several accounts (two
records of one source on the same domain are two accounts); an expression index finds the domains the
sources sent for their accounts (``source_links.payload->>'domain'``), which resolution now consults
besides ``accounts.domain`` so that the domains of a merged account keep resolving to the survivor.

Revision ID: 0008_ambiguous_account_domains
Revises: 0007_ingest_key_sources
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_ambiguous_account_domains"
down_revision: str | None = "0007_ingest_key_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("unmatched_records", sa.Column("candidate_account_ids", postgresql.ARRAY(sa.Uuid()), nullable=True))
    op.create_index(
        "ix_source_links_account_domain",
        "source_links",
        [sa.text("(payload ->> 'domain')")],
        unique=False,
        postgresql_where=sa.text("object_type = 'account'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_source_links_account_domain", table_name="source_links", postgresql_where=sa.text("object_type = 'account'")
    )
    op.drop_column("unmatched_records", "candidate_account_ids")
