"""SQL reads over ``contacts``. Callers pass their own connection."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.contacts.tables import contacts
from service.db.rows import uuid_array


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: uuid.UUID
    account_id: uuid.UUID
    name: str | None
    email: str | None
    phone: str | None
    title: str | None
    role: str | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = tuple(contacts.c[name] for name in ContactRow.__slots__)


# An account's contacts: by name (unnamed last), then e-mail.
CONTACT_ORDER = (contacts.c.name.nulls_last(), contacts.c.email, contacts.c.id)


async def contacts_by_ids(
    conn: AsyncConnection, ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, ContactRow]:
    rows = await conn.execute(sa.select(*_COLUMNS).where(contacts.c.id == sa.any_(uuid_array(ids))))
    return {row.id: ContactRow(**row._mapping) for row in rows}


async def contacts_of_accounts(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, list[ContactRow]]:
    """Each account's contacts, by name (then e-mail) — one query for all the accounts."""
    rows = await conn.execute(
        sa.select(*_COLUMNS)
        .where(contacts.c.account_id == sa.any_(uuid_array(account_ids)))
        .order_by(contacts.c.account_id, *CONTACT_ORDER)
    )
    grouped: dict[uuid.UUID, list[ContactRow]] = defaultdict(list)
    for row in rows:
        grouped[row.account_id].append(ContactRow(**row._mapping))
    return grouped
