"""Set-based writes of account records: a batch of accounts in one round of statements, with the results
``account_records.write_accounts`` gives record by record, and its guarantees (``account_records``).

Every decision of ``account_records._upsert`` is taken per record in Python, on reads made once for the batch
(the links, the accounts the domains name, who holds a domain); the writes (new accounts, links, profiles,
parents) are one statement each. That is only the same as the record-by-record outcome when the records do not
see each other's writes, so the batch falls back to ``write_accounts`` when:

- it names one external id twice (the second delivery completes and compares against the first);
- two of its records would write one account (say two new records whose domains name the same account: the
  first takes it, the second creates another);
- two of the accounts it writes share a domain — sent, stored, or named by any source's link — since which one
  keeps a domain, matches by it or is refused for it depends on which was written first;
- the database refuses a grouped statement (a constraint the model could not check), so that only the
  offending record is rejected.

Locking. A batch whose records all update, through this source's links, accounts no other record of it names, and
send no other domain than their links keep (the common re-sync), creates no account or link and changes no domain —
nothing the other account writers decide by. It takes the account-writes lock shared, beside other such batches,
and row-locks its accounts before reading their links, so two sources updating one account recompute its profile
one after the other. Every other batch, the record-by-record path and merges take the lock exclusively. Whether a
batch updates in place is read before the lock and checked again under it: an exclusive writer may have moved a
link or a domain meanwhile; then the savepoint the shared attempt ran in is rolled back, which lets go of the share
and the row locks (another batch may be waiting for those rows), and it waits for the lock exclusively, like any other
batch.
"""

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.queries import lock_account_writes, lock_accounts
from service.accounts.tables import accounts
from service.ingest.account_records import (
    OBJECT_TYPE,
    PROFILE_FIELDS,
    REMEMBERED,
    merged_profile,
    said,
    set_parents,
    write_accounts,
)
from service.ingest.facts import Item, RecordRejected, complete
from service.ingest.identity import Link, domain_candidates
from service.ingest.links_in_bulk import LinkWrite, find_links, save_links, touch_links
from service.ingest.profiles_in_bulk import domain_holders, recompute_profiles, without_taken_domains
from service.ingest.records import AccountRecord
from service.ingest.results import RecordResult, Status, rejected
from service.ingest.rows_in_bulk import insert_rows
from service.sources.tables import source_links


@dataclass(slots=True)
class _Write:
    """A record that will be written (unless refused for a domain another account holds)."""

    item: Item
    whole: AccountRecord  # completed from the stored record
    said: tuple[str, dict[str, Any]]  # of ``whole``: its digest and what its link keeps (``account_records.said``)
    link: Link | None
    account_id: uuid.UUID | None = None  # the existing account it writes; None: a new one


class _Dependent(Exception):
    """Records of the batch would see each other's writes: it is written record by record."""


class _Moved(Exception):
    """A batch read as updating its accounts in place no longer does under the lock: it is written as any other."""


async def write_accounts_in_bulk(
    conn: AsyncConnection,
    source: str,
    items: Sequence[Item],
    priority: Sequence[str],
    shared: Collection[str],
) -> tuple[list[RecordResult], list[uuid.UUID]]:
    """``account_records.write_accounts``, set-based when the batch's records are independent (else it is called)."""
    if len({item.record.external_id for item in items}) != len(items):
        return await write_accounts(conn, source, items, priority, shared)
    linked = await _updates_only(conn, source, items)
    # What each record says, before the lock (the batches waiting for it are not held up by this one's dumps and
    # digests): a record written as sent — new, or sending every field its link keeps — says this. A partial update
    # says what it makes with what its link keeps, known under the lock (then shared: nobody waits for it).
    sent = {
        item.index: said(item.record)
        for item in items
        if linked is None or item.record.model_fields_set.issuperset(REMEMBERED)
    }
    if linked is not None:
        try:
            # In a savepoint: should the batch not update in place after all, rolling it back releases the shared
            # lock and the row locks (nothing was written), and the batch then waits for the lock exclusively
            # holding nothing another batch waits for.
            async with conn.begin_nested():
                await lock_account_writes(conn, shared=True)
                await lock_accounts(conn, linked)
                if (done := await _write_batch(conn, source, items, sent, priority, shared, linked)) is None:
                    raise _Moved
            return done
        except _Moved:  # changed by an exclusive writer between the read above and the lock
            pass
    await lock_account_writes(conn)
    done = await _write_batch(conn, source, items, sent, priority, shared, None)
    assert done is not None  # refused only with ``linked``
    return done


async def _write_batch(
    conn: AsyncConnection,
    source: str,
    items: Sequence[Item],
    sent: Mapping[int, tuple[str, dict[str, Any]]],
    priority: Sequence[str],
    shared: Collection[str],
    linked: Collection[uuid.UUID] | None,
) -> tuple[list[RecordResult], list[uuid.UUID]] | None:
    """The batch written under the account-writes lock; with ``linked`` (the lock shared, these accounts row-locked)
    None, before writing anything, unless every write still updates one of them and changes no domain."""
    results: dict[int, RecordResult] = {}
    try:
        writes, touches = await _decide(conn, source, items, sent, results)
        if linked is not None and not all(_updates_in_place(w, linked) for w in writes):
            return None
        await _match_new(conn, source, writes, shared)
        known = await _known(conn, source, {w.account_id for w in writes if w.account_id is not None}, writes)
        _check_independent(writes, known)
        # Who holds every domain the writes name, read once: the batch's own writes cannot change the answers it
        # asks of it (no two of its accounts share a domain, and the account-writes lock keeps out the others).
        holders = await domain_holders(conn, {domain for w in writes for domain in _named_domains(w, known)})
        writes = await _refuse_taken_domains(conn, source, writes, shared, results, holders)
        async with conn.begin_nested():
            written = await _apply(conn, source, writes, touches, priority, known, holders)
    except (_Dependent, IntegrityError):
        # Under the shared lock every write updates a row-locked account in place: one by one, it needs no more.
        return await write_accounts(conn, source, items, priority, shared, locked=linked is not None)
    for write, (account_id, created) in zip(writes, written, strict=True):
        status = Status.CREATED if created else Status.UPDATED
        results[write.item.index] = RecordResult(write.item.index, status, account_id)
    ordered = [results[item.index] for item in items]
    written_ids = [w.id for w in ordered if w.status in (Status.CREATED, Status.UPDATED) and w.id is not None]
    return ordered, written_ids


async def _updates_only(conn: AsyncConnection, source: str, items: Sequence[Item]) -> set[uuid.UUID] | None:
    """The accounts of the batch's records when each record has this source's link (with its payload), to an account
    no other record of the batch names, and sends no other domain than the link's (an omitted domain stays the
    link's): such a batch creates no account or link and changes no domain, and takes the account-writes lock shared.
    None otherwise. Read without a lock: ``_write_batch`` checks it again under it."""
    c = source_links.c
    external_ids = sa.bindparam("ids", [item.record.external_id for item in items], type_=sa.ARRAY(sa.Text))
    rows = await conn.execute(
        sa.select(c.external_id, c.entity_id, c.payload.is_(None), c.payload["domain"].astext).where(
            c.source == source, c.object_type == OBJECT_TYPE, c.external_id == sa.any_(external_ids)
        )
    )
    found = {external_id: (entity_id, bare, domain) for external_id, entity_id, bare, domain in rows}
    accounts: set[uuid.UUID] = set()
    for item in items:
        record: AccountRecord = item.record
        if (link := found.get(record.external_id)) is None or link[1]:
            return None
        if "domain" in record.model_fields_set and record.domain != link[2]:
            return None
        accounts.add(link[0])
    return accounts if len(accounts) == len(items) else None


def _updates_in_place(w: "_Write", linked: Collection[uuid.UUID]) -> bool:
    """Whether a write updates one of the row-locked accounts through its link and keeps the link's domain."""
    return (
        w.link is not None
        and w.link.payload is not None
        and w.account_id in linked
        and w.whole.domain == w.link.payload.get("domain")
    )


async def _decide(
    conn: AsyncConnection,
    source: str,
    items: Sequence[Item],
    sent: Mapping[int, tuple[str, dict[str, Any]]],
    results: dict[int, RecordResult],
) -> tuple[list[_Write], list[tuple[str, dt.datetime | None]]]:
    """Stale, completed, unchanged — per record against its link (``sent``: ``said`` of records as sent, where
    known); the records that will be written."""
    links = await find_links(conn, source, OBJECT_TYPE, [item.record.external_id for item in items])
    writes: list[_Write] = []
    touches: list[tuple[str, dt.datetime | None]] = []
    for item in items:
        record: AccountRecord = item.record
        link = links.get(record.external_id)
        whole = record
        if link is not None:
            if record.updated_at and link.source_updated_at and record.updated_at < link.source_updated_at:
                results[item.index] = RecordResult(item.index, Status.STALE, link.entity_id)
                continue
            try:
                whole = complete(record, link.payload)
            except RecordRejected as exc:
                results[item.index] = RecordResult(item.index, Status.REJECTED, errors=(exc.error,))
                continue
        says = sent[item.index] if whole is record and item.index in sent else said(whole)
        if link is not None and link.payload_hash == says[0]:
            touches.append((record.external_id, record.updated_at))
            results[item.index] = RecordResult(item.index, Status.UNCHANGED, link.entity_id)
            continue
        writes.append(_Write(item, whole, says, link, link.entity_id if link is not None else None))
    return writes, touches


async def _linked_from(conn: AsyncConnection, source: str, account_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    if not account_ids:
        return set()
    rows = await conn.execute(
        sa.select(source_links.c.entity_id).where(
            source_links.c.source == source,
            source_links.c.object_type == OBJECT_TYPE,
            source_links.c.entity_id == sa.any_(sa.bindparam("ids", sorted(account_ids), type_=sa.ARRAY(sa.Uuid))),
        )
    )
    return {row[0] for row in rows}


async def _match_new(conn: AsyncConnection, source: str, writes: list[_Write], shared: Collection[str]) -> None:
    """``account_records._match_by_domain`` for every new record: the one account of another source its domain
    names, if exactly one."""
    new = [w for w in writes if w.link is None and w.item.record.domain is not None]
    named = await domain_candidates(conn, [w.item.record.domain for w in new if w.item.record.domain not in shared])
    linked = await _linked_from(conn, source, {account_id for ids in named.values() for account_id in ids})
    for w in new:
        if w.item.record.domain in shared:
            continue
        candidates = named.get(w.item.record.domain, set()) - linked
        if len(candidates) == 1:
            w.account_id = next(iter(candidates))


@dataclass(frozen=True, slots=True)
class _Known:
    """What the accounts the batch updates hold now: every domain that names each (its own, and any source's link's),
    and each one's links (source and external id: the payload), which recompute its profile once the batch's are
    saved."""

    domains: dict[uuid.UUID, set[str]]
    links: dict[uuid.UUID, dict[tuple[str, str], dict[str, Any]]]


async def _known(
    conn: AsyncConnection, source: str, account_ids: Collection[uuid.UUID], writes: Sequence[_Write]
) -> _Known:
    """One read of the accounts and their links (the account-writes lock, or under it shared the accounts' row
    locks, keep them as read until the batch commits). The links the batch's records came by (``writes``) were read
    already: not read again."""
    known = _Known(defaultdict(set), defaultdict(dict))
    if not account_ids:
        return known
    had = {w.item.record.external_id: w.link for w in writes if w.link is not None and w.account_id in account_ids}
    ids = sa.bindparam("ids", sorted(account_ids), type_=sa.ARRAY(sa.Uuid))
    read = sa.bindparam("read", sorted(had), type_=sa.ARRAY(sa.Text))
    c = source_links.c
    others = sa.and_(
        c.object_type == OBJECT_TYPE,
        c.entity_id == accounts.c.id,
        sa.not_(sa.and_(c.source == source, c.external_id == sa.any_(read))),
    )
    rows = await conn.execute(
        sa.select(accounts.c.id, accounts.c.domain, c.source, c.external_id, c.payload)
        .select_from(accounts.outerjoin(source_links, others))
        .where(accounts.c.id == sa.any_(ids))
    )
    held = [(link.entity_id, None, source, external_id, link.payload) for external_id, link in had.items()]
    for account_id, domain, link_source, external_id, payload in [*rows, *held]:
        named = {domain, payload.get("domain") if payload is not None else None} - {None}
        known.domains[account_id] |= named
        if payload is not None:
            known.links[account_id][(link_source, external_id)] = payload
    return known


def _named_domains(w: _Write, known: _Known) -> set[str]:
    """Every domain a write may give its account: sent, completed, or named by the account or any of its links (an
    updated account's profile takes its domain from one of them)."""
    domains = {w.item.record.domain, w.whole.domain}
    if w.account_id is not None:
        domains |= known.domains.get(w.account_id, set())
    return {domain for domain in domains if domain is not None}


def _check_independent(writes: Sequence[_Write], known: _Known) -> None:
    """Raise ``_Dependent`` when two records write one account, or two written accounts share a domain."""
    existing = [w.account_id for w in writes if w.account_id is not None]
    if len(set(existing)) != len(existing):
        raise _Dependent
    counts: Counter[str] = Counter()
    for w in writes:
        counts.update(_named_domains(w, known))
    if any(count > 1 for count in counts.values()):
        raise _Dependent


async def _refuse_taken_domains(
    conn: AsyncConnection,
    source: str,
    writes: list[_Write],
    shared: Collection[str],
    results: dict[int, RecordResult],
    holders: Mapping[str, uuid.UUID],
) -> list[_Write]:
    """``account_records._refuse_taken_domain`` for every update: a domain another account holds (``holders``) is
    refused, unless that account is this source's too. The writes that remain."""
    holder_of = {
        w.item.index: holder
        for w in writes
        if w.link is not None and w.item.record.domain not in shared
        and (holder := holders.get(w.item.record.domain or "")) is not None and holder != w.account_id
    }  # fmt: skip
    ours = await _linked_from(conn, source, set(holder_of.values()))  # an account holding its own domain: no read
    kept: list[_Write] = []
    for w in writes:
        domain = w.item.record.domain
        holder = holder_of.get(w.item.index)
        if holder is not None and holder not in ours:
            message = (
                f"domain {domain!r} already belongs to another account ({holder}); "
                "merge the two accounts (GraphQL mutation mergeAccounts) to combine them"
            )
            results[w.item.index] = rejected(w.item.index, "domain", message)
        else:
            kept.append(w)
    return kept


def _new_account(record: AccountRecord, account_id: uuid.UUID, profile: dict[str, Any]) -> dict[str, Any]:
    """The row of a new account: its profile, as ``recompute_profiles`` would set it."""
    row = {name: profile.get(name) for name in PROFILE_FIELDS}
    return {"id": account_id, **row, "name": row["name"] or record.name}


async def _apply(
    conn: AsyncConnection,
    source: str,
    writes: Sequence[_Write],
    touches: Sequence[tuple[str, dt.datetime | None]],
    priority: Sequence[str],
    known: _Known,
    holders: Mapping[str, uuid.UUID],
) -> list[tuple[uuid.UUID, bool]]:
    """Create the new accounts with their profiles, save the links, recompute the other profiles (from the links
    ``known`` read, with the batch's laid over them, as saved), set the parents; each write's account and whether
    it was created.

    A new account has one link, the one saved here, so its profile is that link's payload (``merged_profile``
    of it alone): it is inserted whole instead of inserted bare and updated."""
    written = [(w.account_id or uuid.uuid4(), w.account_id is None) for w in writes]
    links = [
        LinkWrite(
            w.item.record.external_id,
            account_id,
            account_id,
            w.item.record.updated_at,
            *w.said,
        )
        for w, (account_id, _) in zip(writes, written, strict=True)
    ]
    created = [(w, link) for w, link, (_, new) in zip(writes, links, written, strict=True) if new]
    profiles = without_taken_domains(
        {link.entity_id: merged_profile([(source, link.payload or {})], priority) for _, link in created}, holders
    )
    await insert_rows(
        conn, accounts, [_new_account(w.item.record, link.entity_id, profiles[link.entity_id]) for w, link in created]
    )
    await save_links(conn, source, OBJECT_TYPE, links)
    await touch_links(conn, source, OBJECT_TYPE, touches)
    updated = {account_id: known.links[account_id] for account_id, new in written if not new}
    for link in links:
        if link.entity_id in updated:
            updated[link.entity_id][(source, link.external_id)] = link.payload or {}
    await recompute_profiles(
        conn,
        {account_id: [(s, payload) for (s, _), payload in held.items()] for account_id, held in updated.items()},
        priority,
        holders,
    )
    parents = [(w.item.record, account_id) for w, (account_id, _) in zip(writes, written, strict=True)]
    await set_parents(conn, source, parents)
    return written
