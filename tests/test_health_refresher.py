"""Background health recomputes: debounced after ingest changed score inputs (through the real ingest route),
on an interval, one process at a time (advisory lock), and surviving failures."""

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.health_scores.alert_rules import AlertThresholds
from service.health_scores.refresher import LOCK_KEY, HealthRefresher
from service.settings import Settings
from tests.app_client import app_client
from tests.ingesting import ingest, rows


async def scores(engine: AsyncEngine) -> int:
    return int((await rows(engine, "SELECT count(*) FROM health_scores"))[0][0])


async def wait_for_scores(engine: AsyncEngine, expected: int, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.05)):
        if await scores(engine) >= expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {expected} health scores after {seconds} s (have {await scores(engine)})")


async def test_ingest_of_score_inputs_triggers_one_debounced_recompute(
    engine: AsyncEngine, settings: Settings, admin_key: str
) -> None:
    # after_ingest 1 s: the three batches below take far less
    async with app_client(settings, health_recompute_after_ingest_seconds=1.0) as (http, state):
        refresher = state["health_refresher"]
        http.headers["Authorization"] = f"Bearer {admin_key}"
        timeline = {"source": "crm", "records": [
            {"external_id": "e1", "account_domain": "acme.example", "kind": "note", "summary": "hi",
             "occurred_at": "2026-01-01T00:00:00Z"}]}  # fmt: skip
        assert (await http.post("/v1/ingest/timeline-events", json=timeline)).status_code == 200
        await asyncio.sleep(1.5)
        assert refresher.runs == 0  # timeline entries are not score inputs

        for name in ("Acme", "Beta", "Gamma"):  # a burst of three batches: one recompute
            batch = {"source": "crm", "records": [{"external_id": name, "name": name}]}
            assert (await http.post("/v1/ingest/accounts", json=batch)).status_code == 200
        await wait_for_scores(engine, 3)
        await asyncio.sleep(1.5)
        assert refresher.runs == 1
        assert await scores(engine) == 3


async def test_interval_runs_and_one_process_at_a_time(engine: AsyncEngine) -> None:
    await ingest(engine, "crm", "accounts", [{"external_id": "a", "name": "Acme"}])
    refresher = HealthRefresher(engine, interval=0.2, after_ingest=0, thresholds=AlertThresholds())
    async with engine.connect() as holder:
        await holder.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})  # another process
        assert await refresher.run_once("test") is False
        await holder.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
    assert await refresher.run_once("test") is True
    refresher.start()
    try:
        await wait_for_scores(engine, 3)  # 1 above + at least 2 on the timer
    finally:
        await refresher.stop()
    assert refresher.runs >= 3


async def test_a_failed_run_is_logged_and_the_loop_goes_on(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    broken = HealthRefresher(engine, interval=0.1, after_ingest=0, thresholds=AlertThresholds())
    async with engine.begin() as conn:
        await conn.execute(sa.text("ALTER TABLE alerts RENAME TO alerts_away"))
    try:
        assert await broken.run_once("test") is False
    finally:
        async with engine.begin() as conn:
            await conn.execute(sa.text("ALTER TABLE alerts_away RENAME TO alerts"))
    assert "health recompute failed" in caplog.text
    assert await broken.run_once("test") is True
