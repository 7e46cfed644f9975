"""What the Segment translation reads before it builds records: the groups of its source (the account of a known
user is ``service.sources.queries.accounts_of``; a message id already stored is found by the usage-event write,
``UsagePolicy.stored_ids_are_replays``)."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.sources.queries import text_ids
from service.sources.tables import source_links


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
