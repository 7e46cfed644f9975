"""Segment's own Python SDK (segment-analytics-python) pointed at a real ``cshub serve`` — its ``host`` option and
a cshub ingest key as the write key — then the customer 360 read back over GraphQL."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from segment.analytics.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from tests.conftest import make_key
from tests.ingesting import rows
from tests.segment_calls import ACCOUNT_360, basic, batch, group, track
from tests.serve_process import RunningServer, cshub_env, serving


@dataclass
class Hub:
    server: RunningServer
    write_key: str
    admin_key: str

    def client(self, write_key: str | None = None, **options: Any) -> tuple[Client, list[Any]]:
        """The SDK, sending to this hub; the errors it reports (``on_error``) are collected in the list."""
        errors: list[Any] = []
        sdk = Client(
            write_key or self.write_key,
            host=f"{self.server.base_url}/segment",
            on_error=lambda error, _batch: errors.append(error),
            max_retries=0,
            upload_interval=0.05,
            **options,
        )
        return sdk, errors

    def account(self, group_id: str) -> Any:
        response = httpx.post(
            f"{self.server.base_url}/graphql",
            json={"query": ACCOUNT_360, "variables": {"groupId": group_id}},
            headers={"Authorization": f"Bearer {self.admin_key}"},
            timeout=10,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["accountBySource"]


@pytest_asyncio.fixture
async def keys(engine: AsyncEngine) -> tuple[str, str]:
    return await make_key(engine, Role.INGEST, "segment"), await make_key(engine, Role.ADMIN, "reader")


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One ``cshub serve`` for the module's tests: each brings its own keys to an emptied database."""
    workdir = tmp_path_factory.mktemp("segment-sdk")
    env = cshub_env(
        CSHUB_DATABASE_URL=database_url,
        CSHUB_DATA_DIR=str(workdir / "data"),
        CSHUB_HEALTH_RECOMPUTE_INTERVAL_SECONDS="0",
        CSHUB_HEALTH_RECOMPUTE_AFTER_INGEST_SECONDS="0",
    )
    with serving(env=env, workdir=workdir) as running:
        yield running


@pytest.fixture
def hub(server: RunningServer, keys: tuple[str, str]) -> Hub:
    return Hub(server, *keys)


def _send_the_story(sdk: Client, run: str) -> None:
    sdk.identify("u1", {"email": "ada@acme.example", "name": "Ada Lovelace", "title": "CTO"}, message_id=f"{run}-1")
    sdk.group(
        "u1", "g1", {"name": "Acme", "website": "https://acme.example", "industry": "Software"}, message_id=f"{run}-2"
    )
    sdk.track("u1", "Report Exported", {"format": "csv"}, message_id=f"{run}-3")
    sdk.track("u2", "Report Exported", context={"groupId": "g1"}, message_id=f"{run}-4")
    sdk.page("u1", name="Home", message_id=f"{run}-5")
    sdk.flush()


@pytest.mark.parametrize("gzip", [False, True])
def test_the_sdk_lands_traits_and_events_and_a_replay_writes_nothing(hub: Hub, gzip: bool) -> None:
    sdk, errors = hub.client(gzip=gzip)
    try:
        _send_the_story(sdk, "run")
        assert errors == []
        account = hub.account("g1")
        assert account["name"] == "Acme"
        assert account["domain"] == "acme.example"
        assert account["industry"] == "Software"
        assert account["contacts"] == [{"name": "Ada Lovelace", "email": "ada@acme.example", "title": "CTO"}]
        assert account["activeUsers"] == 2
        adoption = sorted((f["feature"], f["events"], f["users"]) for f in account["featureAdoption"])
        assert adoption == [("Report Exported", 2, 2), ("Viewed Home Page", 1, 1)]
        _send_the_story(sdk, "run")  # the same messageIds again: a retried delivery
        assert errors == []
        assert hub.account("g1") == account
    finally:
        sdk.shutdown()


async def test_a_wrong_write_key_is_refused_and_writes_nothing(hub: Hub, engine: AsyncEngine) -> None:
    sdk, errors = hub.client(write_key="not-a-cshub-key")
    try:
        sdk.group("u1", "g1", {"name": "Acme"})
        sdk.track("u1", "Login", context={"groupId": "g1"})
        sdk.flush()
    finally:
        sdk.shutdown()
    assert [error.status for error in errors] == [401]
    assert await rows(engine, "SELECT count(*) FROM accounts") == [(0,)]
    assert await rows(engine, "SELECT count(*) FROM usage_events") == [(0,)]


async def test_over_real_http_sizes_and_a_malformed_call_are_answered_as_documented(
    hub: Hub, engine: AsyncEngine
) -> None:
    url = f"{hub.server.base_url}/segment/v1"
    headers = basic(hub.write_key)
    async with httpx.AsyncClient(timeout=30) as http:
        too_big = batch(*[track("u1", "Login", "g1", properties={"pad": "x" * 30_000}) for _ in range(18)])
        assert (await http.post(f"{url}/batch", json=too_big, headers=headers)).status_code == 413
        one_big = track("u1", "Login", "g1", properties={"pad": "x" * 33_000})
        assert (await http.post(f"{url}/track", json=one_big, headers=headers)).status_code == 413
        assert await rows(engine, "SELECT count(*) FROM usage_events") == [(0,)]
        malformed = {"type": "track", "userId": "u1", "event": ["not", "a", "name"], "context": {"groupId": "g1"}}
        good = track("u1", "Login", "g1", message_id=str(uuid.uuid4()))
        answer = await http.post(f"{url}/batch", json=batch(group("g1", name="Acme"), malformed, good), headers=headers)
        assert answer.status_code == 200
        assert answer.json() == {
            "success": True,
            "rejected": [
                {
                    "index": 1,
                    "messageId": None,
                    "errors": [{"path": "event", "message": "required: the name of the action the user took"}],
                }
            ],
        }
    assert hub.account("g1")["featureAdoption"] == [{"feature": "Login", "events": 1, "users": 1}]
