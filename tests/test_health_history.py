"""Thinning the score history (``CSHUB_HEALTH_HISTORY_FULL_DAYS``): scores older than the limit keep the day's last
per account and score name and every band change; the band each kept score names as the one before it stays true,
so the timeline's band changes are the same before and after."""

import datetime as dt
import uuid
from collections import Counter

from sqlalchemy.ext.asyncio import AsyncEngine

from service.health_scores.history import THINNED_DAYS, thin_history
from service.health_scores.service import recompute_health
from tests.health_histories import hourly_scores
from tests.ingesting import rows

NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
HOURS = 50 * 24  # hourly scores over 50 days
TURNED_RED = 800  # hours back: green before, red from then on (2026-10-28 04:00, a day the thinning reaches)


async def history_of(engine: AsyncEngine, name: str) -> uuid.UUID:
    """An account ``name`` with HOURS hourly scores back from NOW: green, red from TURNED_RED hours back on."""
    return await hourly_scores(engine, name, NOW, HOURS, f"CASE WHEN n > {TURNED_RED} THEN 'green' ELSE 'red' END")


async def per_day(engine: AsyncEngine, account: uuid.UUID) -> Counter[dt.date]:
    found = await rows(
        engine,
        "SELECT CAST(timezone('UTC', computed_at) AS date) FROM health_scores WHERE account_id = :account",
        account=account,
    )
    return Counter(day for (day,) in found)


async def band_changes(engine: AsyncEngine, account: uuid.UUID) -> list[tuple[object, ...]]:
    return await rows(
        engine,
        "SELECT computed_at, previous_band, band FROM health_scores"
        " WHERE account_id = :account AND band <> previous_band ORDER BY computed_at",
        account=account,
    )


async def test_older_scores_keep_the_days_last_and_every_band_change(engine: AsyncEngine) -> None:
    acme = await history_of(engine, "Acme")
    other = await history_of(engine, "Other Ltd")
    changes = await band_changes(engine, acme)
    assert len(changes) == 1
    before = await per_day(engine, acme)
    async with engine.begin() as conn:
        assert await thin_history(conn, NOW, 0) == 0  # 0: keep every score
        deleted = await thin_history(conn, NOW, 30, [acme])
    after = await per_day(engine, acme)
    until = dt.date(2026, 10, 31)  # 30 days before NOW, at UTC midnight
    thinned = {until - dt.timedelta(days=back) for back in range(1, THINNED_DAYS + 1)}
    changed_on = dt.date(2026, 10, 28)
    for day, count in before.items():
        if day in thinned:
            assert after[day] == (2 if day == changed_on else 1), day  # the day's last, and its band change
        else:
            assert after[day] == count, day  # newer than the limit, or older than the week thinned: as they were
    assert deleted == sum(before.values()) - sum(after.values()) > 0
    assert await band_changes(engine, acme) == changes  # the timeline's band changes are the same
    # Every kept score still names the band of the last kept banded score before it.
    found = await rows(
        engine,
        "SELECT previous_band IS NOT DISTINCT FROM lag(band) OVER (ORDER BY computed_at)"
        " FROM health_scores WHERE account_id = :account ORDER BY computed_at OFFSET 1",
        account=acme,
    )
    assert all(same for (same,) in found)
    assert sum((await per_day(engine, other)).values()) == HOURS  # another account's history: not asked
    # Thinning again finds nothing more.
    async with engine.begin() as conn:
        assert await thin_history(conn, NOW, 30) == deleted  # the other account's, now asked (the same history)
        assert await thin_history(conn, NOW, 30) == 0


async def test_a_recompute_thins_the_history_when_asked(engine: AsyncEngine) -> None:
    acme = await history_of(engine, "Acme")
    async with engine.begin() as conn:
        kept = await recompute_health(conn, NOW, history_full_days=0)
    assert kept.history_thinned == 0
    async with engine.begin() as conn:
        thinned = await recompute_health(conn, NOW + dt.timedelta(hours=1), history_full_days=30)
    assert thinned.history_thinned > 0
    stored = await rows(engine, "SELECT count(*) FROM health_scores WHERE account_id = :account", account=acme)
    assert stored == [(HOURS + kept.scores + thinned.scores - thinned.history_thinned,)]
