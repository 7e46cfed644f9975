import sqlalchemy as sa

from service.db.metadata import metadata

rate_limit_buckets = sa.Table(
    "rate_limit_buckets",
    metadata,
    sa.Column("key_id", sa.Uuid, sa.ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("scope", sa.Text, primary_key=True),  # e.g. `graphql`, `ingest`
    sa.Column("tokens", sa.Float, nullable=False),  # tokens left at `refilled_at`
    sa.Column("refilled_at", sa.DateTime(timezone=True), nullable=False),
)
