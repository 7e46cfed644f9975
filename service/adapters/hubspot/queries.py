"""What the HubSpot adapter reads before it writes (the identity map of the HubSpot source, ``source_links``):
the account each known contact or deal is in, and the account each known company is."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.sources.tables import source_links


@dataclass(frozen=True, slots=True)
class KnownAccount:
    account_id: uuid.UUID
    company_id: str | None  # the HubSpot company whose link names the account, if any

    def reference(self) -> dict[str, str]:
        return {"account_external_id": self.company_id} if self.company_id is not None else {}


def _ids(values: Sequence[str]) -> sa.BindParameter[Any]:
    return sa.bindparam("ids", sorted(set(values)), type_=sa.ARRAY(sa.Text))


async def accounts_of(
    conn: AsyncConnection, source: str, object_type: str, external_ids: Sequence[str]
) -> dict[str, KnownAccount]:
    """The account each known record of this source (contacts, contracts) is in, keyed by the record's id."""
    if not external_ids:
        return {}
    record = source_links.alias("record")
    company = source_links.alias("company")
    rows = await conn.execute(
        sa.select(record.c.external_id, record.c.account_id, sa.func.min(company.c.external_id))
        .select_from(
            record.outerjoin(
                company,
                sa.and_(
                    company.c.source == record.c.source,
                    company.c.object_type == "account",
                    company.c.entity_id == record.c.account_id,
                ),
            )
        )
        .where(
            record.c.source == source,
            record.c.object_type == object_type,
            record.c.external_id == sa.any_(_ids(external_ids)),
            record.c.account_id.is_not(None),
        )
        .group_by(record.c.external_id, record.c.account_id)
    )
    return {external_id: KnownAccount(account_id, company_id) for external_id, account_id, company_id in rows}


async def company_accounts(conn: AsyncConnection, source: str, company_ids: Sequence[str]) -> dict[str, uuid.UUID]:
    """The account each known company of this source is."""
    if not company_ids:
        return {}
    rows = await conn.execute(
        sa.select(source_links.c.external_id, source_links.c.entity_id).where(
            source_links.c.source == source,
            source_links.c.object_type == "account",
            source_links.c.external_id == sa.any_(_ids(company_ids)),
        )
    )
    return {row.external_id: row.entity_id for row in rows}
