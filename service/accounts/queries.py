"""SQL reads over ``accounts``. Callers pass their own connection."""

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.db.rows import uuid_array


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: uuid.UUID
    name: str
    domain: str | None
    industry: str | None
    segment: str | None
    lifecycle_stage: str | None
    touch_model: str | None
    csm_owner: str | None
    sales_owner: str | None
    parent_account_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


ACCOUNT_COLUMNS = tuple(accounts.c[name] for name in AccountRow.__slots__)


def account_rows(result: sa.CursorResult[tuple[object, ...]]) -> list[AccountRow]:
    return [AccountRow(**row._mapping) for row in result]


async def accounts_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> list[AccountRow]:
    result = await conn.execute(sa.select(*ACCOUNT_COLUMNS).where(accounts.c.id == sa.any_(uuid_array(ids))))
    return account_rows(result)


async def accounts_by_id(
    conn: AsyncConnection, ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, AccountRow]:
    return {row.id: row for row in await accounts_by_ids(conn, ids)}


# Subsidiaries: by name.
CHILD_ORDER = (accounts.c.name, accounts.c.id)


async def children_of_accounts(
    conn: AsyncConnection, parent_ids: Sequence[uuid.UUID], _: None = None
) -> dict[uuid.UUID, list[AccountRow]]:
    """Each account's direct subsidiaries, by name — one query for all the parents."""
    result = await conn.execute(
        sa.select(*ACCOUNT_COLUMNS)
        .where(accounts.c.parent_account_id == sa.any_(uuid_array(parent_ids)))
        .order_by(accounts.c.parent_account_id, *CHILD_ORDER)
    )
    grouped: dict[uuid.UUID, list[AccountRow]] = defaultdict(list)
    for row in account_rows(result):
        assert row.parent_account_id is not None
        grouped[row.parent_account_id].append(row)
    return grouped


async def account_by_domain(conn: AsyncConnection, domain: str) -> AccountRow | None:
    rows = account_rows(await conn.execute(sa.select(*ACCOUNT_COLUMNS).where(accounts.c.domain == domain)))
    return rows[0] if rows else None


# One lock for everything that creates, re-links or merges accounts, taken exclusively: serialising those writes
# rules out duplicate accounts for one domain and deadlocks between account writers, and costs one lock-table entry
# (per-key locks would need one per record: "out of shared memory"). A batch that only updates accounts it is
# already linked to, changing no domain, takes it shared, beside others of its kind, and row-locks its accounts
# (``lock_accounts``): it cannot change what the exclusive writers decide by.
ACCOUNTS_WRITE_LOCK = 0x63736875_62000001


async def lock_account_writes(conn: AsyncConnection, *, shared: bool = False) -> None:
    """Take the account-writes lock until the transaction ends (or the savepoint it was taken in is rolled back)."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await conn.execute(sa.text(f"SELECT {function}(:key)"), {"key": ACCOUNTS_WRITE_LOCK})


async def lock_accounts(conn: AsyncConnection, account_ids: Collection[uuid.UUID]) -> None:
    """Row-lock these accounts until the transaction ends, in id order (two writers of overlapping accounts wait for
    each other instead of deadlocking). ``FOR NO KEY UPDATE``: rows that reference an account may still be written
    meanwhile."""
    if account_ids:
        locked = (
            sa.select(accounts.c.id)
            .where(accounts.c.id == sa.any_(uuid_array(sorted(account_ids))))
            .order_by(accounts.c.id)
            .with_for_update(key_share=True)
            .subquery()
        )
        await conn.execute(sa.select(sa.func.count()).select_from(locked))  # one row back, not one per account
