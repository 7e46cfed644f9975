import asyncio
import logging
import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys import service as api_keys
from service.api_keys.cache import KeyCache
from service.api_keys.roles import Role
from service.cli import main
from service.errors import InvalidInput, NotFound
from service.settings import Settings
from tests.app_client import app_client
from tests.conftest import make_key
from tests.statements import counting_statements

QUERY = {"query": "{ accounts(first: 1) { edges { node { name } } } }"}


async def test_graphql_without_key_is_401_in_graphql_shape(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=QUERY)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Authorization: Bearer" in error["message"]


async def test_401_honours_the_graphql_response_media_type(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=QUERY, headers={"Accept": "application/graphql-response+json"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/graphql-response+json")


async def test_rest_route_without_key_is_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/anything")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "cshub_abc"])
async def test_malformed_authorization_is_401(client: httpx.AsyncClient, header: str) -> None:
    response = await client.post("/graphql", json=QUERY, headers={"Authorization": header})
    assert response.status_code == 401


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=QUERY, headers={"Authorization": "Bearer cshub_not-a-key"})
    assert response.status_code == 401
    assert "not valid or has been revoked" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("role", list(Role))
async def test_a_key_of_any_role_authenticates(client: httpx.AsyncClient, engine: AsyncEngine, role: Role) -> None:
    secret = await make_key(engine, role)
    # ingest keys read nothing of the customer 360, only their own unmatched records (service.authorization)
    query = {"query": "{ unmatchedRecords { edges { cursor } } }"} if role is Role.INGEST else QUERY
    response = await client.post("/graphql", json=query, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert "errors" not in response.json()


async def test_revoked_key_stops_working(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        created = await api_keys.create_key(conn, role=Role.CSM, name="to revoke")
    headers = {"Authorization": f"Bearer {created.secret}"}
    assert (await client.post("/graphql", json=QUERY, headers=headers)).status_code == 200
    async with engine.begin() as conn:
        await api_keys.revoke_key(conn, str(created.key.id))
    assert (await client.post("/graphql", json=QUERY, headers=headers)).status_code == 401


async def test_keys_are_stored_only_as_hashes(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        created = await api_keys.create_key(conn, role=Role.BI, name="hash check")
        rows = await conn.exec_driver_sql("SELECT row_to_json(api_keys)::text FROM api_keys")
        stored = " ".join(row[0] for row in rows)
    assert created.secret not in stored
    assert created.secret[len(created.key.key_prefix) :] not in stored


async def test_revoking_an_unknown_or_malformed_id_is_a_clear_error(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        with pytest.raises(NotFound):
            await api_keys.revoke_key(conn, "00000000-0000-0000-0000-000000000000")
        with pytest.raises(InvalidInput):
            await api_keys.revoke_key(conn, "not-a-uuid")


async def test_graphiql_page_loads_without_key_in_development(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    query = await client.get("/graphql", params={"query": "{ __typename }"}, headers={"Accept": "text/html"})
    assert query.status_code == 401


async def test_keys_never_reach_the_logs(
    client: httpx.AsyncClient, admin_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {admin_key}"})
    await client.get("/graphql", params={"query": "{ __typename }", "k": admin_key})
    request_logs = [r for r in caplog.records if r.name == "cshub.request"]
    assert len(request_logs) == 2
    assert all(getattr(r, "key_id", None) or r.status == 401 for r in request_logs)  # type: ignore[attr-defined]
    service_records = [r for r in caplog.records if not r.name.startswith("httpx")]  # the test client's own log
    assert all(admin_key not in r.getMessage() and admin_key not in str(vars(r)) for r in service_records)


# --- the cache of valid keys ---------------------------------------------------------------------------------


def _key_lookups(statements: list[str]) -> list[str]:
    return [statement for statement in statements if "FROM api_keys" in statement]


async def test_a_valid_key_is_looked_up_once_per_cache_time(engine: AsyncEngine, settings: Settings) -> None:
    key = await make_key(engine, Role.CSM)
    headers = {"Authorization": f"Bearer {key}"}
    async with app_client(settings, api_key_cache_seconds=10) as (http, _):
        with counting_statements() as statements:
            answers = [await http.post("/graphql", json=QUERY, headers=headers) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert len(_key_lookups(statements)) == 1
    async with app_client(settings, api_key_cache_seconds=0) as (http, _):
        with counting_statements() as statements:
            answers = [await http.post("/graphql", json=QUERY, headers=headers) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert len(_key_lookups(statements)) == 2  # 0: every request looks its key up


async def test_revoking_on_the_command_line_in_this_process_takes_effect_at_once(
    engine: AsyncEngine, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.begin() as conn:
        created = await api_keys.create_key(conn, role=Role.CSM, name="to revoke")
    headers = {"Authorization": f"Bearer {created.secret}"}
    monkeypatch.setenv("CSHUB_DATABASE_URL", database_url)
    async with app_client(settings, api_key_cache_seconds=3600) as (http, _):
        assert (await http.post("/graphql", json=QUERY, headers=headers)).status_code == 200  # cached now
        assert await asyncio.to_thread(main, ["keys", "revoke", str(created.key.id)]) == 0
        assert (await http.post("/graphql", json=QUERY, headers=headers)).status_code == 401


async def test_a_revocation_by_another_process_is_honoured_within_the_cache_time(
    engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as conn:
        created = await api_keys.create_key(conn, role=Role.CSM, name="revoked elsewhere")
    headers = {"Authorization": f"Bearer {created.secret}"}
    async with app_client(settings, api_key_cache_seconds=0.5) as (http, _):
        assert (await http.post("/graphql", json=QUERY, headers=headers)).status_code == 200
        async with engine.begin() as conn:  # as another worker or host would: straight in the database
            await conn.execute(sa.text("UPDATE api_keys SET revoked_at = now() WHERE id = :id"), {"id": created.key.id})
        within = (await http.post("/graphql", json=QUERY, headers=headers)).status_code
        await asyncio.sleep(0.6)
        after = (await http.post("/graphql", json=QUERY, headers=headers)).status_code
    assert (within, after) == (200, 401)


def test_the_key_cache_expires_entries_and_stays_bounded() -> None:
    now = [0.0]
    cache: KeyCache[str] = KeyCache(capacity=2, clock=lambda: now[0])
    ids = [uuid.uuid4() for _ in range(3)]
    cache.put("h0", ids[0], "p0", seconds=10)
    cache.put("h1", ids[1], "p1", seconds=10)
    cache.put("h2", ids[2], "p2", seconds=10)  # over capacity: the oldest entry goes
    assert (cache.get("h0"), cache.get("h1"), cache.get("h2"), len(cache)) == (None, "p1", "p2", 2)
    cache.forget(ids[1])
    assert cache.get("h1") is None
    now[0] = 10.0
    assert cache.get("h2") is None  # expired
    cache.put("h3", ids[0], "p3", seconds=0)  # 0: not cached at all
    assert len(cache) == 0
