"""Tickets by account and solved time: the timeline's "ticket solved" entries page from an index.

A timeline page reads each source's newest rows after its cursor (``service.timeline.queries.newest_entries``);
for solved tickets that is the account's tickets newest ``solved_at`` first. Without this index the page read
every ticket of the account and sorted the solved ones (an account with 20,000 tickets: ~60 ms per page).
Partial: only solved tickets have entries.

Revision ID: 0016_ticket_solved_index
Revises: 0015_line_account_by_contract
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_ticket_solved_index"
down_revision: str | None = "0015_line_account_by_contract"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_tickets_account_id_solved_at",
        "tickets",
        ["account_id", "solved_at"],
        postgresql_where=sa.text("solved_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_account_id_solved_at", table_name="tickets")
