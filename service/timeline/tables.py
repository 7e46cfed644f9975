import sqlalchemy as sa

from service.db.columns import account_fk, created_at, one_of, uuid_pk
from service.db.metadata import metadata

TIMELINE_KINDS = (
    "meeting",
    "qbr",
    "call",
    "email",
    "note",
    "kickoff",
    "onboarding",
    "escalation",
    "renewal",
    "handoff",
    "other",
)

timeline_events = sa.Table(
    "timeline_events",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("actor", sa.Text),
    sa.Column("source", sa.Text),
    created_at(),
    one_of("kind", TIMELINE_KINDS),
    sa.Index("ix_timeline_events_account_id_occurred_at", "account_id", "occurred_at"),
)
