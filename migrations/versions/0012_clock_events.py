"""Events the clock produces are announced once: ``events.dedupe_key`` and a unique index on it per type and subject.

``renewal.upcoming`` (once per contract, renewal date and window), ``action_item.overdue`` (once per action item
and due date) and ``ticket.escalated`` for a breached SLA (once per ticket and breach kind) are appended by a
sweep that several processes may run at once. The outbox itself remembers what was said: such an event carries a
``dedupe_key``, and the unique index makes a second append of the same (type, subject, key) a no-op
(``INSERT … ON CONFLICT DO NOTHING``), even when two transactions race — the second waits for the first and
inserts nothing if it committed. Events written by people's and sources' changes leave the key null.

Revision ID: 0012_clock_events
Revises: 0011_events_notify
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_clock_events"
down_revision: str | None = "0011_events_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("dedupe_key", sa.Text()))
    op.create_index(
        "uq_events_type_subject_id_dedupe_key",
        "events",
        ["type", "subject_id", "dedupe_key"],
        unique=True,
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_events_type_subject_id_dedupe_key", table_name="events")
    op.drop_column("events", "dedupe_key")
