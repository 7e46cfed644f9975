import sqlalchemy as sa

from service.db.columns import account_fk, non_negative, uuid_pk
from service.db.metadata import metadata

usage_events = sa.Table(
    "usage_events",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_event_id", sa.Text, nullable=False),
    sa.Column("user_ref", sa.Text),  # null for account-level events
    sa.Column("event_name", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("value", sa.Numeric(18, 4)),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("source", "source_event_id"),
    sa.Index("ix_usage_events_account_id_occurred_at", "account_id", "occurred_at"),
    sa.Index("ix_usage_events_account_id_event_name_occurred_at", "account_id", "event_name", "occurred_at"),
)

# Rollup maintained on ingest: one row per account, UTC day and feature.
usage_daily = sa.Table(
    "usage_daily",
    metadata,
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("feature", sa.Text, primary_key=True),
    sa.Column("events", sa.BigInteger, nullable=False),
    sa.Column("active_users", sa.Integer, nullable=False),
    non_negative("events"),
    non_negative("active_users"),
)

user_last_seen = sa.Table(
    "user_last_seen",
    metadata,
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_ref", sa.Text, primary_key=True),
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("last_seen_at >= first_seen_at", name="last_seen_not_before_first"),
    sa.Index("ix_user_last_seen_account_id_last_seen_at", "account_id", "last_seen_at"),
)

# Who was active per account, day and feature: makes usage_daily.active_users exact under replays and
# concurrent batches (a user counts once, decided by this primary key, not by a racing read). No foreign key:
# each row is written with the usage event that names it, whose key checks the account (migration 0017).
usage_daily_users = sa.Table(
    "usage_daily_users",
    metadata,
    sa.Column("account_id", sa.Uuid, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("feature", sa.Text, primary_key=True),
    sa.Column("user_ref", sa.Text, primary_key=True),
)
