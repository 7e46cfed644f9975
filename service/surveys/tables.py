import sqlalchemy as sa

from service.db.columns import account_fk, created_at, one_of, uuid_pk
from service.db.metadata import metadata

SURVEY_KINDS = ("nps", "csat")

survey_responses = sa.Table(
    "survey_responses",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("contact_id", sa.Uuid, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
    sa.Column("contact_email", sa.Text),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("score", sa.SmallInteger, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
    created_at(),
    one_of("kind", SURVEY_KINDS),
    sa.CheckConstraint(
        "(kind = 'nps' AND score BETWEEN 0 AND 10) OR (kind = 'csat' AND score BETWEEN 1 AND 5)",
        name="score_range",
    ),
    sa.Index("ix_survey_responses_account_id_responded_at", "account_id", "responded_at"),
    sa.Index("ix_survey_responses_contact_id", "contact_id"),
)
