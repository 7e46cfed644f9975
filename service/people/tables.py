import sqlalchemy as sa

from service.db.columns import uuid_pk
from service.db.metadata import metadata

people = sa.Table(
    "people",
    metadata,
    uuid_pk(),
    sa.Column("issuer", sa.Text, nullable=False),  # the token's `iss`
    sa.Column("subject", sa.Text, nullable=False),  # the claim CSHUB_OIDC_PERSON_CLAIM names (`sub`)
    sa.Column("email", sa.Text),
    sa.Column("display_name", sa.Text),
    sa.Column("role", sa.Text, nullable=False),  # the role their latest token carried
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("issuer", "subject"),
)
