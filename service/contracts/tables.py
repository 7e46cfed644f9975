import sqlalchemy as sa

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

CONTRACT_STATUSES = ("draft", "active", "ended", "cancelled")
# What a contract was sold as: a first sale, the renewal of a term that ended, or more of what the customer has
# (an upsell or cross-sell). Null: the source did not say.
CONTRACT_KINDS = ("new", "renewal", "expansion")

products = sa.Table(
    "products",
    metadata,
    uuid_pk(),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("family", sa.Text),
    created_at(),
)

contracts = sa.Table(
    "contracts",
    metadata,
    uuid_pk(),
    account_fk(),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
    sa.Column("renewal_date", sa.Date),
    sa.Column("auto_renew", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("currency", sa.String(3), nullable=False, server_default="USD"),
    sa.Column("kind", sa.Text),
    created_at(),
    updated_at(),
    one_of("status", CONTRACT_STATUSES),
    one_of("kind", CONTRACT_KINDS),
    ends_after_start("start_date", "end_date"),
    currency_code(),
    sa.Index("ix_contracts_account_id_start_date", "account_id", "start_date"),
    sa.Index("ix_contracts_account_id_renewal_date", "account_id", "renewal_date"),
)

contract_lines = sa.Table(
    "contract_lines",
    metadata,
    uuid_pk(),
    sa.Column("contract_id", sa.Uuid, sa.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False),
    # Always the contract's account, which the contract's foreign key guarantees (migration 0015).
    sa.Column("account_id", sa.Uuid, nullable=False),
    sa.Column("product_id", sa.Uuid, sa.ForeignKey("products.id", ondelete="RESTRICT"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", MONEY),
    sa.Column("mrr", MONEY, nullable=False),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    created_at(),
    non_negative("quantity"),
    non_negative("unit_price"),
    non_negative("mrr"),
    ends_after_start("start_date", "end_date"),
    sa.Index("ix_contract_lines_contract_id", "contract_id"),
    sa.Index("ix_contract_lines_account_id_product_id", "account_id", "product_id"),
    sa.Index("ix_contract_lines_product_id", "product_id"),
)
