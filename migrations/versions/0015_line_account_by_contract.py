"""A contract line's account is its contract's: ``contract_lines.account_id`` loses its own foreign key.

The column stays (revenue reads lines by account without joining contracts), but its foreign key to ``accounts``
checked, row by row, what the line's contract already guarantees: ingest writes every line with the account its
contract is written with, in the same transaction (``contracts.account_id`` has the foreign key); deleting an
account deletes its contracts and with them their lines (both ON DELETE CASCADE); and a merge moves every
``account_id`` column onto the surviving account before it deletes the merged one. The check was about a quarter
of the time to store a line (a batch of 1,000 contracts writes 2,000 lines).

Revision ID: 0015_line_account_by_contract
Revises: 0014_contract_kinds
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_line_account_by_contract"
down_revision: str | None = "0014_contract_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("fk_contract_lines_account_id_accounts"), "contract_lines", type_="foreignkey")


def downgrade() -> None:
    op.create_foreign_key(
        op.f("fk_contract_lines_account_id_accounts"),
        "contract_lines",
        "accounts",
        ["account_id"],
        ["id"],
        ondelete="CASCADE",
    )
