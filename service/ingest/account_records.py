"""Upsert of account records, record by record: match by this source's link, else by domain, else create. The rules,
and the path ``accounts_in_bulk`` falls back to when a batch's records depend on each other.

A record that omits a field keeps what the same source sent for it before; an explicit ``null`` withdraws
the source's value (``partial``). Profile fields come from the sources by priority
(``CSHUB_SOURCE_PRIORITY``, then by name): a lower-ranked source fills only what higher-ranked ones leave
empty, and the result does not depend on the order records arrive in. Parents named by ``parent_external_id``
resolve through the same source's links, also when the parent arrives in a later batch.
"""

import uuid
from collections.abc import Callable, Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.queries import lock_account_writes
from service.accounts.tables import accounts
from service.ingest.facts import Item, RecordRejected, complete, constraint_message
from service.ingest.identity import (
    digest_and_said,
    domain_candidates,
    find_link,
    save_link,
    touch_link,
)
from service.ingest.records import AccountRecord
from service.ingest.results import FieldError, RecordResult, Status
from service.ingest.rows_in_bulk import insert_rows
from service.ingest.shared_domains import SHARED_DOMAINS
from service.sources.tables import pending_parent_links, source_links

OBJECT_TYPE = "account"
PROFILE_FIELDS = (
    "name",
    "domain",
    "industry",
    "segment",
    "lifecycle_stage",
    "touch_model",
    "csm_owner",
    "sales_owner",
)
# What a source's link keeps of its last record: the profile it contributes, and its parent, so that a record
# that omits either is completed from it (``partial``) and a re-send of the same account reads as unchanged.
REMEMBERED = (*PROFILE_FIELDS, "parent_external_id")


async def write_accounts(
    conn: AsyncConnection,
    source: str,
    items: Sequence[Item],
    priority: Sequence[str] = (),
    shared_domains: Collection[str] = SHARED_DOMAINS,
    *,
    locked: bool = False,
) -> tuple[list[RecordResult], list[uuid.UUID]]:
    """Upsert the records; return their results and the accounts that were written (for re-resolution). ``locked``:
    the caller holds the account-writes lock shared and has row-locked the accounts of records that only update
    them in place (``accounts_in_bulk``); else the lock is taken here."""
    if not locked:
        await lock_account_writes(conn)
    results: list[RecordResult] = []
    written: list[tuple[AccountRecord, uuid.UUID]] = []
    for item in items:
        try:
            async with conn.begin_nested():
                status, account_id = await _upsert(conn, source, item.record, priority, shared_domains)
        except IntegrityError as exc:
            results.append(RecordResult(item.index, Status.REJECTED, errors=(FieldError("", constraint_message(exc)),)))
            continue
        except RecordRejected as exc:
            results.append(RecordResult(item.index, Status.REJECTED, errors=(exc.error,)))
            continue
        results.append(RecordResult(item.index, status, account_id))
        if status in (Status.CREATED, Status.UPDATED):
            written.append((item.record, account_id))
    await set_parents(conn, source, written)
    return results, [account_id for _, account_id in written]


def said(record: AccountRecord) -> tuple[str, dict[str, Any]]:
    """What an account record says, from one dump of it: its digest (``identity.payload_hash`` of what it sent and
    completed) and what its link keeps (``REMEMBERED``)."""
    digest, dumped = digest_and_said(record, exclude_unset=True)
    return digest, {name: dumped[name] for name in REMEMBERED if name in dumped}


async def _upsert(
    conn: AsyncConnection, source: str, record: AccountRecord, priority: Sequence[str], shared: Collection[str]
) -> tuple[Status, uuid.UUID]:
    link = await find_link(conn, source, OBJECT_TYPE, record.external_id)
    whole = record
    if link is not None:
        if record.updated_at and link.source_updated_at and record.updated_at < link.source_updated_at:
            return Status.STALE, link.entity_id
        whole = complete(record, link.payload)
    digest, remembered = said(whole)
    if link is not None:
        if link.payload_hash == digest:
            await touch_link(conn, source, OBJECT_TYPE, record.external_id, record.updated_at)
            return Status.UNCHANGED, link.entity_id
        if record.domain not in shared:
            await _refuse_taken_domain(conn, source, record, link.entity_id)
        account_id, status = link.entity_id, Status.UPDATED
    else:
        matched = await _match_by_domain(conn, source, record.domain, shared)
        if matched is None:
            matched = (
                await conn.execute(sa.insert(accounts).values(name=record.name).returning(accounts.c.id))
            ).scalar_one()
            status = Status.CREATED
        else:
            status = Status.UPDATED  # the account gained this source's link
        account_id = matched
    await save_link(
        conn,
        source=source,
        object_type=OBJECT_TYPE,
        external_id=record.external_id,
        entity_id=account_id,
        account_id=account_id,
        source_updated_at=record.updated_at,
        digest=digest,
        payload=remembered,
    )
    await _recompute_profile(conn, account_id, priority)
    return status, account_id


async def _match_by_domain(
    conn: AsyncConnection, source: str, domain: str | None, shared: Collection[str]
) -> uuid.UUID | None:
    """The one account of another source this new record's domain names, if exactly one.

    A shared domain identifies nobody; an account this source already sent under another id is another
    account by the source's own word; among several candidates the hub does not pick.
    """
    if domain is None or domain in shared:
        return None
    named = (await domain_candidates(conn, [domain])).get(domain, set())
    candidates = named - await _linked_from(conn, source, named)
    return next(iter(candidates)) if len(candidates) == 1 else None


async def _linked_from(conn: AsyncConnection, source: str, account_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not account_ids:
        return set()
    rows = await conn.execute(
        sa.select(source_links.c.entity_id).where(
            source_links.c.source == source,
            source_links.c.object_type == OBJECT_TYPE,
            source_links.c.entity_id.in_(account_ids),
        )
    )
    return {account_id for (account_id,) in rows}


async def _refuse_taken_domain(
    conn: AsyncConnection, source: str, record: AccountRecord, account_id: uuid.UUID
) -> None:
    if record.domain is None:
        return
    holder = (
        await conn.execute(
            sa.select(accounts.c.id).where(accounts.c.domain == record.domain, accounts.c.id != account_id)
        )
    ).scalar()
    if holder is not None and not await _linked_from(conn, source, {holder}):  # the source's own two accounts
        raise RecordRejected(
            "domain",
            f"domain {record.domain!r} already belongs to another account ({holder}); "
            "merge the two accounts (GraphQL mutation mergeAccounts) to combine them",
        )


def source_rank(priority: Sequence[str]) -> Callable[[str], tuple[int, str]]:
    """Sources listed in ``priority`` first, in that order; the rest after them by name."""
    position = {source: index for index, source in enumerate(priority)}
    return lambda source: (position.get(source, len(position)), source)


def merged_profile(links: Sequence[tuple[str, dict[str, Any]]], priority: Sequence[str]) -> dict[str, Any]:
    """Each profile field takes the value of the highest-ranked source that sends one (links: source, payload):
    the outcome depends on what the sources say, never on the order their records arrived in."""
    if len(links) == 1:  # most accounts have one source: its values, no ranking
        payload = links[0][1]
        return {name: value for name in PROFILE_FIELDS if (value := payload.get(name)) is not None}
    rank = source_rank(priority)
    profile: dict[str, Any] = {}
    for _, payload in sorted(links, key=lambda link: rank(link[0])):
        for name in PROFILE_FIELDS:
            if profile.get(name) is None and payload.get(name) is not None:
                profile[name] = payload[name]
    return profile


async def _recompute_profile(conn: AsyncConnection, account_id: uuid.UUID, priority: Sequence[str]) -> None:
    """The account's profile from its sources' links (``merged_profile``); a domain another account holds
    stays off it."""
    links = (
        await conn.execute(
            sa.select(source_links.c.source, source_links.c.payload).where(
                source_links.c.object_type == OBJECT_TYPE,
                source_links.c.entity_id == account_id,
                source_links.c.payload.is_not(None),
            )
        )
    ).all()
    profile = merged_profile([(link[0], link[1]) for link in links], priority)
    if profile.get("domain") is not None:
        taken = (
            await conn.execute(
                sa.select(accounts.c.id).where(accounts.c.domain == profile["domain"], accounts.c.id != account_id)
            )
        ).scalar()
        if taken is not None:
            del profile["domain"]
    values = {name: profile.get(name) for name in PROFILE_FIELDS if name != "domain" or "domain" in profile}
    if values.get("name") is None:
        del values["name"]
    changed = sa.or_(*(accounts.c[name].is_distinct_from(value) for name, value in values.items()))
    await conn.execute(  # a profile that comes out as stored is not written (as in ``profiles_in_bulk``)
        sa.update(accounts).where(accounts.c.id == account_id, changed).values(**values, updated_at=sa.func.now())
    )


async def set_parents(conn: AsyncConnection, source: str, written: Sequence[tuple[AccountRecord, uuid.UUID]]) -> None:
    """Record each sent parent as pending, then resolve every pending parent of this source that is now known
    (including ones named in earlier batches). A record that sends ``parent_external_id: null`` detaches its
    account; of several records of one account, the last one's parent is the pending one."""
    named = [(record, account_id) for record, account_id in written if "parent_external_id" in record.model_fields_set]
    if named:
        ids = sa.bindparam("ids", sorted({account_id for _, account_id in named}), type_=sa.ARRAY(sa.Uuid))
        await conn.execute(
            sa.delete(pending_parent_links).where(
                pending_parent_links.c.source == source, pending_parent_links.c.account_id == sa.any_(ids)
            )
        )
        detached = sorted({account_id for record, account_id in named if record.parent_external_id is None})
        if detached:
            none = sa.bindparam("none", detached, type_=sa.ARRAY(sa.Uuid))
            await conn.execute(sa.update(accounts).where(accounts.c.id == sa.any_(none)).values(parent_account_id=None))
        last = {account_id: record.parent_external_id for record, account_id in named}
        waiting = [(account_id, parent) for account_id, parent in last.items() if parent is not None]
        if waiting:
            await insert_rows(
                conn,
                pending_parent_links,
                [{"source": source, "account_id": account_id, "parent_external_id": p} for account_id, p in waiting],
            )
    await conn.execute(
        sa.text(
            "WITH resolved AS ("
            " DELETE FROM pending_parent_links AS p USING source_links AS l"
            " WHERE p.source = :source AND l.source = p.source AND l.object_type = 'account'"
            " AND l.external_id = p.parent_external_id AND l.entity_id <> p.account_id"
            # Nothing to join when the source has no pending parent (the common case): the planner, which
            # takes an empty table for a few pages of rows, would otherwise scan the links to find out.
            " AND EXISTS (SELECT FROM pending_parent_links WHERE source = :source)"
            " RETURNING p.account_id, l.entity_id AS parent_id)"
            " UPDATE accounts AS a SET parent_account_id = r.parent_id, updated_at = now()"
            " FROM resolved AS r WHERE a.id = r.account_id"
        ),
        {"source": source},
    )
