"""The identity map: which hub entity a source's record is, and which account a record belongs to.

A record's account reference resolves through this source's own links first, then through the
normalised domain, which links records across sources only: a domain that several accounts share
(two records of one source are two accounts, whatever their domains) resolves to none of them.
Every link keeps provenance: first seen, last synced, the source's own ``updated_at`` and a hash of
the last accepted record (so a re-sent record is ``unchanged``).
"""

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.ingest.records import AccountReference
from service.sources.tables import source_links


class Link(NamedTuple):  # a tuple: a batch reads a thousand, and a frozen dataclass is slower to build
    entity_id: uuid.UUID
    account_id: uuid.UUID | None
    source_updated_at: dt.datetime | None
    payload_hash: str | None
    payload: dict[str, Any] | None = None  # the last accepted record, what omitted fields fall back to


# ``json.dumps`` with options builds an encoder per call; a batch hashes a thousand records.
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def payload_hash(record: BaseModel, *, exclude_unset: bool = False) -> str:
    """A stable digest of what a record says, ignoring ``updated_at`` (a re-stamped copy is the same)."""
    return digest_and_said(record, exclude_unset=exclude_unset)[0]


def digest_and_said(record: BaseModel, *, exclude_unset: bool = False) -> tuple[str, dict[str, Any]]:
    """``payload_hash`` and the dump it was taken of (what the record says, without ``updated_at``): a link keeps
    part of it, so one dump serves both."""
    said = record.model_dump(mode="json", exclude={"updated_at"}, exclude_unset=exclude_unset)
    return hashlib.sha256(_canonical(said).encode()).hexdigest(), said


async def find_link(
    conn: AsyncConnection, source: str, object_type: str, external_id: str, *, for_update: bool = False
) -> Link | None:
    statement = sa.select(
        source_links.c.entity_id,
        source_links.c.account_id,
        source_links.c.source_updated_at,
        source_links.c.payload_hash,
        source_links.c.payload,
    ).where(
        source_links.c.source == source,
        source_links.c.object_type == object_type,
        source_links.c.external_id == external_id,
    )
    row = (await conn.execute(statement.with_for_update() if for_update else statement)).one_or_none()
    return Link(*row) if row else None


async def claim_link(
    conn: AsyncConnection, source: str, object_type: str, external_id: str, *, new_entity_id: uuid.UUID
) -> Link | None:
    """Take this record's link, row-locked until the transaction ends: ``None`` when this call created it (for
    ``new_entity_id``), else the existing link. A concurrent writer of the same record waits here for the
    first to commit and then finds its link, so a record cannot be created twice. The new link carries no
    hash yet; the writer fills it in with ``save_link``."""
    for _ in range(3):  # only repeats if the link vanished in between (its account was deleted)
        claimed = await conn.execute(
            insert(source_links)
            .values(source=source, object_type=object_type, external_id=external_id, entity_id=new_entity_id)
            .on_conflict_do_nothing(index_elements=["source", "object_type", "external_id"])
            .returning(source_links.c.external_id)
        )
        if claimed.first() is not None:
            return None
        # Read committed: this statement sees the link the other writer committed, and locks it.
        link = await find_link(conn, source, object_type, external_id, for_update=True)
        if link is not None:
            return link
    raise AssertionError(f"link {source}/{object_type}/{external_id} keeps vanishing")


async def save_link(
    conn: AsyncConnection,
    *,
    source: str,
    object_type: str,
    external_id: str,
    entity_id: uuid.UUID,
    account_id: uuid.UUID | None,
    source_updated_at: dt.datetime | None,
    digest: str | None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Insert or refresh a link; ``source_updated_at`` only ever moves forward."""
    statement = insert(source_links).values(
        source=source,
        object_type=object_type,
        external_id=external_id,
        entity_id=entity_id,
        account_id=account_id,
        source_updated_at=source_updated_at,
        payload_hash=digest,
        payload=payload,
    )
    excluded = statement.excluded
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["source", "object_type", "external_id"],
            set_={
                "entity_id": excluded.entity_id,
                "account_id": excluded.account_id,
                "last_synced_at": sa.func.now(),
                "source_updated_at": sa.func.greatest(source_links.c.source_updated_at, excluded.source_updated_at),
                "payload_hash": sa.func.coalesce(excluded.payload_hash, source_links.c.payload_hash),
                "payload": sa.func.coalesce(excluded.payload, source_links.c.payload),
            },
        )
    )


async def touch_link(
    conn: AsyncConnection, source: str, object_type: str, external_id: str, source_updated_at: dt.datetime | None
) -> None:
    """A replay: the record is known and unchanged, but the source did sync it now."""
    await conn.execute(
        sa.update(source_links)
        .where(
            source_links.c.source == source,
            source_links.c.object_type == object_type,
            source_links.c.external_id == external_id,
        )
        .values(
            last_synced_at=sa.func.now(),
            source_updated_at=sa.func.greatest(source_links.c.source_updated_at, source_updated_at),
        )
    )


@dataclass(frozen=True, slots=True)
class Resolution:
    """A reference's account; or ``None`` with the ``candidates`` when its domain names several accounts."""

    account_id: uuid.UUID | None
    candidates: tuple[uuid.UUID, ...] = ()


def _account_domain() -> sa.ColumnElement[str]:
    # Literally as in ix_source_links_account_domain (a bound key would not match the index).
    return sa.literal_column("source_links.payload ->> 'domain'", sa.Text)


async def domain_candidates(conn: AsyncConnection, domains: Sequence[str]) -> dict[str, set[uuid.UUID]]:
    """Every account each domain names: its profile domain, or a domain any source sent for it. A merge
    moves the merged account's links onto the survivor, so the merged account's domains name the survivor."""
    if not domains:
        return {}
    wanted = sa.bindparam("domains", sorted(set(domains)), type_=sa.ARRAY(sa.Text))
    rows = await conn.execute(
        sa.union(
            sa.select(accounts.c.domain, accounts.c.id).where(accounts.c.domain == sa.any_(wanted)),
            sa.select(_account_domain(), source_links.c.entity_id).where(
                source_links.c.object_type == "account", _account_domain() == sa.any_(wanted)
            ),
        )
    )
    found: dict[str, set[uuid.UUID]] = {}
    for domain, account_id in rows:
        found.setdefault(domain, set()).add(account_id)
    return found


async def domains_of(conn: AsyncConnection, account_ids: Sequence[uuid.UUID]) -> list[str]:
    """The domains that name these accounts (see ``domain_candidates``)."""
    if not account_ids:
        return []
    ids = sa.bindparam("ids", list(account_ids), type_=sa.ARRAY(sa.Uuid))
    rows = await conn.execute(
        sa.union(
            sa.select(accounts.c.domain).where(accounts.c.id == sa.any_(ids), accounts.c.domain.is_not(None)),
            sa.select(_account_domain()).where(
                source_links.c.object_type == "account",
                source_links.c.entity_id == sa.any_(ids),
                _account_domain().is_not(None),
            ),
        )
    )
    return sorted(domain for (domain,) in rows)


async def resolve_accounts(
    conn: AsyncConnection, source: str, references: Sequence[AccountReference], shared: Collection[str]
) -> list[Resolution]:
    """The account of each reference, in two queries for the whole batch.

    A domain in ``shared`` (free mail, shared hosting) identifies nobody: only the source's own id counts.
    A domain that names several accounts resolves to none of them: the candidates are kept for review.
    """
    external_ids = sorted({r.account_external_id for r in references if r.account_external_id})
    domains = sorted({r.account_domain for r in references if r.account_domain and r.account_domain not in shared})
    by_external_id: dict[str, uuid.UUID] = {}
    if external_ids:
        rows = await conn.execute(
            sa.select(source_links.c.external_id, source_links.c.entity_id).where(
                source_links.c.source == source,
                source_links.c.object_type == "account",
                source_links.c.external_id == sa.any_(sa.bindparam("ids", external_ids, type_=sa.ARRAY(sa.Text))),
            )
        )
        by_external_id = {row[0]: row[1] for row in rows}
    by_domain = await domain_candidates(conn, domains)
    resolved: list[Resolution] = []
    for reference in references:
        account_id = by_external_id.get(reference.account_external_id or "")
        if account_id is not None:
            resolved.append(Resolution(account_id))
            continue
        candidates = sorted(by_domain.get(reference.account_domain or "", ()))
        if len(candidates) == 1:
            resolved.append(Resolution(candidates[0]))
        else:
            resolved.append(Resolution(None, tuple(candidates)))
    return resolved
