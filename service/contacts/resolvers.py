"""Resolvers of the contacts domain: the `contact` root and ``Account.contacts``."""

import uuid
from typing import Annotated

import strawberry

from service.contacts import queries
from service.contacts.types import CONTACT_TYPE_NAME, Contact
from service.graphql.context import Context
from service.graphql.relay import OfAccount, decode_typed_id


async def contact_by_uuid(info: strawberry.Info[Context], contact_id: uuid.UUID) -> Contact | None:
    async with info.context.read() as conn:
        found = await queries.contacts_by_ids(conn, [contact_id])
    return Contact.from_row(found[contact_id]) if contact_id in found else None


async def contact(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the contact.")],
) -> Contact | None:
    return await contact_by_uuid(info, decode_typed_id(id, CONTACT_TYPE_NAME))


async def account_contacts(root: OfAccount, info: strawberry.Info[Context]) -> list[Contact]:
    return [
        Contact.from_row(row)
        for row in await info.context.batch(queries.contacts_of_accounts, list).load((root.account_id, None))
    ]
