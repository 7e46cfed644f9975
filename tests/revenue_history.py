"""Contract histories for the revenue-metric tests: a small typed model, and inserting it for real.

A history is accounts (with the attributes metrics group by) and contracts with lines; dates are days,
``end`` exclusive, ``None`` open-ended (a line without dates runs with its contract).
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.accounts.tables import accounts
from service.contracts.tables import contract_lines, contracts, products


@dataclass(frozen=True, slots=True)
class Customer:
    name: str
    segment: str | None = "smb"
    industry: str | None = "software"
    csm_owner: str | None = "Alex"
    lifecycle_stage: str | None = "adoption"
    touch_model: str | None = "tech"


@dataclass(frozen=True, slots=True)
class Line:
    product: str
    mrr: Decimal
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Deal:
    account: str  # the Customer's name
    start: dt.date
    end: dt.date | None
    lines: tuple[Line, ...]
    status: str = "active"
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class History:
    customers: tuple[Customer, ...]
    deals: tuple[Deal, ...] = field(default=())


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def usd(amount: str | int) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


async def insert_history(conn: AsyncConnection, history: History) -> dict[str, uuid.UUID]:
    """Insert the history's rows on ``conn`` (the caller commits or rolls back); the account ids by name."""
    ids: dict[str, uuid.UUID] = {}
    if history.customers:
        rows = await conn.execute(
            sa.insert(accounts)
            .values(
                [
                    {
                        "name": c.name,
                        "segment": c.segment,
                        "industry": c.industry,
                        "csm_owner": c.csm_owner,
                        "lifecycle_stage": c.lifecycle_stage,
                        "touch_model": c.touch_model,
                    }
                    for c in history.customers
                ]
            )
            .returning(accounts.c.id, accounts.c.name)
        )
        ids = {row.name: row.id for row in rows}
    names = sorted({line.product for deal in history.deals for line in deal.lines})
    product_ids: dict[str, uuid.UUID] = {}
    if names:
        existing = await conn.execute(sa.select(products.c.name, products.c.id).where(products.c.name.in_(names)))
        product_ids = {row.name: row.id for row in existing}
        missing = [name for name in names if name not in product_ids]
        if missing:
            rows = await conn.execute(
                sa.insert(products)
                .values([{"name": name} for name in missing])
                .returning(products.c.name, products.c.id)
            )
            product_ids.update({row.name: row.id for row in rows})
    for deal in history.deals:
        contract_id = (
            await conn.execute(
                sa.insert(contracts)
                .values(
                    account_id=ids[deal.account],
                    status=deal.status,
                    start_date=deal.start,
                    end_date=deal.end,
                    currency=deal.currency,
                )
                .returning(contracts.c.id)
            )
        ).scalar_one()
        if deal.lines:
            await conn.execute(
                sa.insert(contract_lines).values(
                    [
                        {
                            "contract_id": contract_id,
                            "account_id": ids[deal.account],
                            "product_id": product_ids[line.product],
                            "quantity": 1,
                            "mrr": line.mrr,
                            "start_date": line.start,
                            "end_date": line.end,
                        }
                        for line in deal.lines
                    ]
                )
            )
    return ids


async def load_history(engine: AsyncEngine, history: History) -> dict[str, uuid.UUID]:
    async with engine.begin() as conn:
        return await insert_history(conn, history)
