"""A usage_daily_users row's account is its usage event's: ``usage_daily_users.account_id`` loses its foreign key.

Rows of ``usage_daily_users`` are written only from usage events inserted by the same statement
(``service.ingest.usage_events``), whose own foreign key to ``accounts`` checks that account, and by an account
merge, onto the surviving account it holds locked; a merge deletes the merged account's rows itself
(``service.customer360.merge``), which the cascade did. The row-by-row check was about a quarter of the time to
store a batch of usage events: a batch of 1,000 events adds some 900 of these rows, each checked on its own.

Revision ID: 0017_daily_users_by_their_event
Revises: 0016_ticket_solved_index
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_daily_users_by_their_event"
down_revision: str | None = "0016_ticket_solved_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("fk_usage_daily_users_account_id_accounts"), "usage_daily_users", type_="foreignkey")


def downgrade() -> None:
    op.execute(
        "DELETE FROM usage_daily_users AS u WHERE NOT EXISTS (SELECT FROM accounts AS a WHERE a.id = u.account_id)"
    )
    op.create_foreign_key(
        op.f("fk_usage_daily_users_account_id_accounts"),
        "usage_daily_users",
        "accounts",
        ["account_id"],
        ["id"],
        ondelete="CASCADE",
    )
