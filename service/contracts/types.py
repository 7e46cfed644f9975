"""GraphQL types of the contracts domain (contracts, lines, products, money), mapped from the query rows here."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from service.accounts import queries as account_queries
from service.contracts import queries
from service.contracts.queries import ContractRow, LineRow
from service.graphql.context import Context
from service.graphql.lazy import LazyAccount, account_from_row
from service.graphql.relay import Node, encode_global_id

CONTRACT_TYPE_NAME = "Contract"


@strawberry.type(description="An amount of money in a currency.")
class Money:
    amount: Decimal = strawberry.field(description="The amount, as a decimal string with two places (e.g. `1250.00`).")
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. `USD`.")


@strawberry.enum(description="State of a contract today; revenue history follows its dates, not this state.")
class ContractStatus(Enum):
    DRAFT = strawberry.enum_value("draft", description="Not signed; counts for no revenue.")
    ACTIVE = strawberry.enum_value("active", description="Signed and running.")
    ENDED = strawberry.enum_value(
        "ended", description="Ran out (its lines still count as revenue for the days they were active)."
    )
    CANCELLED = strawberry.enum_value("cancelled", description="Called off; counts for no revenue.")


@strawberry.enum(
    description="What a contract was sold as, as its source says (Salesforce's Opportunity Type, HubSpot's "
    "dealtype, mapped per source; `kind` of the ingest record)."
)
class ContractKind(Enum):
    NEW = strawberry.enum_value("new", description="A first sale to the customer (new business).")
    RENEWAL = strawberry.enum_value("renewal", description="The renewal of a term that ended or is ending.")
    EXPANSION = strawberry.enum_value(
        "expansion", description="More of what the customer has, or something new beside it (upsell, cross-sell)."
    )


@strawberry.type(description="Something the customer can buy: a plan or an add-on.")
class Product:
    name: str = strawberry.field(description="Product name as the CRM sends it.")
    family: str | None = strawberry.field(description="Product family, when known (e.g. `platform`).")


@strawberry.type(description="One product on a contract, with its quantity, price and effective dates.")
class ContractLine:
    product: Product = strawberry.field(description="The product.")
    quantity: int = strawberry.field(description="Units, usually seats.")
    unit_price: Money | None = strawberry.field(description="Monthly price per unit, when the source sends it.")
    mrr: Money = strawberry.field(description="Monthly recurring revenue of the line.")
    start_date: date | None = strawberry.field(description="First day the line is active (UTC).")
    end_date: date | None = strawberry.field(
        description="First day the line is no longer active (exclusive); null runs open-ended."
    )

    @classmethod
    def from_row(cls, row: LineRow, currency: str) -> "ContractLine":
        return cls(
            product=Product(name=row.product_name, family=row.product_family),
            quantity=row.quantity,
            unit_price=Money(amount=row.unit_price, currency=currency) if row.unit_price is not None else None,
            mrr=Money(amount=row.mrr, currency=currency),
            start_date=row.start_date,
            end_date=row.end_date,
        )


async def _lines(root: "Contract", info: strawberry.Info[Context]) -> list[ContractLine]:
    rows = await info.context.batch(queries.lines_of_contracts, list).load((root.contract_id, None))
    return [ContractLine.from_row(row, root.currency) for row in rows]


async def _account(root: "Contract", info: strawberry.Info[Context]) -> LazyAccount:
    row = await info.context.batch(account_queries.accounts_by_id).load((root.account_id, None))
    assert row is not None, "a contract always belongs to an account (foreign key)"
    return account_from_row(row)


@strawberry.type(description="A customer contract: a term with its product lines.")
class Contract(Node):
    status: ContractStatus = strawberry.field(description="State today.")
    start_date: date = strawberry.field(description="First day of the term.")
    end_date: date | None = strawberry.field(description="First day after the term (exclusive); null: open-ended.")
    renewal_date: date | None = strawberry.field(description="When the contract comes up for renewal.")
    auto_renew: bool = strawberry.field(description="Whether it renews unless cancelled.")
    currency: str = strawberry.field(description="ISO 4217 currency of all its amounts.")
    kind: ContractKind | None = strawberry.field(
        description="New business, renewal or expansion, as the source says; null when it did not say."
    )
    created_at: datetime = strawberry.field(description="When cshub first recorded the contract (UTC).")
    updated_at: datetime = strawberry.field(description="When the contract last changed (UTC).")
    contract_id: strawberry.Private[uuid.UUID]
    account_id: strawberry.Private[uuid.UUID]
    lines: list[ContractLine] = strawberry.field(resolver=_lines, description="The product lines, oldest first.")
    account: LazyAccount = strawberry.field(resolver=_account, description="The customer.")

    @classmethod
    def from_row(cls, row: ContractRow) -> "Contract":
        return cls(
            id=encode_global_id(CONTRACT_TYPE_NAME, row.id),
            status=ContractStatus(row.status),
            start_date=row.start_date,
            end_date=row.end_date,
            renewal_date=row.renewal_date,
            auto_renew=row.auto_renew,
            currency=row.currency,
            kind=ContractKind(row.kind) if row.kind is not None else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
            contract_id=row.id,
            account_id=row.account_id,
        )
