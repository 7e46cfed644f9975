"""Usage events over ``POST /v1/ingest/usage-events``: events from the future are refused, user ids are trimmed
and, when ``CSHUB_USAGE_USER_IDS_CASE_INSENSITIVE`` says so, compared lower-cased."""

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.app import create_app
from service.settings import Settings
from tests.conftest import LifespanApp, make_key
from tests.ingesting import rows


@pytest.fixture
async def ingest_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.INGEST, "test ingest")


@asynccontextmanager
async def client_with(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=LifespanApp(app, dict(state or {})), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://cshub.test") as http:
            yield http


async def send(client: httpx.AsyncClient, key: str, entity: str, records: list[dict[str, Any]]) -> list[Any]:
    response = await client.post(
        f"/v1/ingest/{entity}", json={"source": "app", "records": records}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    results: list[Any] = response.json()["results"]
    return results


def event(event_id: str, occurred_at: dt.datetime, user_id: str = "u1") -> dict[str, Any]:
    return {
        "account_external_id": "001",
        "event_id": event_id,
        "user_id": user_id,
        "event": "login",
        "occurred_at": occurred_at.isoformat(),
    }


async def test_events_from_the_far_future_are_rejected_and_not_counted(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", [{"external_id": "001", "name": "Acme"}])
    now = dt.datetime.now(dt.UTC)
    far = dt.datetime(2199, 12, 31, tzinfo=dt.UTC)  # 2999 is already outside the calendar
    results = await send(
        client,
        ingest_key,
        "usage-events",
        [event("e1", far), event("e2", now + dt.timedelta(minutes=30)), event("e3", now - dt.timedelta(days=1))],
    )
    assert [result["status"] for result in results] == ["rejected", "created", "created"]
    [error] = results[0]["errors"]
    assert error["path"] == "occurred_at"
    assert "60 minutes ahead of the server clock" in error["message"]
    assert await rows(engine, "SELECT count(*) FROM usage_events WHERE occurred_at > '2100-01-01'") == [(0,)]
    assert await rows(engine, "SELECT max(last_seen_at) < '2100-01-01' FROM user_last_seen") == [(True,)]


async def test_the_future_skew_is_a_setting(settings: Settings, engine: AsyncEngine, ingest_key: str) -> None:
    async with client_with(settings, ingest_max_future_skew_minutes=5) as client:
        await send(client, ingest_key, "accounts", [{"external_id": "001", "name": "Acme"}])
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
        [result] = await send(client, ingest_key, "usage-events", [event("e1", soon)])
    assert result["status"] == "rejected"
    assert "5 minutes ahead" in result["errors"][0]["message"]


async def test_user_ids_are_trimmed_and_case_kept_by_default(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", [{"external_id": "001", "name": "Acme"}])
    day = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    records = [event("e1", day, "u1"), event("e2", day, " u1 "), event("e3", day, "U1")]
    assert [r["status"] for r in await send(client, ingest_key, "usage-events", records)] == ["created"] * 3
    assert await rows(engine, "SELECT user_ref FROM user_last_seen ORDER BY 1") == [("U1",), ("u1",)]
    assert await rows(engine, "SELECT active_users FROM usage_daily") == [(2,)]


async def test_user_ids_fold_case_when_the_setting_says_so(
    settings: Settings, engine: AsyncEngine, ingest_key: str
) -> None:
    day = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    async with client_with(settings, usage_user_ids_case_insensitive=True) as client:
        await send(client, ingest_key, "accounts", [{"external_id": "001", "name": "Acme"}])
        records = [event("e1", day, "u1"), event("e2", day, " U1"), event("e3", day, "U1 ")]
        assert [r["status"] for r in await send(client, ingest_key, "usage-events", records)] == ["created"] * 3
        replay = await send(client, ingest_key, "usage-events", [event("e3", day, "u1")])
        assert replay[0]["status"] == "unchanged"
    assert await rows(engine, "SELECT user_ref FROM user_last_seen") == [("u1",)]
    assert await rows(engine, "SELECT events, active_users FROM usage_daily") == [(3, 1)]
