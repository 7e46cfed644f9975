import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from service.api_keys.roles import Role
from service.db.columns import (
    MONEY,
    account_fk,
    created_at,
    currency_code,
    ends_after_start,
    non_negative,
    one_of,
    updated_at,
    uuid_pk,
)
from service.db.metadata import metadata
from service.handoffs.workflow import State

HANDOFF_STATES = tuple(state.value for state in State)
ACTOR_ROLES = tuple(role.value for role in Role)

handoffs = sa.Table(
    "handoffs",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("contract_id", sa.Uuid, sa.ForeignKey("contracts.id", ondelete="SET NULL")),
    sa.Column("opportunity_ref", sa.Text),
    sa.Column("state", sa.Text, nullable=False, server_default="DRAFT"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("arr", MONEY),
    sa.Column("currency", sa.String(3)),
    sa.Column("contract_start_date", sa.Date),
    sa.Column("contract_end_date", sa.Date),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("submitted_at", sa.DateTime(timezone=True)),
    sa.Column("accepted_at", sa.DateTime(timezone=True)),
    sa.Column("kickoff_date", sa.Date),
    sa.Column("go_live_target_date", sa.Date),
    sa.Column("kickoff_held_at", sa.DateTime(timezone=True)),
    sa.Column("first_value_on", sa.Date),  # the day the customer first got value (TtV ends here)
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    sa.Column("returned_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_by", sa.Text),
    # The key or the person (service.people) that created it: sales edit their own drafts.
    sa.Column("created_by_key_id", sa.Uuid),
    sa.Column("created_by_person_id", sa.Uuid),
    sa.Column("sales_owner", sa.Text),
    sa.Column("csm_owner", sa.Text),
    # The grouped record (deal terms, why they bought, goals, stakeholders, promises, implementation,
    # risks, evidence links), validated at the edge.
    sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    created_at(),
    updated_at(),
    one_of("state", HANDOFF_STATES),
    sa.CheckConstraint("version >= 1", name="version_positive"),
    non_negative("arr"),
    non_negative("returned_count"),
    currency_code(),
    ends_after_start("contract_start_date", "contract_end_date"),
    sa.Index("ix_handoffs_account_id_created_at", "account_id", "created_at"),
    sa.Index("ix_handoffs_state", "state"),
    sa.Index("ix_handoffs_contract_id", "contract_id"),
)

handoff_events = sa.Table(
    "handoff_events",
    metadata,
    uuid_pk(),
    sa.Column("handoff_id", sa.Uuid, sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False),
    account_fk(),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("actor_role", sa.Text, nullable=False),
    sa.Column("from_state", sa.Text),
    sa.Column("to_state", sa.Text, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    one_of("actor_role", ACTOR_ROLES),
    one_of("from_state", HANDOFF_STATES),
    one_of("to_state", HANDOFF_STATES),
    sa.Index("ix_handoff_events_handoff_id_occurred_at", "handoff_id", "occurred_at"),
    sa.Index("ix_handoff_events_account_id_occurred_at", "account_id", "occurred_at"),
)
