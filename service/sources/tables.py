import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from service.db.columns import account_fk, one_of, uuid_pk
from service.db.metadata import metadata

OBJECT_TYPES = (
    "account",
    "contact",
    "contract",
    "ticket",
    "usage_event",
    "survey_response",
    "timeline_event",
    "product",
)

source_links = sa.Table(
    "source_links",
    metadata,
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("object_type", sa.Text, nullable=False),
    sa.Column("external_id", sa.Text, nullable=False),
    sa.Column("entity_id", sa.Uuid, nullable=False),
    account_fk(nullable=True),
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("source_updated_at", sa.DateTime(timezone=True)),
    # sha256 of the last accepted record (minus updated_at): a re-sent record is "unchanged".
    sa.Column("payload_hash", sa.Text),
    # For accounts: the profile fields this source last sent; the account's profile is computed from
    # all its links by source priority, so the result does not depend on delivery order.
    sa.Column("payload", JSONB),
    one_of("object_type", OBJECT_TYPES),
    sa.CheckConstraint("length(source) > 0 AND length(external_id) > 0", name="reference_not_blank"),
    # What identifies a link is its key: no surrogate id (an index fewer for every link a batch writes).
    sa.PrimaryKeyConstraint("source", "object_type", "external_id"),
    sa.Index("ix_source_links_object_type_entity_id", "object_type", "entity_id"),
    sa.Index("ix_source_links_account_id", "account_id"),
    # The domains sources sent for their accounts: resolution by domain reads them (service.ingest.identity).
    sa.Index(
        "ix_source_links_account_domain",
        sa.text("(payload ->> 'domain')"),
        postgresql_where=sa.text("object_type = 'account'"),
    ),
)

# Records whose account reference did not resolve: kept (never dropped) and re-ingested when the
# account appears. A row stays after resolution, with resolved_at set, as an audit trail.
unmatched_records = sa.Table(
    "unmatched_records",
    metadata,
    uuid_pk(),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("entity", sa.Text, nullable=False),
    sa.Column("external_id", sa.Text, nullable=False),
    sa.Column("account_external_id", sa.Text),
    sa.Column("account_domain", sa.Text),
    # When account_domain belongs to several accounts: which ones (the hub does not pick one).
    sa.Column("candidate_account_ids", sa.ARRAY(sa.Uuid)),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="SET NULL")),
    sa.UniqueConstraint("source", "entity", "external_id"),
    sa.Index(
        "ix_unmatched_records_pending_external_id",
        "source",
        "account_external_id",
        postgresql_where=sa.text("resolved_at IS NULL"),
    ),
    sa.Index("ix_unmatched_records_pending_domain", "account_domain", postgresql_where=sa.text("resolved_at IS NULL")),
)

# An account whose parent_external_id named an account the source had not sent yet.
pending_parent_links = sa.Table(
    "pending_parent_links",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("parent_external_id", sa.Text, nullable=False),
    sa.Index("ix_pending_parent_links_source_parent_external_id", "source", "parent_external_id"),
)

# What a source's account object said it holds: a HubSpot company lists its contacts and deals in its associations
# (dlt's verified HubSpot source asks for no company on a contact or a deal, only on the company). A contact or a
# deal that names no account itself is placed in the account of the one that names it, by the source's id for that
# account; the newest naming wins.
source_associations = sa.Table(
    "source_associations",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("object_type", sa.Text, primary_key=True),
    sa.Column("external_id", sa.Text, primary_key=True),
    sa.Column("account_external_id", sa.Text, nullable=False),
    sa.Column("named_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    one_of("object_type", ("contact", "contract")),
)
