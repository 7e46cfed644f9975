from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from service.app import create_app
from service.settings import Settings
from tests.conftest import LifespanApp
from tests.databases import scratch_database


async def test_healthz_needs_no_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_schema_revision(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["schema_revision"]


async def _get(settings: Settings, path: str) -> httpx.Response:
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=LifespanApp(app, dict(state or {})))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await http.get(path)


async def test_readyz_is_503_when_schema_is_not_migrated(server_url: str, tmp_path: Path) -> None:
    async with scratch_database(server_url, migrated=False) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, migrate_on_start=False)
        response = await _get(settings, "/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "SCHEMA_NOT_READY"
    assert "cshub migrate" in response.json()["detail"]


async def test_start_up_migrates_an_empty_database(server_url: str, tmp_path: Path) -> None:
    async with scratch_database(server_url, migrated=False) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, migrate_on_start=True)
        response = await _get(settings, "/readyz")
    assert response.status_code == 200


async def test_readyz_is_503_when_the_database_goes_away(server_url: str, tmp_path: Path) -> None:
    async with scratch_database(server_url) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, migrate_on_start=False)
        app = create_app(settings)
        async with app.router.lifespan_context(app) as state:
            transport = httpx.ASGITransport(app=LifespanApp(app, dict(state or {})))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                assert (await http.get("/readyz")).status_code == 200
                admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
                database = sa.engine.make_url(url).database
                async with admin.connect() as conn:
                    await conn.execute(sa.text(f'DROP DATABASE "{database}" WITH (FORCE)'))
                await admin.dispose()
                response = await http.get("/readyz")
                assert (await http.get("/healthz")).status_code == 200
    assert response.status_code == 503
    assert response.json()["code"] == "DATABASE_UNAVAILABLE"


async def test_unknown_route_is_a_problem_document(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await client.get("/nope", headers={"Authorization": f"Bearer {admin_key}"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "NOT_FOUND"


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    response = await client.post("/healthz")
    assert response.status_code == 405
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
    assert response.headers["Allow"] == "GET, HEAD"  # always in this order (the router's list is a set)


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    kept = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["X-Request-ID"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["X-Request-ID"] != "bad id with spaces"
    assert len(made.headers["X-Request-ID"]) == 32


async def test_production_serves_no_graphiql(database_url: str, engine: object, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, migrate_on_start=False, environment="production")
    response = await _get(settings, "/graphql")
    assert response.status_code == 401  # the IDE page is not public outside development
