"""What the HubSpot adapter reads before it writes, beside the account of each known contact or deal
(``service.sources.queries``): the account each known company is (the identity map of the HubSpot source,
``source_links``)."""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.sources.queries import text_ids
from service.sources.tables import source_links


async def company_accounts(conn: AsyncConnection, source: str, company_ids: Sequence[str]) -> dict[str, uuid.UUID]:
    """The account each known company of this source is."""
    if not company_ids:
        return {}
    rows = await conn.execute(
        sa.select(source_links.c.external_id, source_links.c.entity_id).where(
            source_links.c.source == source,
            source_links.c.object_type == "account",
            source_links.c.external_id == sa.any_(text_ids(company_ids)),
        )
    )
    return {row.external_id: row.entity_id for row in rows}
