"""``source_associations``: the contacts and deals a HubSpot company names in its associations, so that a contact
or deal that names no company itself (as dlt's verified HubSpot source loads them) is placed in that company's
account.

Revision ID: 0018_source_associations
Revises: 0017_daily_users_by_their_event
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_source_associations"
down_revision: str | None = "0017_daily_users_by_their_event"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_associations",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("object_type", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("account_external_id", sa.Text(), nullable=False),
        sa.Column("named_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("object_type IN ('contact', 'contract')", name=op.f("ck_source_associations_object_type")),
        sa.PrimaryKeyConstraint("source", "object_type", "external_id", name=op.f("pk_source_associations")),
    )


def downgrade() -> None:
    op.drop_table("source_associations")
