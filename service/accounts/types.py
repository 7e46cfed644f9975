"""GraphQL types of the accounts domain, and their mapping from ``AccountRow`` (declared once, here)."""

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from service.accounts import queries
from service.accounts.queries import AccountRow
from service.db import read_connection
from service.graphql.context import Context
from service.graphql.relay import Node, PageInfo, encode_global_id
from service.sources.types import AccountSource

ACCOUNT_TYPE_NAME = "Account"


@strawberry.enum(description="Customer size segment; scorecards and KPIs are configured per segment.")
class Segment(Enum):
    ENTERPRISE = "enterprise"
    MID_MARKET = "mid_market"
    SMB = "smb"
    STARTUP = "startup"


@strawberry.enum(description="Where the customer is in its lifecycle.")
class LifecycleStage(Enum):
    PROSPECT = "prospect"
    ONBOARDING = "onboarding"
    ADOPTION = "adoption"
    EXPANSION = "expansion"
    RENEWAL = "renewal"
    CHURNED = "churned"


@strawberry.enum(description="How the CS team engages: HIGH 1:1, LOW 1:n, TECH automated.")
class TouchModel(Enum):
    HIGH = "high"
    LOW = "low"
    TECH = "tech"


async def _sources(root: "Account", info: strawberry.Info[Context]) -> list[AccountSource]:
    rows = await info.context.loaders.account_sources.load(root.account_id)
    return [AccountSource.from_row(row) for row in rows]


@strawberry.type(description="A customer organisation: the root of the customer-360 view.")
class Account(Node):
    name: str = strawberry.field(description="Display name of the customer.")
    domain: str | None = strawberry.field(description="Primary web domain, lower-case (e.g. `acme.com`).")
    industry: str | None = strawberry.field(description="Industry as reported by the CRM.")
    segment: Segment | None = strawberry.field(description="Size segment.")
    lifecycle_stage: LifecycleStage | None = strawberry.field(description="Current lifecycle stage.")
    touch_model: TouchModel | None = strawberry.field(description="Engagement model of the CS team.")
    csm_owner: str | None = strawberry.field(description="The customer success manager who owns the account.")
    sales_owner: str | None = strawberry.field(description="The account executive on the sales side.")
    created_at: datetime = strawberry.field(description="When cshub first recorded the account (UTC).")
    updated_at: datetime = strawberry.field(description="When the account's profile last changed (UTC).")
    account_id: strawberry.Private[uuid.UUID]
    sources: list[AccountSource] = strawberry.field(
        resolver=_sources, description="The source systems that know this account, with their ids and last sync."
    )

    @classmethod
    def from_row(cls, row: AccountRow) -> "Account":
        return cls(
            id=encode_global_id(ACCOUNT_TYPE_NAME, row.id),
            name=row.name,
            domain=row.domain,
            industry=row.industry,
            segment=Segment(row.segment) if row.segment else None,
            lifecycle_stage=LifecycleStage(row.lifecycle_stage) if row.lifecycle_stage else None,
            touch_model=TouchModel(row.touch_model) if row.touch_model else None,
            csm_owner=row.csm_owner,
            sales_owner=row.sales_owner,
            created_at=row.created_at,
            updated_at=row.updated_at,
            account_id=row.id,
        )


@strawberry.type(description="An account and its cursor in a connection.")
class AccountEdge:
    node: Account = strawberry.field(description="The account.")
    cursor: str = strawberry.field(description="Opaque cursor; pass it as `after` to continue after this item.")


async def _total_count(info: strawberry.Info[Context]) -> int:
    async with read_connection(info.context.engine) as conn:
        return await queries.count_accounts(conn)


@strawberry.type(description="A page of accounts (Relay connection).")
class AccountConnection:
    edges: list[AccountEdge] = strawberry.field(description="The accounts of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Pagination state of this page.")

    total_count: int = strawberry.field(
        resolver=_total_count,
        description="Number of accounts in the whole connection; costs an extra count, so ask only when needed.",
    )
