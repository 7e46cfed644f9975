"""Merging two accounts that are the same customer: everything of one moves onto the other.

Every table with an ``account_id`` is moved generically (so a table added later is not forgotten);
the usage rollups, whose primary key contains the account, are combined exactly: events add up and
active users are recounted from the per-user rows. Identity links move too, so future records from
any source land on the surviving account: by the merged account's ids, and by its domains (the domains
its sources sent stay on the links, and resolution reads them). Records that were waiting as unmatched
for either account (an ambiguous domain between the two, say) are stored in the same transaction.
The merge is recorded in ``account_merges``.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.queries import lock_account_writes
from service.accounts.tables import account_merges, accounts
from service.all_tables import metadata
from service.errors import InvalidInput, NotFound
from service.events import emit
from service.ingest.service import resolve_waiting
from service.ingest.shared_domains import SHARED_DOMAINS
from service.usage.tables import usage_daily_users

# Tables whose primary key includes account_id: merged by the statements below, not by a plain UPDATE.
_ROLLUPS = ("usage_daily", "usage_daily_users", "user_last_seen", "pending_parent_links")
_PROFILE = ("domain", "industry", "segment", "lifecycle_stage", "touch_model", "csm_owner", "sales_owner")

_MERGE_ROLLUPS = [
    """INSERT INTO usage_daily_users (account_id, day, feature, user_ref)
       SELECT :into, day, feature, user_ref FROM usage_daily_users WHERE account_id = :merged
       ORDER BY 2, 3, 4 ON CONFLICT DO NOTHING""",
    """INSERT INTO usage_daily (account_id, day, feature, events, active_users)
       SELECT :into, day, feature, events, 0 FROM usage_daily WHERE account_id = :merged ORDER BY 2, 3
       ON CONFLICT (account_id, day, feature) DO UPDATE SET events = usage_daily.events + excluded.events""",
    """UPDATE usage_daily AS d SET active_users = (
           SELECT count(*) FROM usage_daily_users AS u
           WHERE u.account_id = d.account_id AND u.day = d.day AND u.feature = d.feature)
       WHERE d.account_id = :into AND (d.day, d.feature) IN (
           SELECT day, feature FROM usage_daily WHERE account_id = :merged)""",
    """INSERT INTO user_last_seen (account_id, user_ref, first_seen_at, last_seen_at)
       SELECT :into, user_ref, first_seen_at, last_seen_at FROM user_last_seen WHERE account_id = :merged
       ORDER BY 2 ON CONFLICT (account_id, user_ref) DO UPDATE
       SET first_seen_at = least(user_last_seen.first_seen_at, excluded.first_seen_at),
           last_seen_at = greatest(user_last_seen.last_seen_at, excluded.last_seen_at)""",
    """INSERT INTO pending_parent_links (source, account_id, parent_external_id)
       SELECT source, :into, parent_external_id FROM pending_parent_links WHERE account_id = :merged
       ON CONFLICT DO NOTHING""",
]


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    merge_id: uuid.UUID
    into_account_id: uuid.UUID
    merged_account_id: uuid.UUID
    moved: dict[str, int]


def _fact_tables() -> list[sa.Table]:
    return [
        table
        for table in metadata.sorted_tables
        if "account_id" in table.c and table.name not in _ROLLUPS and table.name not in ("account_merges", "events")
    ]


async def merge_accounts(
    conn: AsyncConnection,
    *,
    merged_id: uuid.UUID,
    into_id: uuid.UUID,
    merged_by: str,
    shared_domains: Collection[str] = SHARED_DOMAINS,
) -> MergeOutcome:
    """Move everything of ``merged_id`` onto ``into_id`` and delete ``merged_id``, then store the unmatched
    records that now name ``into_id`` alone; the caller commits."""
    if merged_id == into_id:
        raise InvalidInput("an account cannot be merged into itself")
    await lock_account_writes(conn)  # no account ingest may re-link either account meanwhile
    found = {
        row.id: row._mapping
        for row in await conn.execute(
            sa.select(accounts).where(accounts.c.id.in_([merged_id, into_id])).order_by(accounts.c.id).with_for_update()
        )
    }
    for account_id in (merged_id, into_id):
        if account_id not in found:
            raise NotFound(f"account {account_id} does not exist")
    merged, into = found[merged_id], found[into_id]
    params = {"merged": merged_id, "into": into_id}
    moved: dict[str, int] = {}
    for table in _fact_tables():
        result = await conn.execute(sa.update(table).where(table.c.account_id == merged_id).values(account_id=into_id))
        if result.rowcount:
            moved[table.name] = result.rowcount
    links = await conn.execute(
        sa.text("UPDATE source_links SET entity_id = :into WHERE object_type = 'account' AND entity_id = :merged"),
        params,
    )
    moved["account_links"] = links.rowcount
    for statement in _MERGE_ROLLUPS:
        await conn.execute(sa.text(statement), params)
    await conn.execute(
        sa.update(accounts).where(accounts.c.parent_account_id == merged_id).values(parent_account_id=into_id)
    )
    await conn.execute(
        sa.update(accounts)
        .where(accounts.c.id == into_id, accounts.c.parent_account_id == into_id)
        .values(parent_account_id=None)
    )
    await conn.execute(sa.update(accounts).where(accounts.c.id == merged_id).values(domain=None))
    filled: dict[str, Any] = {
        name: merged[name] for name in _PROFILE if into[name] is None and merged[name] is not None
    }
    await conn.execute(sa.update(accounts).where(accounts.c.id == into_id).values(**filled, updated_at=sa.func.now()))
    # usage_daily_users has no foreign key to cascade along (migration 0017): its merged rows go here.
    await conn.execute(sa.delete(usage_daily_users).where(usage_daily_users.c.account_id == merged_id))
    await conn.execute(sa.delete(accounts).where(accounts.c.id == merged_id))
    merge_id: uuid.UUID = (
        await conn.execute(
            sa.insert(account_merges)
            .values(
                merged_account_id=merged_id,
                merged_account_name=merged.name,
                into_account_id=into_id,
                merged_by=merged_by,
                moved=moved,
            )
            .returning(account_merges.c.id)
        )
    ).scalar_one()
    await resolve_waiting(conn, [into_id], shared_domains)
    await emit.accounts_merged(
        conn, merge_id=merge_id, merged_account_id=merged_id, merged_account_name=merged.name,
        into_account_id=into_id, moved=moved, actor=merged_by,
    )  # fmt: skip
    return MergeOutcome(merge_id, into_id, merged_id, moved)
