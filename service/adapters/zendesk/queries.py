"""What the Zendesk adapter reads before it writes, beside the account of each known record
(``service.sources.queries``): the CSAT responses it stored (the identity map of the Zendesk source,
``source_links``)."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.sources.queries import text_ids
from service.sources.tables import source_links


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
            source_links.c.external_id == sa.any_(text_ids(external_ids)),
            source_links.c.payload.is_not(None),
        )
    )
    return {row.external_id: row.payload for row in rows}
