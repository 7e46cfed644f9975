"""The outbox and the webhook tables.

``events`` carries no foreign key to ``accounts``: an event is history, and outlives the account it was about
(a merged account is deleted; its events stay, and ``account.merged`` says where it went). ``sequence`` is the
order events were appended in (an identity column: increasing, with gaps where a transaction rolled back), which
is not the order they commit in; ``tx_id`` is the appending transaction's id, and readers take the outbox in
``(tx_id, sequence)`` order below a horizon (``service.events.commit_order``, migration ``0013``).
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql.base import ischema_names

from service.db.columns import created_at, one_of, updated_at, uuid_pk
from service.db.metadata import metadata

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class Xid8(sa.types.UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id (``pg_current_xact_id()``); asyncpg reads it as an int."""

    cache_ok = True

    def get_col_spec(self, **_: object) -> str:
        return "xid8"


ischema_names["xid8"] = Xid8  # what reflection (the migrations' check against this metadata) reads it as


events = sa.Table(
    "events",
    metadata,
    uuid_pk(),
    sa.Column("sequence", sa.BigInteger, sa.Identity(always=True), nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("account_id", sa.Uuid),  # no foreign key: see the module docstring
    sa.Column("subject_id", sa.Uuid),  # the record the event is about (handoff, alert, contract…), when one is
    sa.Column("actor", sa.Text),  # the key or person that caused it; null for the hub's own rules
    sa.Column("payload", JSONB, nullable=False),
    # Set on what the clock announces (outbox.append_once): at most one event per type, subject and key.
    sa.Column("dedupe_key", sa.Text),
    # The appending transaction; never set by a writer (service.events.commit_order).
    sa.Column("tx_id", Xid8(), nullable=False, server_default=sa.text("pg_current_xact_id()")),
    sa.UniqueConstraint("sequence", name="uq_events_sequence"),
    sa.Index("ix_events_account_id_sequence", "account_id", "sequence"),
    sa.Index("ix_events_tx_id_sequence", "tx_id", "sequence"),
    sa.Index("ix_events_subject_id_type", "subject_id", "type"),
    sa.Index("ix_events_occurred_at", "occurred_at"),
    sa.Index(
        "uq_events_type_subject_id_dedupe_key",
        "type",
        "subject_id",
        "dedupe_key",
        unique=True,
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
    ),
)

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    uuid_pk(),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("event_types", ARRAY(sa.Text), nullable=False),  # patterns: `*`, `handoff.*`, `alert.opened`
    sa.Column("segments", ARRAY(sa.Text)),  # only accounts of these segments (null: any)
    sa.Column("csm_owners", ARRAY(sa.Text)),  # only accounts these CSMs own (null: any)
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("disabled_reason", sa.Text),
    sa.Column("secret", sa.Text, nullable=False),  # whsec_…: needed in clear to sign; never returned after creation
    sa.Column("previous_secret", sa.Text),  # still signing beside the new one until previous_secret_expires_at
    sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True)),
    sa.Column("failing_since", sa.DateTime(timezone=True)),  # first failed attempt since the last success
    sa.Column("created_by", sa.Text, nullable=False),
    created_at(),
    updated_at(),
    sa.CheckConstraint("cardinality(event_types) > 0", name="event_types_not_empty"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    uuid_pk(),  # also the message's webhook-id (msg_<hex>), the same on every attempt
    sa.Column("endpoint_id", sa.Uuid, sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event_id", sa.Uuid, sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("response_status", sa.Integer),
    sa.Column("latency_ms", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    created_at(),
    one_of("status", DELIVERY_STATUSES),
    sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_id_event_id"),
    sa.Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")),
    sa.Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
    sa.Index("ix_webhook_deliveries_event_id", "event_id"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    uuid_pk(),
    sa.Column("delivery_id", sa.Uuid, sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("response_status", sa.Integer),  # null: no answer (timeout, refused connection, refused address)
    sa.Column("latency_ms", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
    sa.Index("ix_webhook_attempts_delivery_id_attempt", "delivery_id", "attempt"),
)
