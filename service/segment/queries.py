"""What the Segment translation reads before it builds records: the usage events and groups of its source (the
account of a known user is ``service.sources.queries.accounts_of``)."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.sources.queries import text_ids
from service.sources.tables import source_links
from service.usage.tables import usage_events


async def known_groups(conn: AsyncConnection, source: str, group_ids: Sequence[str]) -> set[str]:
    """The group ids this source has already sent as accounts."""
    if not group_ids:
        return set()
    rows = await conn.execute(
        sa.select(source_links.c.external_id).where(
            source_links.c.source == source,
            source_links.c.object_type == "account",
            source_links.c.external_id == sa.any_(text_ids(group_ids)),
        )
    )
    return {external_id for (external_id,) in rows}


async def recorded_events(conn: AsyncConnection, source: str, message_ids: Sequence[str]) -> set[str]:
    """The message ids already stored as this source's usage events (a replay writes nothing new)."""
    if not message_ids:
        return set()
    rows = await conn.execute(
        sa.select(usage_events.c.source_event_id).where(
            usage_events.c.source == source, usage_events.c.source_event_id == sa.any_(text_ids(message_ids))
        )
    )
    return {event_id for (event_id,) in rows}
