"""``POST /v1/ingest/{entity}`` over HTTP: every bad-input class, roles, idempotency, atomicity."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from service.app import create_app
from service.errors import InvalidInput
from service.settings import Settings
from tests.conftest import LifespanApp, make_key
from tests.ingesting import rows

ACCOUNTS = [
    {"external_id": "001", "name": "Acme", "domain": "acme.example"},
    {"external_id": "002", "name": "Beta", "domain": "beta.example"},
]


def auth(key: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **headers}


async def post(client: httpx.AsyncClient, key: str, entity: str, body: Any, **headers: str) -> httpx.Response:
    return await client.post(f"/v1/ingest/{entity}", json=body, headers=auth(key, **headers))


def assert_problem(response: httpx.Response, status: int, code: str, *phrases: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    for phrase in phrases:
        assert phrase in problem["detail"]


@pytest.fixture
async def ingest_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.INGEST, "test ingest")


async def test_a_batch_answers_one_result_per_record_in_order_with_totals(
    client: httpx.AsyncClient, ingest_key: str
) -> None:
    body = {"source": "crm", "records": [ACCOUNTS[0], {"external_id": "bad"}, ACCOUNTS[1]]}
    response = await post(client, ingest_key, "accounts", body)
    assert response.status_code == 200
    answer = response.json()
    assert [r["index"] for r in answer["results"]] == [0, 1, 2]
    assert [r["status"] for r in answer["results"]] == ["created", "rejected", "created"]
    assert answer["results"][1]["errors"] == [{"path": "name", "message": "required"}]
    assert answer["totals"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "stale": 0,
        "unmatched": 0,
        "rejected": 1,
    }
    replay = (await post(client, ingest_key, "accounts", body)).json()
    assert replay["totals"]["unchanged"] == 2


@pytest.mark.parametrize("role", [Role.CSM, Role.SALES, Role.BI])
async def test_only_ingest_and_admin_keys_may_ingest(
    client: httpx.AsyncClient, engine: AsyncEngine, role: Role
) -> None:
    key = await make_key(engine, role, f"test {role}")
    response = await post(client, key, "accounts", {"source": "crm", "records": ACCOUNTS})
    assert_problem(response, 403, "FORBIDDEN", "needs one of: admin, ingest")
    assert await rows(engine, "SELECT count(*) FROM accounts") == [(0,)]


async def test_admin_may_ingest(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await post(client, admin_key, "accounts", {"source": "crm", "records": ACCOUNTS})
    assert response.json()["totals"]["created"] == 2


async def test_without_a_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/ingest/accounts", json={"source": "crm", "records": []})
    assert_problem(response, 401, "UNAUTHENTICATED")


async def test_malformed_json_is_400(client: httpx.AsyncClient, ingest_key: str) -> None:
    response = await client.post(
        "/v1/ingest/accounts",
        content=b'{"source": "crm", "records": [',
        headers=auth(ingest_key, **{"Content-Type": "application/json"}),
    )
    assert_problem(response, 400, "BAD_REQUEST", "not valid JSON", "line 1")


@pytest.mark.parametrize(
    "content",
    [b'{"source": "crm", "records": [{"external_id": "1", "name": "A\\u0000"}]}', b'{"source": NaN, "records": []}'],
)
async def test_json_that_cannot_be_stored_is_400(client: httpx.AsyncClient, ingest_key: str, content: bytes) -> None:
    response = await client.post(
        "/v1/ingest/accounts", content=content, headers=auth(ingest_key, **{"Content-Type": "application/json"})
    )
    assert_problem(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize("content_type", ["text/csv", "application/x-www-form-urlencoded", None])
async def test_wrong_content_type_is_415(client: httpx.AsyncClient, ingest_key: str, content_type: str | None) -> None:
    headers = auth(ingest_key) | ({"Content-Type": content_type} if content_type else {})
    response = await client.post(
        "/v1/ingest/accounts", content=json.dumps({"source": "crm", "records": []}), headers=headers
    )
    assert_problem(response, 415, "UNSUPPORTED_MEDIA_TYPE", "application/json")


async def test_unknown_entity_is_404(client: httpx.AsyncClient, ingest_key: str) -> None:
    response = await post(client, ingest_key, "invoices", {"source": "crm", "records": []})
    assert_problem(response, 404, "NOT_FOUND", "invoices", "usage-events")


async def test_get_on_ingest_is_405(client: httpx.AsyncClient, ingest_key: str) -> None:
    response = await client.get("/v1/ingest/accounts", headers=auth(ingest_key))
    assert_problem(response, 405, "METHOD_NOT_ALLOWED")


async def test_too_many_records_is_413(client: httpx.AsyncClient, ingest_key: str) -> None:
    records = [{"external_id": str(i), "name": f"A{i}"} for i in range(1001)]
    response = await post(client, ingest_key, "accounts", {"source": "crm", "records": records})
    assert_problem(response, 413, "PAYLOAD_TOO_LARGE", "1001 records", "1000")


async def test_a_body_over_the_limit_is_413_even_without_content_length(
    client: httpx.AsyncClient, ingest_key: str
) -> None:
    big = json.dumps({"source": "crm", "records": [{"external_id": "1", "name": "x" * (6 * 1024 * 1024)}]}).encode()

    async def chunks() -> Any:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    response = await client.post(
        "/v1/ingest/accounts", content=chunks(), headers=auth(ingest_key, **{"Content-Type": "application/json"})
    )
    assert_problem(response, 413, "PAYLOAD_TOO_LARGE", "5242880 bytes")


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        ([], "JSON object"),
        ({"records": []}, "'source'"),
        ({"source": "", "records": []}, "'source'"),
        ({"source": "crm"}, "'records'"),
        ({"source": "crm", "records": {"a": 1}}, "'records'"),
        ({"source": "crm", "records": [], "extra": 1}, "extra"),
    ],
)
async def test_a_body_of_the_wrong_shape_is_422(
    client: httpx.AsyncClient, ingest_key: str, body: Any, phrase: str
) -> None:
    response = await post(client, ingest_key, "accounts", body)
    assert_problem(response, 422, "BAD_USER_INPUT", phrase)


async def test_idempotency_key_returns_the_first_response(
    client: httpx.AsyncClient, ingest_key: str, engine: AsyncEngine
) -> None:
    body = {"source": "crm", "records": ACCOUNTS}
    first = await post(client, ingest_key, "accounts", body, **{"Idempotency-Key": "batch-1"})
    again = await post(client, ingest_key, "accounts", body, **{"Idempotency-Key": "batch-1"})
    assert first.json()["totals"]["created"] == 2
    assert again.json() == first.json()  # "created", not "unchanged": the same answer
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await post(
        client, ingest_key, "accounts", {"source": "crm", "records": ACCOUNTS[:1]}, **{"Idempotency-Key": "batch-1"}
    )
    assert_problem(other, 422, "BAD_USER_INPUT", "already used for a different request")
    other_entity = await post(client, ingest_key, "contacts", body, **{"Idempotency-Key": "batch-1"})
    assert other_entity.status_code == 422


async def test_idempotency_keys_expire_and_expired_ones_are_pruned(
    client: httpx.AsyncClient, ingest_key: str, engine: AsyncEngine
) -> None:
    body = {"source": "crm", "records": ACCOUNTS}
    first = await post(client, ingest_key, "accounts", body, **{"Idempotency-Key": "old"})
    await post(client, ingest_key, "accounts", body, **{"Idempotency-Key": "other-old"})
    assert first.json()["totals"]["created"] == 2
    async with engine.begin() as conn:  # both keys are now older than the TTL (72 hours by default)
        await conn.execute(sa.text("UPDATE ingest_requests SET created_at = now() - interval '73 hours'"))
    again = await post(client, ingest_key, "accounts", body, **{"Idempotency-Key": "old"})
    assert "Idempotent-Replayed" not in again.headers  # expired: a new request, run again
    assert again.json()["totals"]["unchanged"] == 2
    # The claim pruned every expired key (the other one too); only the fresh claim of "old" is left.
    assert await rows(engine, "SELECT idempotency_key FROM ingest_requests") == [("old",)]
    replay = await post(client, ingest_key, "accounts", body, **{"Idempotency-Key": "old"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == again.json()


async def test_concurrent_retries_with_one_idempotency_key_write_once(
    client: httpx.AsyncClient, ingest_key: str, engine: AsyncEngine
) -> None:
    body = {"source": "crm", "records": ACCOUNTS}
    answers = await asyncio.gather(
        *(post(client, ingest_key, "accounts", body, **{"Idempotency-Key": "same"}) for _ in range(4))
    )
    assert {json.dumps(a.json(), sort_keys=True) for a in answers} == {json.dumps(answers[0].json(), sort_keys=True)}
    assert await rows(engine, "SELECT count(*) FROM accounts") == [(2,)]


@asynccontextmanager
async def lock_timeout(engine: AsyncEngine, wait: str) -> AsyncIterator[None]:
    """Connections opened meanwhile give up waiting for a lock after ``wait``."""
    async with engine.connect() as conn:
        name = (await conn.execute(sa.text("SELECT current_database()"))).scalar_one()
        await conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET lock_timeout = '{wait}'"))
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(sa.text(f'ALTER DATABASE "{name}" RESET lock_timeout'))
            await conn.commit()
            await conn.close()
            await engine.dispose()  # pooled connections opened meanwhile would keep the short timeout


@asynccontextmanager
async def table_locked(engine: AsyncEngine, table: str) -> AsyncIterator[None]:
    async with engine.connect() as blocker:
        await blocker.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        yield
        await blocker.rollback()


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=LifespanApp(app, dict(state or {})), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://cshub.test") as http:
            yield http


async def test_a_database_failure_fails_the_whole_batch_with_503_and_writes_nothing(
    settings: Settings, ingest_key: str, engine: AsyncEngine
) -> None:
    waiting = {"external_id": "p1", "account_external_id": "009", "email": "ann@nine.example"}
    accounts = [{"external_id": "009", "name": "Nine"}, {"external_id": "010", "name": "Ten"}]
    async with lock_timeout(engine, "300ms"), app_client(settings) as client:
        contact = await post(client, ingest_key, "contacts", {"source": "crm", "records": [waiting]})
        assert contact.json()["totals"]["unmatched"] == 1
        # The accounts batch writes two accounts, then fails re-resolving the waiting contact.
        async with table_locked(engine, "contacts"):
            failed = await post(client, ingest_key, "accounts", {"source": "crm", "records": accounts})
        assert_problem(failed, 503, "DATABASE_UNAVAILABLE", "nothing was written")
        assert failed.headers["Retry-After"]
        assert await rows(engine, "SELECT count(*) FROM accounts") == [(0,)]
        assert await rows(engine, "SELECT count(*) FROM unmatched_records WHERE resolved_at IS NULL") == [(1,)]

        retried = await post(client, ingest_key, "accounts", {"source": "crm", "records": accounts})
        assert retried.json()["totals"]["created"] == 2
        assert await rows(engine, "SELECT email FROM contacts") == [("ann@nine.example",)]


async def test_a_busy_replica_answers_429_with_retry_after(
    settings: Settings, ingest_key: str, engine: AsyncEngine
) -> None:
    busy = settings.model_copy(update={"ingest_max_concurrent": 1})
    async with lock_timeout(engine, "3s"), app_client(busy) as client:
        async with table_locked(engine, "contacts"):
            record = {"external_id": "p1", "account_domain": "x.example", "email": "a@x.example"}
            await post(
                client,
                ingest_key,
                "accounts",
                {"source": "crm", "records": [{"external_id": "1", "name": "X", "domain": "x.example"}]},
            )
            slow = asyncio.create_task(post(client, ingest_key, "contacts", {"source": "crm", "records": [record]}))
            await asyncio.sleep(0.5)
            refused = await post(client, ingest_key, "accounts", {"source": "crm", "records": ACCOUNTS})
            assert_problem(refused, 429, "OVERLOADED")
            assert refused.headers["Retry-After"] == "1"
        assert (await slow).status_code == 200


async def test_an_ingest_key_bound_to_sources_sends_only_their_batches(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.begin() as conn:
        created = await api_keys.create_key(conn, role=Role.INGEST, name="desk", sources=["zendesk", "salesforce"])
    key = created.secret
    assert (await post(client, key, "accounts", {"source": "zendesk", "records": [ACCOUNTS[0]]})).status_code == 200
    refused = await post(client, key, "accounts", {"source": "hubspot", "records": [ACCOUNTS[1]]})
    assert_problem(refused, 403, "FORBIDDEN", "bound to the source(s) salesforce, zendesk", "'hubspot'")
    assert [row[0] for row in await rows(engine, "SELECT name FROM accounts")] == ["Acme"]  # nothing of it written
    audit = await rows(engine, "SELECT outcome, details->>'code' FROM audit_log ORDER BY occurred_at")
    assert audit == [("ok", None), ("refused", "FORBIDDEN")]
    unbound = await make_key(engine, Role.INGEST, "everything")
    assert (await post(client, unbound, "accounts", {"source": "hubspot", "records": [ACCOUNTS[1]]})).status_code == 200


async def test_only_ingest_keys_can_be_bound_to_sources(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        with pytest.raises(InvalidInput, match="only ingest keys can be bound"):
            await api_keys.create_key(conn, role=Role.CSM, name="cs", sources=["zendesk"])
        with pytest.raises(InvalidInput, match="1 to 100 characters"):
            await api_keys.create_key(conn, role=Role.INGEST, name="blank", sources=["  "])
        with pytest.raises(sa.exc.IntegrityError):  # and the table holds to it, whoever writes
            await conn.execute(sa.text("INSERT INTO api_keys (name, role, key_prefix, key_hash, sources) "
                                       "VALUES ('x', 'csm', 'p', 'h', ARRAY['zendesk'])"))  # fmt: skip
