"""Ingest keys bound to sources: ``api_keys.sources`` lists the sources a key may ingest and read for.

Null (every key made before, and unbound ones) keeps the old behaviour: every source.

Revision ID: 0007_ingest_key_sources
Revises: 0006_audit_and_rate_limits
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_ingest_key_sources"
down_revision: str | None = "0006_audit_and_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("sources", postgresql.ARRAY(sa.Text()), nullable=True))
    op.create_check_constraint(
        op.f("ck_api_keys_sources_of_ingest_keys"),
        "api_keys",
        "sources IS NULL OR (role = 'ingest' AND cardinality(sources) > 0)",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_api_keys_sources_of_ingest_keys"), "api_keys", type_="check")
    op.drop_column("api_keys", "sources")
