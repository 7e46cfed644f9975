"""Root resolvers of the contracts domain."""

import uuid
from typing import Annotated

import strawberry

from service.contracts import queries
from service.contracts.types import CONTRACT_TYPE_NAME, Contract
from service.graphql.context import Context
from service.graphql.relay import decode_typed_id


async def contract_by_uuid(info: strawberry.Info[Context], contract_id: uuid.UUID) -> Contract | None:
    async with info.context.read() as conn:
        found = await queries.contracts_by_ids(conn, [contract_id])
    return Contract.from_row(found[contract_id]) if contract_id in found else None


async def contract(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the contract.")],
) -> Contract | None:
    return await contract_by_uuid(info, decode_typed_id(id, CONTRACT_TYPE_NAME))
