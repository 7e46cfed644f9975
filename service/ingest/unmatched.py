"""Records whose account is not known yet: kept whole, listed for review, re-ingested when it appears."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from service.events import emit
from service.ingest.records import AccountReference
from service.sources.tables import unmatched_records


@dataclass(frozen=True, slots=True)
class Pending:
    source: str
    entity: str
    external_id: str
    payload: dict[str, Any]


async def keep_unmatched(
    conn: AsyncConnection,
    *,
    source: str,
    entity: str,
    external_id: str,
    record: AccountReference,
    raw: dict[str, Any],
    candidates: Sequence[uuid.UUID] = (),
) -> uuid.UUID:
    """Store (or refresh) the record as received; it waits here until its account can be resolved.
    ``candidates`` are the accounts its domain names when it names several."""
    statement = insert(unmatched_records).values(
        source=source,
        entity=entity,
        external_id=external_id,
        account_external_id=record.account_external_id,
        account_domain=record.account_domain,
        candidate_account_ids=list(candidates) or None,
        payload=raw,
    )
    excluded = statement.excluded
    row_id: uuid.UUID = (
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=["source", "entity", "external_id"],
                set_={
                    "account_external_id": excluded.account_external_id,
                    "account_domain": excluded.account_domain,
                    "candidate_account_ids": excluded.candidate_account_ids,
                    "payload": excluded.payload,
                    "last_seen_at": sa.func.now(),
                    "resolved_at": None,
                    "resolved_account_id": None,
                },
            ).returning(unmatched_records.c.id)
        )
    ).scalar_one()
    await emit.record_unmatched(
        conn, unmatched_record_id=row_id, source=source, entity=entity, external_id=external_id,
        account_external_id=record.account_external_id, account_domain=record.account_domain, candidates=candidates,
    )  # fmt: skip
    return row_id


async def mark_resolved(
    conn: AsyncConnection, source: str, entity: str, matched: Sequence[tuple[str, uuid.UUID]]
) -> None:
    """Close the waiting rows of records that have now been stored against an account."""
    if not matched:
        return
    await conn.execute(
        sa.text(
            "UPDATE unmatched_records AS u SET resolved_at = now(), resolved_account_id = x.account_id FROM ("
            " SELECT w.id, m.account_id FROM unmatched_records AS w"
            " JOIN unnest(CAST(:ids AS text[]), CAST(:accounts AS uuid[])) AS m(external_id, account_id)"
            " ON w.external_id = m.external_id"
            " WHERE w.source = :source AND w.entity = :entity AND w.resolved_at IS NULL"
            " ORDER BY w.external_id FOR UPDATE OF w) AS x "
            "WHERE u.id = x.id"
        ),
        {
            "ids": [external_id for external_id, _ in matched],
            "accounts": [account_id for _, account_id in matched],
            "source": source,
            "entity": entity,
        },
    )


async def waiting_among(conn: AsyncConnection, source: str, entity: str, external_ids: Sequence[str]) -> set[str]:
    """Which of these records are waiting as unmatched (so that storing them must close their row)."""
    if not external_ids:
        return set()
    u = unmatched_records.c
    rows = await conn.execute(
        sa.select(u.external_id).where(
            u.resolved_at.is_(None),
            u.source == source,
            u.entity == entity,
            u.external_id == sa.any_(sa.bindparam("ids", list(external_ids), type_=sa.ARRAY(sa.Text))),
        )
    )
    return {row[0] for row in rows}


async def any_waiting(conn: AsyncConnection) -> bool:
    """Whether any record is waiting for its account (most of the time none is)."""
    waiting = sa.exists().where(unmatched_records.c.resolved_at.is_(None))
    return bool((await conn.execute(sa.select(waiting))).scalar())


async def waiting_for(conn: AsyncConnection, links: Sequence[tuple[str, str]], domains: Sequence[str]) -> list[Pending]:
    """Unresolved records that name one of these accounts: by a (source, account external id) of theirs, or
    by domain."""
    if not links and not domains:
        return []
    u = unmatched_records.c
    by_id = sa.select(
        sa.func.unnest(sa.bindparam("sources", [s for s, _ in links], type_=sa.ARRAY(sa.Text))).label("source"),
        sa.func.unnest(sa.bindparam("ids", [i for _, i in links], type_=sa.ARRAY(sa.Text))).label("external_id"),
    ).subquery()
    rows = await conn.execute(
        sa.select(u.source, u.entity, u.external_id, u.payload)
        .where(
            u.resolved_at.is_(None),
            sa.or_(
                sa.tuple_(u.source, u.account_external_id).in_(sa.select(by_id.c.source, by_id.c.external_id)),
                u.account_domain == sa.any_(sa.bindparam("domains", list(domains), type_=sa.ARRAY(sa.Text))),
            ),
        )
        .order_by(u.first_seen_at, u.id)
    )
    return [Pending(*row) for row in rows]
