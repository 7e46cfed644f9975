"""What the HubSpot adapter reads before it writes, beside the account of each known contact or deal
(``service.sources.queries``): the account each known company is (the identity map of the HubSpot source,
``source_links``), and the company that lists a contact or deal in its associations (``source_associations``),
which it also writes."""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from service.sources.queries import text_ids
from service.sources.tables import source_associations, source_links


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


async def name_in_companies(conn: AsyncConnection, source: str, named: Sequence[tuple[str, str, str]]) -> None:
    """Keep what companies list in their associations: each ``(object type, id, company id)``; a contact or deal
    another company listed before now belongs to this one (the newest naming wins)."""
    newest = {(object_type, external_id): company for object_type, external_id, company in named}
    if not newest:
        return
    rows = [
        {"source": source, "object_type": object_type, "external_id": external_id, "account_external_id": company}
        for (object_type, external_id), company in sorted(newest.items())  # one lock order for concurrent batches
    ]
    statement = insert(source_associations).values(rows)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[
                source_associations.c.source,
                source_associations.c.object_type,
                source_associations.c.external_id,
            ],
            set_={"account_external_id": statement.excluded.account_external_id, "named_at": sa.func.now()},
            where=source_associations.c.account_external_id != statement.excluded.account_external_id,
        )
    )


async def naming_companies(
    conn: AsyncConnection, source: str, object_type: str, external_ids: Sequence[str]
) -> dict[str, str]:
    """The company that lists each of these contacts or deals (``object_type``) in its associations."""
    if not external_ids:
        return {}
    c = source_associations.c
    rows = await conn.execute(
        sa.select(c.external_id, c.account_external_id).where(
            c.source == source, c.object_type == object_type, c.external_id == sa.any_(text_ids(external_ids))
        )
    )
    return {row.external_id: row.account_external_id for row in rows}
