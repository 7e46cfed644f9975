"""What the Zendesk adapter reads before it writes: which of its tickets cshub knows and in which account, and the
CSAT responses it stored (the identity map of the Zendesk source, ``source_links``)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.sources.tables import source_links


@dataclass(frozen=True, slots=True)
class KnownAccount:
    """How a record names the account a known record is in: its id in this source, else its domain."""

    external_id: str | None
    domain: str | None

    def reference(self) -> dict[str, str]:
        if self.external_id is not None:
            return {"account_external_id": self.external_id}
        return {"account_domain": self.domain} if self.domain is not None else {}


def _ids(values: Sequence[str]) -> sa.BindParameter[Any]:
    return sa.bindparam("ids", sorted(set(values)), type_=sa.ARRAY(sa.Text))


async def accounts_of(
    conn: AsyncConnection, source: str, object_type: str, external_ids: Sequence[str]
) -> dict[str, KnownAccount]:
    """The account each known record of this source (tickets, contacts…) is in, keyed by the record's id."""
    if not external_ids:
        return {}
    record = source_links.alias("record")
    org = source_links.alias("org")
    rows = await conn.execute(
        sa.select(record.c.external_id, sa.func.min(org.c.external_id), sa.func.min(accounts.c.domain))
        .select_from(
            record.join(accounts, accounts.c.id == record.c.account_id).outerjoin(
                org,
                sa.and_(
                    org.c.source == record.c.source,
                    org.c.object_type == "account",
                    org.c.entity_id == record.c.account_id,
                ),
            )
        )
        .where(
            record.c.source == source,
            record.c.object_type == object_type,
            record.c.external_id == sa.any_(_ids(external_ids)),
        )
        .group_by(record.c.external_id)
    )
    return {external_id: KnownAccount(org_id, domain) for external_id, org_id, domain in rows}


async def stored_records(
    conn: AsyncConnection, source: str, object_type: str, external_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The last record this source sent for each id (as the ingest service keeps it)."""
    if not external_ids:
        return {}
    rows = await conn.execute(
        sa.select(source_links.c.external_id, source_links.c.payload).where(
            source_links.c.source == source,
            source_links.c.object_type == object_type,
            source_links.c.external_id == sa.any_(_ids(external_ids)),
            source_links.c.payload.is_not(None),
        )
    )
    return {row.external_id: row.payload for row in rows}
