import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from service.api_keys.roles import Role
from service.db.columns import created_at, one_of, uuid_pk
from service.db.metadata import metadata

api_keys = sa.Table(
    "api_keys",
    metadata,
    uuid_pk(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("key_prefix", sa.Text, nullable=False),  # the first characters, to recognise a key
    sa.Column("key_hash", sa.Text, nullable=False, unique=True),  # sha256 hex of the secret
    created_at(),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    # The sources an ingest key may ingest and read for; null: every source (keys are unbound unless made bound).
    sa.Column("sources", ARRAY(sa.Text)),
    one_of("role", [role.value for role in Role]),
    sa.CheckConstraint(
        "sources IS NULL OR (role = 'ingest' AND cardinality(sources) > 0)", name="sources_of_ingest_keys"
    ),
)
