"""The identity map for a whole batch: find (and lock), insert, save and touch the links of many records of one
source and object type, one statement each (``identity`` holds the one-record versions, and the rules they
share)."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db import jsonb
from service.db.pool import plans_kept_for_checks
from service.ingest.identity import Link
from service.sources.tables import source_links


def _texts(name: str, values: Sequence[str | None]) -> sa.BindParameter[Any]:
    return sa.bindparam(name, list(values), type_=sa.ARRAY(sa.Text))


async def find_links(
    conn: AsyncConnection, source: str, object_type: str, external_ids: Sequence[str], *, for_update: bool = False
) -> dict[str, Link]:
    """The links of these records that exist; with ``for_update`` row-locked, in external-id order."""
    if not external_ids:
        return {}
    c = source_links.c
    statement = (
        sa.select(c.external_id, c.entity_id, c.account_id, c.source_updated_at, c.payload_hash, c.payload)
        .where(c.source == source, c.object_type == object_type, c.external_id == sa.any_(_texts("ids", external_ids)))
        .order_by(c.external_id)
    )
    rows = await conn.execute(statement.with_for_update() if for_update else statement)
    return {row[0]: Link(*row[1:]) for row in rows}


class LinkWrite(NamedTuple):  # a tuple: a batch builds a thousand, and a frozen dataclass is slower to build
    """``identity.save_link``'s arguments for one record."""

    external_id: str
    entity_id: uuid.UUID
    account_id: uuid.UUID | None
    source_updated_at: dt.datetime | None
    digest: str | None
    payload: dict[str, Any] | None


_SAVE = sa.text(
    "INSERT INTO source_links"
    " (source, object_type, external_id, entity_id, account_id, source_updated_at, payload_hash, payload)"
    " SELECT :source, :object_type, n.external_id, n.entity_id, n.account_id, n.source_updated_at, n.payload_hash,"
    " CAST(n.payload AS jsonb)"
    " FROM unnest(CAST(:ids AS text[]), CAST(:entity_ids AS uuid[]), CAST(:account_ids AS uuid[]),"
    " CAST(:updated AS timestamptz[]), CAST(:hashes AS text[]), CAST(:payloads AS text[]))"
    " AS n(external_id, entity_id, account_id, source_updated_at, payload_hash, payload)"
    " ORDER BY n.external_id"
    " ON CONFLICT (source, object_type, external_id) DO UPDATE SET"
    " entity_id = excluded.entity_id, account_id = excluded.account_id, last_synced_at = now(),"
    " source_updated_at = greatest(source_links.source_updated_at, excluded.source_updated_at),"
    " payload_hash = coalesce(excluded.payload_hash, source_links.payload_hash),"
    " payload = coalesce(excluded.payload, source_links.payload)"
)


async def save_links(conn: AsyncConnection, source: str, object_type: str, writes: Sequence[LinkWrite]) -> None:
    """``identity.save_link`` for every record (no two with one external id); ``source_updated_at`` only ever
    moves forward."""
    if not writes:
        return
    async with plans_kept_for_checks(conn):  # from parameters, by the conflict index: each row's check plan kept
        await conn.execute(_SAVE.bindparams(*_link_columns(writes)), _where(source, object_type))


def _where(source: str, object_type: str) -> dict[str, str]:
    return {"source": source, "object_type": object_type}


def _link_columns(writes: Sequence[LinkWrite]) -> list[sa.BindParameter[Any]]:
    return [
        _texts("ids", [w.external_id for w in writes]),
        sa.bindparam("entity_ids", [w.entity_id for w in writes], type_=sa.ARRAY(sa.Uuid)),
        sa.bindparam("account_ids", [w.account_id for w in writes], type_=sa.ARRAY(sa.Uuid)),
        sa.bindparam("updated", [w.source_updated_at for w in writes], type_=sa.ARRAY(sa.DateTime(timezone=True))),
        _texts("hashes", [w.digest for w in writes]),
        _texts("payloads", [None if w.payload is None else jsonb.dumps(w.payload) for w in writes]),
    ]


_INSERT_NEW = sa.text(
    "INSERT INTO source_links"
    " (source, object_type, external_id, entity_id, account_id, source_updated_at, payload_hash, payload)"
    " SELECT :source, :object_type, n.external_id, n.entity_id, n.account_id, n.source_updated_at, n.payload_hash,"
    " CAST(n.payload AS jsonb)"
    " FROM unnest(CAST(:ids AS text[]), CAST(:entity_ids AS uuid[]), CAST(:account_ids AS uuid[]),"
    " CAST(:updated AS timestamptz[]), CAST(:hashes AS text[]), CAST(:payloads AS text[]))"
    " AS n(external_id, entity_id, account_id, source_updated_at, payload_hash, payload)"
    " ORDER BY n.external_id"
    " ON CONFLICT (source, object_type, external_id) DO NOTHING RETURNING external_id"
)


async def insert_new_links(
    conn: AsyncConnection, source: str, object_type: str, writes: Sequence[LinkWrite]
) -> set[str]:
    """Claim the links of records that had none, whole, in external-id order; the external ids inserted. A link
    another transaction inserted meanwhile is not (this waits for that transaction to end): the caller locks it
    (``find_links``) and decides again, as ``identity.claim_link`` does for one record."""
    if not writes:
        return set()
    async with plans_kept_for_checks(conn):  # from parameters, by the conflict index: each row's check plan kept
        inserted = await conn.execute(_INSERT_NEW.bindparams(*_link_columns(writes)), _where(source, object_type))
    return {row[0] for row in inserted}


_TOUCH = sa.text(
    "UPDATE source_links AS l SET last_synced_at = now(),"
    " source_updated_at = greatest(l.source_updated_at, t.source_updated_at)"
    " FROM unnest(CAST(:ids AS text[]), CAST(:updated AS timestamptz[])) AS t(external_id, source_updated_at)"
    " WHERE l.source = :source AND l.object_type = :object_type AND l.external_id = t.external_id"
)


async def touch_links(
    conn: AsyncConnection, source: str, object_type: str, touches: Sequence[tuple[str, dt.datetime | None]]
) -> None:
    """``identity.touch_link`` for every replayed record: (external id, the source's ``updated_at``)."""
    if not touches:
        return
    await conn.execute(
        _TOUCH.bindparams(
            _texts("ids", [external_id for external_id, _ in touches]),
            sa.bindparam("updated", [at for _, at in touches], type_=sa.ARRAY(sa.DateTime(timezone=True))),
        ),
        {"source": source, "object_type": object_type},
    )
