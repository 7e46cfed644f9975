import sqlalchemy as sa

from service.db.metadata import metadata

rate_limit_buckets = sa.Table(
    "rate_limit_buckets",
    metadata,
    sa.Column("caller_id", sa.Uuid, primary_key=True),  # the API key's id or the person's (service.people)
    sa.Column("scope", sa.Text, primary_key=True),  # e.g. `graphql`, `ingest`
    sa.Column("tokens", sa.Float, nullable=False),  # tokens left at `refilled_at`
    sa.Column("refilled_at", sa.DateTime(timezone=True), nullable=False),
)
