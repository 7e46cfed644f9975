"""Set-based writes of per-account records (contacts, contracts, tickets, timeline events): a batch in one round
of statements — claim every link, upsert every entity, what else the writes imply (lines, events), save every
link — with the results ``facts.write_facts`` gives record by record, and the same guarantees (``facts``).

The decisions (stale, completed from the stored record, unchanged, created or updated) are taken per record in
Python on the links the claim returns, exactly as ``facts._upsert`` takes them; only the writes are grouped.
What stays per record: records whose account does not resolve (kept as unmatched, or a replay), and links stored
before payloads were kept (only what was sent is written). The whole batch falls back to ``facts.write_facts``
when it names one record twice (the second delivery depends on the first) or its kind reads per record
(``FactKind.in_bulk``); its matched records are written record by record when the database refuses a grouped
statement (a constraint the model could not check), so that only the offending record is rejected.
"""

import uuid
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from service.ingest import unmatched
from service.ingest.facts import (
    FactKind,
    Item,
    RecordRejected,
    Written,
    complete,
    keep_or_replay,
    write_facts,
    write_one,
)
from service.ingest.identity import digest_and_said, resolve_accounts
from service.ingest.links_in_bulk import LinkWrite, find_links, insert_new_links, save_links, touch_links
from service.ingest.partial import NOT_CARRIED
from service.ingest.records import AccountReference
from service.ingest.results import RecordResult, Status
from service.ingest.rows_in_bulk import insert_rows, upsert_rows


def can_write_in_bulk(kind: FactKind, items: Sequence[Item]) -> bool:
    """Whether the batch's records are independent of each other: no external id twice."""
    return kind.in_bulk and len({item.record.external_id for item in items}) == len(items)


async def write_facts_in_bulk(
    conn: AsyncConnection, source: str, kind: FactKind, items: Sequence[Item], shared_domains: Collection[str]
) -> list[RecordResult]:
    """``facts.write_facts``, set-based where ``can_write_in_bulk`` allows (else it is called)."""
    if not can_write_in_bulk(kind, items):
        return await write_facts(conn, source, kind, items, shared_domains)
    references: list[AccountReference] = [item.record for item in items]
    resolutions = await resolve_accounts(conn, source, references, shared_domains)
    pending = await unmatched.waiting_among(conn, source, kind.entity, [item.record.external_id for item in items])
    results: list[RecordResult] = []
    matched: list[tuple[Item, uuid.UUID]] = []
    for item, resolution in sorted(zip(items, resolutions, strict=True), key=lambda pair: pair[0].record.external_id):
        if resolution.account_id is None:
            results.append(await keep_or_replay(conn, source, kind, item, resolution.candidates))
        else:
            matched.append((item, resolution.account_id))
    try:
        async with conn.begin_nested():
            written = await _write_matched(conn, source, kind, matched)
    except (IntegrityError, _LinkVanished):
        written = [await write_one(conn, source, kind, item, account_id) for item, account_id in matched]
    results.extend(written)
    await unmatched.mark_resolved(
        conn,
        source,
        kind.entity,
        [
            (item.record.external_id, account_id)
            for (item, account_id), result in zip(matched, written, strict=True)
            if item.record.external_id in pending and result.status != Status.REJECTED
        ],
    )
    return sorted(results, key=lambda result: result.index)


class _Write(NamedTuple):  # a tuple: a batch builds a thousand, and a frozen dataclass is slower to build
    """A record that will be written: created (no link before) or updated."""

    item_index: int
    record: Any  # completed from the stored record
    entity_id: uuid.UUID
    account_id: uuid.UUID
    said: tuple[str, dict[str, Any]]  # its digest and what its link keeps (``_said``)
    created: bool


class _LinkVanished(Exception):
    """A link that blocked an insert was gone when read (its account was deleted meanwhile): the batch is written
    record by record, where ``identity.claim_link`` retries."""


def _said(record: Any) -> tuple[str, dict[str, Any]]:
    """The record's digest (``identity.payload_hash``) and what its link keeps (``partial.remembered``), from one
    dump of it."""
    digest, said = digest_and_said(record)
    return digest, {name: value for name, value in said.items() if name not in NOT_CARRIED}


def _link(record: Any, entity_id: uuid.UUID, account_id: uuid.UUID, said: tuple[str, dict[str, Any]]) -> LinkWrite:
    digest, payload = said
    return LinkWrite(record.external_id, entity_id, account_id, getattr(record, "updated_at", None), digest, payload)


async def _write_matched(
    conn: AsyncConnection, source: str, kind: FactKind, matched: Sequence[tuple[Item, uuid.UUID]]
) -> list[RecordResult]:
    """The records whose account resolved, in external-id order; their results in that order.

    Their links are claimed as ``identity.claim_link`` does, for the whole batch: the existing ones row-locked
    (in external-id order), then those of new records inserted whole, at once. A new record's link that another
    batch inserted meanwhile is locked after it committed, and the record decided against it like the others.
    """
    object_type = kind.object_type
    links = await find_links(
        conn, source, object_type, [item.record.external_id for item, _ in matched], for_update=True
    )
    fresh = {
        item.record.external_id: (item, account_id)
        for item, account_id in matched
        if item.record.external_id not in links
    }
    claims = {
        external_id: _link(item.record, uuid.uuid4(), account_id, _said(item.record))
        for external_id, (item, account_id) in fresh.items()
    }
    inserted = await insert_new_links(conn, source, object_type, list(claims.values()))
    if raced := [external_id for external_id in claims if external_id not in inserted]:
        links |= await find_links(conn, source, object_type, raced, for_update=True)
        if len(raced) != len(set(raced) & set(links)):
            raise _LinkVanished
    results: dict[int, RecordResult] = {}
    writes: list[_Write] = []
    touches: list[tuple[str, Any]] = []
    one_by_one: list[tuple[Item, uuid.UUID]] = []
    for item, account_id in matched:
        record = item.record
        if record.external_id in inserted:
            claim = claims[record.external_id]
            said = (claim.digest or "", claim.payload or {})
            writes.append(_Write(item.index, record, claim.entity_id, account_id, said, created=True))
            continue
        link = links[record.external_id]
        updated_at = getattr(record, "updated_at", None)
        if updated_at is not None and link.source_updated_at is not None and updated_at < link.source_updated_at:
            results[item.index] = RecordResult(item.index, Status.STALE, link.entity_id)
            continue
        if link.payload is None:  # stored before payloads were kept: only what was sent is written
            one_by_one.append((item, account_id))
            continue
        try:
            record = complete(record, link.payload)
        except RecordRejected as exc:
            results[item.index] = RecordResult(item.index, Status.REJECTED, errors=(exc.error,))
            continue
        said = _said(record)
        if link.payload_hash == said[0] and link.account_id == account_id:
            touches.append((record.external_id, updated_at))
            results[item.index] = RecordResult(item.index, Status.UNCHANGED, link.entity_id)
            continue
        writes.append(_Write(item.index, record, link.entity_id, account_id, said, created=False))
    rows = [{"id": w.entity_id, **await kind.values(conn, w.record, w.account_id)} for w in writes]
    # A created entity's id is new (its link was inserted just now): a plain insert, without the upsert's conflict
    # check per row. An updated entity the hub deleted comes back under the same id: the upsert inserts it.
    await insert_rows(conn, kind.table, [row for row, w in zip(rows, writes, strict=True) if w.created])
    await upsert_rows(conn, kind.table, [row for row, w in zip(rows, writes, strict=True) if not w.created])
    if kind.after_write is not None and writes:
        await kind.after_write(conn, [Written(w.record, w.entity_id, w.account_id) for w in writes])
    updated = [_link(w.record, w.entity_id, w.account_id, w.said) for w in writes if not w.created]
    await save_links(conn, source, object_type, updated)
    await touch_links(conn, source, object_type, touches)
    for w in writes:
        results[w.item_index] = RecordResult(w.item_index, Status.CREATED if w.created else Status.UPDATED, w.entity_id)
    for item, account_id in one_by_one:
        results[item.index] = await write_one(conn, source, kind, item, account_id)
    return [results[item.index] for item, _ in matched]
