"""Contracts record their kind: ``contracts.kind`` is ``new``, ``renewal`` or ``expansion`` (null: unknown).

A CRM says what a deal was — Salesforce's Opportunity ``Type``, HubSpot's ``dealtype`` — and the source adapters
map it (their mapping files); the generic ingest takes it as ``kind``. Contracts written before keep null: cshub
cannot tell their kind after the fact.

Revision ID: 0014_contract_kinds
Revises: 0013_events_commit_order
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_contract_kinds"
down_revision: str | None = "0013_events_commit_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("contracts", sa.Column("kind", sa.Text(), nullable=True))
    op.create_check_constraint(op.f("ck_contracts_kind"), "contracts", "kind IN ('new', 'renewal', 'expansion')")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_contracts_kind"), "contracts", type_="check")
    op.drop_column("contracts", "kind")
