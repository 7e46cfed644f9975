"""What every source adapter reads before it writes: the account each of its known records is in, from the
source's identity map (``source_links``).

A record that names no account (a webhook event, a deleted object, a Case without AccountId) goes to the account
cshub already has it in. How the record then names that account is the adapter's: by this source's id for it
(``by_id``), or, where the source's records may also be placed by domain (Zendesk), by the account's domain when
the source has no id for it (``by_id_or_domain``).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.sources.tables import source_links


@dataclass(frozen=True, slots=True)
class KnownAccount:
    """The account a known record is in."""

    account_id: uuid.UUID
    external_id: str | None  # this source's id for the account; None: an account only other sources name
    domain: str | None

    def by_id(self) -> dict[str, str]:
        """The record's account reference by this source's id for it; empty when the source has none."""
        return {"account_external_id": self.external_id} if self.external_id is not None else {}

    def by_id_or_domain(self) -> dict[str, str]:
        """By this source's id for the account, else by its domain; empty when it has neither."""
        if self.external_id is not None:
            return self.by_id()
        return {"account_domain": self.domain} if self.domain is not None else {}


def text_ids(values: Sequence[str]) -> sa.BindParameter[Any]:
    """One ``text[]`` parameter of the distinct ``values`` (sorted: the same statement for the same set)."""
    return sa.bindparam("ids", sorted(set(values)), type_=sa.ARRAY(sa.Text))


async def accounts_of(
    conn: AsyncConnection, source: str, object_type: str, external_ids: Sequence[str]
) -> dict[str, KnownAccount]:
    """The account each known record of this source (contacts, contracts, tickets…) is in, keyed by the record's
    id; records cshub does not know are absent."""
    if not external_ids:
        return {}
    record = source_links.alias("record")
    account = source_links.alias("account")
    rows = await conn.execute(
        sa.select(record.c.external_id, accounts.c.id, sa.func.min(account.c.external_id), accounts.c.domain)
        .select_from(
            record.join(accounts, accounts.c.id == record.c.account_id).outerjoin(
                account,
                sa.and_(
                    account.c.source == record.c.source,
                    account.c.object_type == "account",
                    account.c.entity_id == record.c.account_id,
                ),
            )
        )
        .where(
            record.c.source == source,
            record.c.object_type == object_type,
            record.c.external_id == sa.any_(text_ids(external_ids)),
        )
        .group_by(record.c.external_id, accounts.c.id)
    )
    return {
        external_id: KnownAccount(account_id, account_external_id, domain)
        for external_id, account_id, account_external_id, domain in rows
    }
