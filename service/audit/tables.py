import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from service.db.columns import one_of, uuid_pk
from service.db.metadata import metadata

AUDIT_OUTCOMES = ("ok", "refused", "failed")

audit_log = sa.Table(
    "audit_log",
    metadata,
    uuid_pk(),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("key_id", sa.Uuid),  # null: done outside the API (the command line) or by a person
    sa.Column("person_id", sa.Uuid),  # a person with a bearer token (service.people)
    sa.Column("actor", sa.Text, nullable=False),  # the key's name, `person <subject>`, or `cli`
    sa.Column("role", sa.Text),
    sa.Column("action", sa.Text, nullable=False),  # e.g. `mutation:createHandoff`, `ingest:tickets`, `keys:revoke`
    sa.Column("target", sa.Text),  # what it acted on, when one thing (a global id, an entity name)
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),  # never PII or secrets
    sa.Column("request_id", sa.Text),
    one_of("outcome", AUDIT_OUTCOMES),
    sa.Index("ix_audit_log_occurred_at", "occurred_at"),
    sa.Index("ix_audit_log_key_id_occurred_at", "key_id", "occurred_at"),
    sa.Index("ix_audit_log_person_id_occurred_at", "person_id", "occurred_at"),
)
