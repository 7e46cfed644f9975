"""Resolvers of the contracts domain: the `contract` root, and the fields it adds to ``Account`` (its contracts and
revenue figures on a day)."""

import uuid
from datetime import date
from typing import Annotated

import strawberry

from service.contracts import queries
from service.contracts.queries import annual
from service.contracts.types import CONTRACT_TYPE_NAME, Contract, ContractStatus, Money
from service.graphql.context import Context
from service.graphql.relay import OfAccount, decode_typed_id


async def contract_by_uuid(info: strawberry.Info[Context], contract_id: uuid.UUID) -> Contract | None:
    async with info.context.read() as conn:
        found = await queries.contracts_by_ids(conn, [contract_id])
    return Contract.from_row(found[contract_id]) if contract_id in found else None


async def contract(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the contract.")],
) -> Contract | None:
    return await contract_by_uuid(info, decode_typed_id(id, CONTRACT_TYPE_NAME))


AsOf = Annotated[
    date | None, strawberry.argument(name="asOf", description="The day (UTC) to evaluate on; default today.")
]


async def account_contracts(
    root: OfAccount,
    info: strawberry.Info[Context],
    status: Annotated[
        list[ContractStatus] | None,
        strawberry.argument(description="Only contracts in these states; default all."),
    ] = None,
) -> list[Contract]:
    statuses = tuple(sorted(str(s.value) for s in status)) if status is not None else None
    rows = await info.context.batch(queries.contracts_of_accounts, list).load((root.account_id, statuses))
    return [Contract.from_row(row) for row in rows]


async def account_mrr(root: OfAccount, info: strawberry.Info[Context], as_of: AsOf = None) -> list[Money]:
    amounts = await info.context.batch(queries.mrr_of_accounts, list).load(
        (root.account_id, as_of or info.context.loaders.today)
    )
    return [Money(amount=amount, currency=currency) for currency, amount in amounts]


async def account_arr(root: OfAccount, info: strawberry.Info[Context], as_of: AsOf = None) -> list[Money]:
    return [
        Money(amount=annual(money.amount), currency=money.currency) for money in await account_mrr(root, info, as_of)
    ]


async def account_renewal_date(root: OfAccount, info: strawberry.Info[Context], as_of: AsOf = None) -> date | None:
    return await info.context.batch(queries.next_renewals).load((root.account_id, as_of or info.context.loaders.today))


async def account_licensed_seats(root: OfAccount, info: strawberry.Info[Context], as_of: AsOf = None) -> int:
    return await info.context.batch(queries.licensed_seats, int).load(
        (root.account_id, as_of or info.context.loaders.today)
    )
