"""Reads of the identity map (provenance per account; the account each known record of a source is in) and of the
records waiting for an account.

A source's record that names no account (a webhook event, a deleted object, a call without a group) goes to the
account cshub already has it in (``accounts_of``). How the record then names that account is its translator's:
by the source's id for it (``KnownAccount.by_id``), or, where records of the source may also be placed by domain
(Zendesk, Segment), by the account's domain when the source has no id for it (``by_id_or_domain``).
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.queries import ACCOUNT_COLUMNS, AccountRow, account_rows
from service.accounts.tables import accounts
from service.db.rows import uuid_array
from service.sources.tables import source_links, unmatched_records


@dataclass(frozen=True, slots=True)
class AccountSourceRow:
    account_id: uuid.UUID
    source: str
    external_id: str
    first_seen_at: dt.datetime
    last_synced_at: dt.datetime
    source_updated_at: dt.datetime | None


# An account's links to source systems: oldest first.
SOURCE_ORDER = (source_links.c.first_seen_at, source_links.c.source, source_links.c.external_id)


async def account_sources(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, list[AccountSourceRow]]:
    """Each account's links to source systems, oldest first — one query for all the accounts."""
    c = source_links.c
    rows = await conn.execute(
        sa.select(c.entity_id, c.source, c.external_id, c.first_seen_at, c.last_synced_at, c.source_updated_at)
        .where(
            c.object_type == "account",
            c.entity_id == sa.any_(uuid_array(account_ids)),
        )
        .order_by(c.entity_id, *SOURCE_ORDER)
    )
    grouped: dict[uuid.UUID, list[AccountSourceRow]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(AccountSourceRow(*row))
    return grouped


@dataclass(frozen=True, slots=True)
class UnmatchedRow:
    id: uuid.UUID
    source: str
    entity: str
    external_id: str
    account_external_id: str | None
    account_domain: str | None
    candidate_account_ids: list[uuid.UUID] | None
    payload: dict[str, Any]
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_account_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class UnmatchedQuery:
    source: str | None = None
    entity: str | None = None
    include_resolved: bool = False
    sources: tuple[str, ...] | None = None  # the caller's key is bound to these: nothing of other sources

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        u = unmatched_records.c
        found: list[sa.ColumnElement[bool]] = []
        if not self.include_resolved:
            found.append(u.resolved_at.is_(None))
        if self.sources is not None:
            found.append(
                u.source == sa.any_(sa.bindparam("bound_sources", list(self.sources), type_=sa.ARRAY(sa.Text)))
            )
        if self.source is not None:
            found.append(u.source == self.source)
        if self.entity is not None:
            found.append(u.entity == self.entity)
        return found


async def count_unmatched(conn: AsyncConnection, query: UnmatchedQuery) -> int:
    counted = sa.select(sa.func.count()).select_from(unmatched_records).where(*query.conditions())
    return int((await conn.execute(counted)).scalar_one())


async def unmatched_page(
    conn: AsyncConnection, query: UnmatchedQuery, *, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
) -> list[UnmatchedRow]:
    """Waiting records, oldest first, keyset-paginated on (first_seen_at, id)."""
    u = unmatched_records.c
    page = sa.select(
        u.id,
        u.source,
        u.entity,
        u.external_id,
        u.account_external_id,
        u.account_domain,
        u.candidate_account_ids,
        u.payload,
        u.first_seen_at,
        u.last_seen_at,
        u.resolved_at,
        u.resolved_account_id,
    ).where(*query.conditions())
    if after is not None:
        page = page.where(sa.tuple_(u.first_seen_at, u.id) > sa.tuple_(*after))
    rows = await conn.execute(page.order_by(u.first_seen_at, u.id).limit(limit))
    return [UnmatchedRow(**row._mapping) for row in rows]


async def account_by_source(conn: AsyncConnection, source: str, external_id: str) -> AccountRow | None:
    """The account a source system knows under ``external_id`` (its identity-map link)."""
    link = source_links.c
    rows = account_rows(
        await conn.execute(
            sa.select(*ACCOUNT_COLUMNS)
            .join_from(accounts, source_links, link.entity_id == accounts.c.id)
            .where(link.source == source, link.object_type == "account", link.external_id == external_id)
        )
    )
    return rows[0] if rows else None


@dataclass(frozen=True, slots=True)
class KnownAccount:
    """The account a known record is in."""

    account_id: uuid.UUID
    external_id: str | None  # this source's id for the account; None: an account only other sources name
    domain: str | None

    def by_id(self) -> dict[str, str]:
        """The record's account reference by this source's id for it; empty when the source has none."""
        return {"account_external_id": self.external_id} if self.external_id is not None else {}

    def by_id_or_domain(self) -> dict[str, str]:
        """By this source's id for the account, else by its domain; empty when it has neither."""
        if self.external_id is not None:
            return self.by_id()
        return {"account_domain": self.domain} if self.domain is not None else {}


def text_ids(values: Sequence[str]) -> sa.BindParameter[Any]:
    """One ``text[]`` parameter of the distinct ``values`` (sorted: the same statement for the same set)."""
    return sa.bindparam("ids", sorted(set(values)), type_=sa.ARRAY(sa.Text))


def sibling_link(link: sa.FromClause, of: sa.FromClause, object_type: str, entity_id: Any) -> sa.ColumnElement[bool]:
    """``link`` (an alias of ``source_links``) is the link, in ``of``'s source, of the ``object_type`` record
    ``entity_id``: how a record's link finds its account's link, or an account's link its contracts'."""
    return sa.and_(link.c.source == of.c.source, link.c.object_type == object_type, link.c.entity_id == entity_id)


async def accounts_of(
    conn: AsyncConnection, source: str, object_type: str, external_ids: Sequence[str]
) -> dict[str, KnownAccount]:
    """The account each known record of this source (contacts, contracts, tickets…) is in, keyed by the record's
    id; records cshub does not know are absent."""
    if not external_ids:
        return {}
    record = source_links.alias("record")
    account = source_links.alias("account")
    rows = await conn.execute(
        sa.select(record.c.external_id, accounts.c.id, sa.func.min(account.c.external_id), accounts.c.domain)
        .select_from(
            record.join(accounts, accounts.c.id == record.c.account_id).outerjoin(
                account, sibling_link(account, record, "account", record.c.account_id)
            )
        )
        .where(
            record.c.source == source,
            record.c.object_type == object_type,
            record.c.external_id == sa.any_(text_ids(external_ids)),
        )
        .group_by(record.c.external_id, accounts.c.id)
    )
    return {
        external_id: KnownAccount(account_id, account_external_id, domain)
        for external_id, account_id, account_external_id, domain in rows
    }
