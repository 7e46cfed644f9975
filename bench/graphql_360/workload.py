"""What the requests rotate over: the CSMs and a fixed account sample, and for each page the GraphQL bodies
and baseline parameters of every rotation entry, in the same order."""

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.graphql_360.baseline import ACCOUNT_360_SQL, PORTFOLIO_SQL
from bench.graphql_360.database import asyncpg_dsn
from bench.graphql_360.pages import account_360_bodies, portfolio_bodies, usage_range

ROTATION_ACCOUNTS = 100


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    bodies: list[bytes]  # GraphQL request bodies, one per rotation entry
    sql: str
    arguments: list[tuple[Any, ...]]  # baseline parameters, the same rotation


def portfolio_page(csms: Sequence[str], today: dt.date) -> Page:
    start, end = usage_range(today)
    return Page("portfolio", portfolio_bodies(csms, today), PORTFOLIO_SQL, [(csm, today, start, end) for csm in csms])


def account_360_page(account_ids: Sequence[uuid.UUID], today: dt.date) -> Page:
    start, end = usage_range(today)
    bodies = account_360_bodies(account_ids, today)
    return Page("360", bodies, ACCOUNT_360_SQL, [(i, today, start, end) for i in account_ids])


async def rotation(url: str) -> tuple[list[str], list[uuid.UUID]]:
    """The CSMs (portfolio rotation) and a fixed sample of accounts (360 rotation) that covers parents,
    subsidiaries, accounts without active revenue, in euros and with a handoff first, so the agreement check
    sees them."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        csms = [
            row[0] for row in await conn.fetch("SELECT DISTINCT csm_owner FROM accounts WHERE csm_owner IS NOT NULL")
        ]
        ids = [row[0] for row in await conn.fetch("SELECT id FROM accounts ORDER BY name, id")]
        special = [
            await conn.fetchval("SELECT parent_account_id FROM accounts WHERE parent_account_id IS NOT NULL LIMIT 1"),
            await conn.fetchval("SELECT id FROM accounts WHERE parent_account_id IS NOT NULL LIMIT 1"),
            await conn.fetchval("SELECT id FROM accounts WHERE lifecycle_stage = 'churned' LIMIT 1"),
            await conn.fetchval("SELECT account_id FROM contracts WHERE currency = 'EUR' LIMIT 1"),
            await conn.fetchval("SELECT account_id FROM handoff_events LIMIT 1"),
        ]
    finally:
        await conn.close()
    sample = random.Random(360).sample(ids, min(ROTATION_ACCOUNTS, len(ids)))
    chosen = [i for i in special if i is not None]
    chosen += [i for i in sample if i not in chosen]
    return sorted(csms), chosen[:ROTATION_ACCOUNTS]


async def bench_pages(url: str, today: dt.date) -> dict[str, Page]:
    """Both pages over the rotation of the database at ``url``."""
    csms, account_ids = await rotation(url)
    return {"portfolio": portfolio_page(csms, today), "360": account_360_page(account_ids, today)}
