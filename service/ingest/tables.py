import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from service.db.metadata import metadata

# Idempotency-Key replays: the first response for (API key, Idempotency-Key), with a hash of the
# request it answered so the same key with a different body is refused.
ingest_requests = sa.Table(
    "ingest_requests",
    metadata,
    sa.Column("api_key_id", sa.Uuid, sa.ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("idempotency_key", sa.Text, primary_key=True),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("response", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_ingest_requests_created_at", "created_at"),
)
