"""Upsert of the per-account records a source owns (contacts, contracts, tickets, surveys, timeline), record by
record: the rules, and the path ``facts_in_bulk`` falls back to when a batch's records depend on each other.

One generic path: resolve every record's account in one go, then per record, in external-id order
(inside a savepoint, so one bad record cannot spoil the batch) decide created / updated / unchanged /
stale against the identity map, and write. A record's link is claimed (inserted, or row-locked) before
anything else is read or written: of two batches racing on one record, the second waits for the first to commit
and then updates the row the first created. A record that omits fields is completed from the last one this source
sent (``partial``): omitted keeps, ``null`` clears. Records whose account is unknown are kept as unmatched, never
dropped.
"""

import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from service.ingest import unmatched
from service.ingest.identity import (
    claim_link,
    find_link,
    payload_hash,
    resolve_accounts,
    save_link,
    touch_link,
)
from service.ingest.partial import completed, remembered, sent_columns
from service.ingest.records import AccountReference
from service.ingest.results import FieldError, RecordResult, Status

ValuesFor = Callable[[AsyncConnection, Any, uuid.UUID], Awaitable[dict[str, Any]]]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Written:
    """A record as stored: its (completed) record, the entity it is and the account it belongs to."""

    record: Any
    entity_id: uuid.UUID
    account_id: uuid.UUID


# What else a write implies, for the records of one batch in external-id order (one record on the per-record path).
AfterWrite = Callable[[AsyncConnection, Sequence[Written]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class FactKind:
    entity: str  # the ingest entity name, as in the URL
    object_type: str  # the identity map's name for it
    table: sa.Table
    values: ValuesFor  # column values for the record (its account already resolved)
    after_write: AfterWrite | None = None  # e.g. replace a contract's lines
    derived: Mapping[str, str] = field(default_factory=dict)  # a computed column → the field it comes from
    in_bulk: bool = True  # False when ``values`` reads per record (see ``facts_in_bulk``)


@dataclass(frozen=True, slots=True)
class Item:
    index: int
    record: Any  # an AccountReference subclass with external_id and maybe updated_at
    raw: dict[str, Any]


class RecordRejected(Exception):
    """A record the database refuses (a constraint the model could not check); only it is rejected."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.error = FieldError(path, message)


def constraint_message(exc: IntegrityError) -> str:
    cause = getattr(exc.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or "a constraint"
    detail = getattr(cause, "detail", None)
    return f"refused by the database ({name})" + (f": {detail}" if detail else "")


async def write_facts(
    conn: AsyncConnection, source: str, kind: FactKind, items: Sequence[Item], shared_domains: Collection[str]
) -> list[RecordResult]:
    references: list[AccountReference] = [item.record for item in items]
    resolutions = await resolve_accounts(conn, source, references, shared_domains)
    pending = await unmatched.waiting_among(conn, source, kind.entity, [item.record.external_id for item in items])
    results: list[RecordResult] = []
    # In external-id order, every transaction takes its row locks in the same order: no deadlocks.
    for item, resolution in sorted(zip(items, resolutions, strict=True), key=lambda pair: pair[0].record.external_id):
        account_id = resolution.account_id
        if account_id is None:
            results.append(await keep_or_replay(conn, source, kind, item, resolution.candidates))
            continue
        results.append(await write_one(conn, source, kind, item, account_id))
        if item.record.external_id in pending and results[-1].status != Status.REJECTED:
            await unmatched.mark_resolved(conn, source, kind.entity, [(item.record.external_id, account_id)])
    return sorted(results, key=lambda result: result.index)


async def keep_or_replay(
    conn: AsyncConnection, source: str, kind: FactKind, item: Item, candidates: Sequence[uuid.UUID]
) -> RecordResult:
    """A record whose account does not resolve: ``unchanged`` when it is a replay, else kept as unmatched."""
    if (replayed := await _replay(conn, source, kind, item)) is not None:
        return replayed
    kept = await unmatched.keep_unmatched(
        conn,
        source=source,
        entity=kind.entity,
        external_id=item.record.external_id,
        record=item.record,
        raw=item.raw,
        candidates=candidates,
    )
    return RecordResult(item.index, Status.UNMATCHED, kept)


async def _replay(conn: AsyncConnection, source: str, kind: FactKind, item: Item) -> RecordResult | None:
    """A stored record sent again unchanged is ``unchanged`` even when its account reference no longer
    resolves (say its domain became ambiguous): it was matched once, and nothing about it is new."""
    link = await find_link(conn, source, kind.object_type, item.record.external_id)
    if link is None:
        return None
    try:
        record = complete(item.record, link.payload)  # a partial re-send, completed as _upsert would
    except RecordRejected:
        return None
    if link.payload_hash != payload_hash(record):
        return None
    await touch_link(conn, source, kind.object_type, item.record.external_id, getattr(item.record, "updated_at", None))
    return RecordResult(item.index, Status.UNCHANGED, link.entity_id)


async def write_one(
    conn: AsyncConnection, source: str, kind: FactKind, item: Item, account_id: uuid.UUID
) -> RecordResult:
    """One record in a savepoint, so a record the database refuses cannot spoil the batch."""
    try:
        async with conn.begin_nested():
            status, entity_id = await _upsert(conn, source, kind, item.record, account_id)
        return RecordResult(item.index, status, entity_id)
    except IntegrityError as exc:
        return RecordResult(item.index, Status.REJECTED, errors=(FieldError("", constraint_message(exc)),))
    except RecordRejected as exc:
        return RecordResult(item.index, Status.REJECTED, errors=(exc.error,))


async def _upsert(
    conn: AsyncConnection, source: str, kind: FactKind, record: Any, account_id: uuid.UUID
) -> tuple[Status, uuid.UUID]:
    external_id: str = record.external_id
    updated_at = getattr(record, "updated_at", None)
    new_entity_id = uuid.uuid4()
    link = await claim_link(conn, source, kind.object_type, external_id, new_entity_id=new_entity_id)
    if link is not None:
        if updated_at is not None and link.source_updated_at is not None and updated_at < link.source_updated_at:
            return Status.STALE, link.entity_id
        record = complete(record, link.payload)
    digest = payload_hash(record)
    if link is not None and link.payload_hash == digest and link.account_id == account_id:
        await touch_link(conn, source, kind.object_type, external_id, updated_at)
        return Status.UNCHANGED, link.entity_id
    values = await kind.values(conn, record, account_id)
    table = kind.table
    if link is not None:
        # Without a stored payload (records accepted before it was kept) only what was sent is written.
        changes = values if link.payload is not None else sent_columns(values, record, kind.derived)
        if "updated_at" in table.c:
            changes["updated_at"] = sa.func.now()
        updated = await conn.execute(
            sa.update(table).where(table.c.id == link.entity_id).values(**changes).returning(table.c.id)
        )
        if updated.first() is None:  # the entity was deleted in the hub: bring it back under the same id
            await conn.execute(sa.insert(table).values(id=link.entity_id, **values))
        entity_id, status = link.entity_id, Status.UPDATED
    else:
        await conn.execute(sa.insert(table).values(id=new_entity_id, **values))
        entity_id, status = new_entity_id, Status.CREATED
    if kind.after_write is not None:
        await kind.after_write(conn, [Written(record, entity_id, account_id)])
    await save_link(
        conn,
        source=source,
        object_type=kind.object_type,
        external_id=external_id,
        entity_id=entity_id,
        account_id=account_id,
        source_updated_at=updated_at,
        digest=digest,
        payload=remembered(record) if link is None or link.payload is not None else None,
    )
    return status, entity_id


def complete(record: M, stored: dict[str, Any] | None) -> M:
    """``partial.completed``, or the record rejected when what it sends contradicts what it keeps."""
    checked = completed(record, stored)
    if isinstance(checked, tuple):
        raise RecordRejected(checked[0].path, f"{checked[0].message} (with the stored values of omitted fields)")
    return checked
