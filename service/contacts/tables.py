import sqlalchemy as sa

from service.db.columns import account_fk, created_at, one_of, updated_at, uuid_pk
from service.db.metadata import metadata

CONTACT_ROLES = ("decision_maker", "economic_buyer", "champion", "admin", "user", "billing", "technical", "other")

contacts = sa.Table(
    "contacts",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("name", sa.Text),
    sa.Column("email", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("role", sa.Text),
    created_at(),
    updated_at(),
    sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
    one_of("role", CONTACT_ROLES),
    sa.Index("ix_contacts_account_id_created_at", "account_id", "created_at"),
    sa.Index("ix_contacts_account_id_email", "account_id", "email"),
)
