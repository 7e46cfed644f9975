"""GraphQL types of the contacts domain, and their mapping from ``ContactRow`` (declared once, here)."""

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from service.accounts import queries as account_queries
from service.contacts.queries import ContactRow
from service.graphql.context import Context
from service.graphql.lazy import LazyAccount, account_from_row
from service.graphql.relay import Node, encode_global_id

CONTACT_TYPE_NAME = "Contact"


@strawberry.enum(description="The part a person plays in the customer relationship.")
class ContactRole(Enum):
    DECISION_MAKER = strawberry.enum_value("decision_maker", description="Decides on purchase and renewal.")
    ECONOMIC_BUYER = strawberry.enum_value("economic_buyer", description="Owns the budget.")
    CHAMPION = strawberry.enum_value("champion", description="Advocates for the product inside the customer.")
    ADMIN = strawberry.enum_value("admin", description="Day-to-day administrator of the product.")
    USER = strawberry.enum_value("user", description="End user.")
    BILLING = strawberry.enum_value("billing", description="Billing and invoicing contact.")
    TECHNICAL = strawberry.enum_value("technical", description="Technical contact (integrations, IT, security).")
    OTHER = strawberry.enum_value("other", description="Any other role.")


async def _account(root: "Contact", info: strawberry.Info[Context]) -> LazyAccount:
    row = await info.context.batch(account_queries.accounts_by_id).load((root.account_id, None))
    assert row is not None, "a contact always belongs to an account (foreign key)"
    return account_from_row(row)


@strawberry.type(description="A person at a customer.")
class Contact(Node):
    name: str | None = strawberry.field(description="Full name.")
    email: str | None = strawberry.field(description="E-mail address, lower-case.")
    phone: str | None = strawberry.field(description="Phone number as the source system holds it.")
    title: str | None = strawberry.field(description="Job title.")
    role: ContactRole | None = strawberry.field(description="Role in the relationship (decision maker, champion…).")
    created_at: datetime = strawberry.field(description="When cshub first recorded the contact (UTC).")
    updated_at: datetime = strawberry.field(description="When the contact last changed (UTC).")
    account_id: strawberry.Private[uuid.UUID]
    account: LazyAccount = strawberry.field(resolver=_account, description="The account the person works at.")

    @classmethod
    def from_row(cls, row: ContactRow) -> "Contact":
        return cls(
            id=encode_global_id(CONTACT_TYPE_NAME, row.id),
            name=row.name,
            email=row.email,
            phone=row.phone,
            title=row.title,
            role=ContactRole(row.role) if row.role else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
            account_id=row.account_id,
        )
