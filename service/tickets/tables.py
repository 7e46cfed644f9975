import sqlalchemy as sa

from service.db.columns import account_fk, created_at, not_before, one_of, updated_at, uuid_pk
from service.db.metadata import metadata

TICKET_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_CATEGORIES = ("bug", "question", "feature_request", "incident", "billing", "other")

tickets = sa.Table(
    "tickets",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("subject", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("priority", sa.Text),
    sa.Column("category", sa.Text),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("first_response_at", sa.DateTime(timezone=True)),
    sa.Column("solved_at", sa.DateTime(timezone=True)),
    sa.Column("csat", sa.SmallInteger),
    created_at(),
    updated_at(),
    one_of("status", TICKET_STATUSES),
    one_of("priority", TICKET_PRIORITIES),
    one_of("category", TICKET_CATEGORIES),
    not_before("opened_at", "first_response_at"),
    not_before("opened_at", "solved_at"),
    sa.CheckConstraint("csat BETWEEN 1 AND 5", name="csat_range"),
    sa.Index("ix_tickets_account_id_opened_at", "account_id", "opened_at"),
    sa.Index("ix_tickets_account_id_status", "account_id", "status"),
    # The timeline's "ticket solved" entries, newest first (service.timeline.queries.newest_entries).
    sa.Index(
        "ix_tickets_account_id_solved_at", "account_id", "solved_at", postgresql_where=sa.text("solved_at IS NOT NULL")
    ),
)
