"""Accounts batches side by side: a batch that only updates the accounts its source is linked to, changing no
domain, takes the account-writes lock shared and row-locks its accounts; anything else takes it exclusively. Each
test holds one batch's transaction open and watches what the others may do meanwhile."""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.accounts import queries as account_queries
from service.ingest import accounts_in_bulk
from service.ingest.results import BatchResult
from service.ingest.service import ingest_batch
from tests.ingesting import ingest, rows, statuses

ADVISORY = (
    "SELECT mode FROM pg_locks WHERE locktype = 'advisory'"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
WAIT = 0.5  # seconds a batch that should wait is given to show it does not
DONE = 10.0  # seconds a batch that should not wait is given to finish


def crm(external_id: str, **fields: Any) -> dict[str, Any]:
    return {"external_id": external_id, "name": external_id.upper(), "domain": f"{external_id}.example", **fields}


@asynccontextmanager
async def open_batch(engine: AsyncEngine, source: str, records: list[Any]) -> AsyncIterator[BatchResult]:
    """A batch written in a transaction that stays open (its locks held) until the block ends, then commits."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield await ingest_batch(conn, source, "accounts", records)
        await transaction.commit()


async def waits(work: Awaitable[BatchResult]) -> asyncio.Task[BatchResult]:
    """``work`` started, and shown to be waiting (not done within ``WAIT`` seconds)."""
    task = asyncio.ensure_future(work)
    await asyncio.sleep(WAIT)
    assert not task.done(), "the batch did not wait"
    return task


async def profile(engine: AsyncEngine, name: str) -> tuple[Any, ...]:
    (row,) = await rows(engine, "SELECT domain, csm_owner, industry FROM accounts WHERE name = :name", name=name)
    return row


@pytest.fixture
async def seeded(engine: AsyncEngine) -> AsyncEngine:
    """Four CRM accounts, the first also known to support (matched by its domain)."""
    assert (
        statuses(await ingest(engine, "crm", "accounts", [crm(x) for x in ("a1", "a2", "a3", "a4")])) == ["created"] * 4
    )
    support = {"external_id": "org-1", "name": "A1 Inc", "domain": "a1.example"}
    assert statuses(await ingest(engine, "support", "accounts", [support])) == ["updated"]
    return engine


async def test_updates_of_other_accounts_run_beside_an_open_batch(seeded: AsyncEngine) -> None:
    async with open_batch(seeded, "crm", [crm("a1", csm_owner="Aiko"), crm("a2", csm_owner="Aiko")]) as first:
        assert statuses(first) == ["updated", "updated"]
        beside = ingest(seeded, "crm", "accounts", [crm("a3", csm_owner="Ben"), crm("a4", csm_owner="Ben")])
        assert statuses(await asyncio.wait_for(beside, DONE)) == ["updated", "updated"]
    assert await profile(seeded, "A3") == ("a3.example", "Ben", None)


async def test_a_new_account_or_a_new_domain_waits_for_the_open_updates(seeded: AsyncEngine) -> None:
    async with open_batch(seeded, "crm", [crm("a1", csm_owner="Aiko")]):
        new = await waits(ingest(seeded, "crm", "accounts", [crm("a5")]))
        moved = await waits(ingest(seeded, "crm", "accounts", [crm("a3", domain="a3-new.example")]))
    assert statuses(await asyncio.wait_for(new, DONE)) == ["created"]
    assert statuses(await asyncio.wait_for(moved, DONE)) == ["updated"]
    assert await profile(seeded, "A3") == ("a3-new.example", None, None)


async def test_two_sources_updating_one_account_side_by_side_both_reach_its_profile(seeded: AsyncEngine) -> None:
    """The second source's batch waits for the first's account row, then recomputes the profile from the first's
    committed link: neither change is lost."""
    async with open_batch(seeded, "crm", [crm("a1", csm_owner="Aiko")]):
        support = {"external_id": "org-1", "name": "A1 Inc", "domain": "a1.example", "industry": "robots"}
        other = await waits(ingest(seeded, "support", "accounts", [support]))
    assert statuses(await asyncio.wait_for(other, DONE)) == ["updated"]
    assert await profile(seeded, "A1") == ("a1.example", "Aiko", "robots")


async def test_updates_read_before_an_exclusive_writer_changed_them_are_written_exclusively(
    seeded: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch judged to update in place before the lock, whose link an exclusive writer then moved to another
    domain, is checked again under the lock and written as any other batch: the domain it sends is restored."""
    shared_tries: list[bool] = []
    write_batch = accounts_in_bulk._write_batch

    async def recorded(*args: Any) -> Any:
        done = await write_batch(*args)
        if args[-1] is not None:
            shared_tries.append(done is not None)
        return done

    monkeypatch.setattr(accounts_in_bulk, "_write_batch", recorded)
    async with open_batch(seeded, "crm", [crm("a2", domain="a2-moved.example")]) as moving:
        assert statuses(moving) == ["updated"]
        again = await waits(ingest(seeded, "crm", "accounts", [crm("a2", csm_owner="Cleo")]))
    assert statuses(await asyncio.wait_for(again, DONE)) == ["updated"]
    assert shared_tries == [False]  # refused under the shared lock, then written under the exclusive one
    assert await profile(seeded, "A2") == ("a2.example", "Cleo", None)
    assert await rows(seeded, "SELECT payload->>'domain' FROM source_links WHERE external_id = 'a2'") == [
        ("a2.example",)
    ]


async def test_a_batch_that_must_wait_exclusively_first_lets_go_of_what_it_held_shared(
    seeded: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asking for the lock exclusively while holding it shared (and its accounts' rows) would deadlock with a batch
    waiting for those rows: the shared attempt is rolled back first, so its row locks and its share are gone."""
    lock = account_queries.lock_account_writes
    seen: list[tuple[list[tuple[Any, ...]], bool]] = []

    async def probe(conn: AsyncConnection, *, shared: bool = False) -> None:
        if not shared and not seen:
            mine = await conn.execute(sa.text(f"{ADVISORY} AND pid = pg_backend_pid()"))
            async with seeded.connect() as other, other.begin():
                free = await other.execute(
                    sa.text("SELECT id FROM accounts WHERE name = 'A3' FOR NO KEY UPDATE SKIP LOCKED")
                )
                seen.append(([tuple(row) for row in mine], len(free.all()) == 1))
        await lock(conn, shared=shared)

    async with open_batch(seeded, "crm", [crm("a2", domain="a2-moved.example")]):
        monkeypatch.setattr(accounts_in_bulk, "lock_account_writes", probe)
        again = await waits(ingest(seeded, "crm", "accounts", [crm("a2", csm_owner="Cleo"), crm("a3")]))
    assert statuses(await asyncio.wait_for(again, DONE)) == ["updated", "unchanged"]
    assert seen[-1] == ([], True)  # neither the share nor the row of A3 held when it asked for the lock exclusively


async def test_a_batch_falling_back_to_one_by_one_under_the_shared_lock_does_not_wait_for_the_others(
    seeded: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A grouped statement refused under the shared lock: the records are written one by one, still under it (they
    only update row-locked accounts in place), not after every other sharer has finished."""
    apply = accounts_in_bulk._apply
    refused: list[bool] = []

    async def refuse_once(conn: AsyncConnection, *args: Any) -> Any:
        if not refused:
            refused.append(True)
            raise IntegrityError("INSERT …", {}, Exception("refused for the test"))
        return await apply(conn, *args)

    async with open_batch(seeded, "crm", [crm("a1", csm_owner="Aiko")]):
        monkeypatch.setattr(accounts_in_bulk, "_apply", refuse_once)
        beside = ingest(seeded, "crm", "accounts", [crm("a3", csm_owner="Ben"), crm("a4", csm_owner="Ben")])
        assert statuses(await asyncio.wait_for(beside, DONE)) == ["updated", "updated"]
    assert refused == [True]
    assert [await profile(seeded, name) for name in ("A1", "A3", "A4")] == [
        ("a1.example", "Aiko", None),
        ("a3.example", "Ben", None),
        ("a4.example", "Ben", None),
    ]


async def test_many_sources_updating_the_same_accounts_at_once_end_as_if_one_after_another(
    seeded: AsyncEngine,
) -> None:
    """Rounds of concurrent update batches from two sources over the same accounts: every account's profile is
    what the last records of both sources make it, whatever the interleaving."""
    support = [{"external_id": f"org-{x}", "name": f"{x} Inc", "domain": f"{x}.example"} for x in ("a2", "a3")]
    assert statuses(await ingest(seeded, "support", "accounts", support)) == ["updated", "updated"]
    names = ("a1", "a2", "a3")
    for round_number in range(4):
        owner, industry = f"CSM {round_number}", f"industry {round_number}"
        crm_batches = [[crm(x, csm_owner=owner) for x in names[i:] + names[:i]] for i in range(2)]
        support_batch = [
            {"external_id": "org-1" if x == "a1" else f"org-{x}", "name": f"{x} Inc", "industry": industry}
            for x in names
        ]
        work = [ingest(seeded, "crm", "accounts", batch) for batch in crm_batches]
        work.append(ingest(seeded, "support", "accounts", support_batch))
        for batch in await asyncio.wait_for(asyncio.gather(*work), DONE):
            assert set(statuses(batch)) <= {"updated", "unchanged"}
        for x in names:
            assert await profile(seeded, x.upper()) == (f"{x}.example", owner, industry)


async def test_the_shared_lock_and_the_row_locks_end_with_the_transaction(seeded: AsyncEngine) -> None:
    async with open_batch(seeded, "crm", [crm("a1", csm_owner="Aiko")]):
        assert await rows(seeded, ADVISORY) == [("ShareLock",)]
        # The account row is locked for updates, not for rows that reference it (a contact may still be written).
        contact = {"external_id": "c1", "account_external_id": "a1", "name": "Ann", "email": "ann@a1.example"}
        assert statuses(await asyncio.wait_for(ingest(seeded, "crm", "contacts", [contact]), DONE)) == ["created"]
    assert await rows(seeded, ADVISORY) == []
