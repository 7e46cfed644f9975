"""Per-key rate limits: token buckets in PostgreSQL, shared by every process, announced in RateLimit headers."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.app import create_app
from service.rate_limits.addresses import AddressBuckets
from service.rate_limits.buckets import take_token
from service.rate_limits.policy import Decision, RateLimit
from service.rate_limits.tables import rate_limit_buckets
from service.settings import Settings
from tests.app_client import app_client
from tests.conftest import LifespanApp, make_key
from tests.serve_process import cshub_env, new_key, serving
from tests.statements import counting_statements

QUERY = {"query": "{ __typename }"}
ONE_PER_SECOND = RateLimit(per_minute=60, burst=3)


async def _key_id(engine: AsyncEngine) -> uuid.UUID:
    await make_key(engine, Role.ADMIN, "bucket owner")
    async with engine.connect() as conn:
        key_id: uuid.UUID = (
            await conn.execute(sa.text("SELECT id FROM api_keys WHERE name = 'bucket owner'"))
        ).scalar_one()
    return key_id


async def _take(engine: AsyncEngine, key_id: uuid.UUID, limit: RateLimit = ONE_PER_SECOND) -> Decision:
    async with engine.begin() as conn:
        return await take_token(conn, key_id, "graphql", limit)


async def _rewind(engine: AsyncEngine, seconds: float) -> None:
    """As if ``seconds`` had passed since every bucket last changed (no sleeping in tests)."""
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(rate_limit_buckets).values(
                refilled_at=rate_limit_buckets.c.refilled_at - sa.func.make_interval(0, 0, 0, 0, 0, 0, seconds)
            )
        )


async def test_a_full_bucket_allows_the_burst_then_refuses_until_a_token_is_back(engine: AsyncEngine) -> None:
    key_id = await _key_id(engine)
    taken = [await _take(engine, key_id) for _ in range(4)]
    assert [d.allowed for d in taken] == [True, True, True, False]
    assert [d.remaining for d in taken] == [2, 1, 0, 0]
    assert {d.limit for d in taken} == {3}
    assert taken[3].retry_after_seconds == 1  # one token per second
    assert taken[3].reset_seconds == 3  # three seconds until full again

    await _rewind(engine, 1.1)
    assert (await _take(engine, key_id)).allowed
    assert not (await _take(engine, key_id)).allowed


async def test_refused_requests_do_not_push_the_refill_further_away(engine: AsyncEngine) -> None:
    key_id = await _key_id(engine)
    for _ in range(3):
        await _take(engine, key_id)
    for _ in range(20):
        assert not (await _take(engine, key_id)).allowed
    await _rewind(engine, 1.05)
    assert (await _take(engine, key_id)).allowed


async def test_the_bucket_never_holds_more_than_the_burst(engine: AsyncEngine) -> None:
    key_id = await _key_id(engine)
    await _take(engine, key_id)
    await _rewind(engine, 3600)
    assert [(await _take(engine, key_id)).allowed for _ in range(4)] == [True, True, True, False]


async def test_concurrent_requests_never_take_more_than_the_bucket_holds(engine: AsyncEngine) -> None:
    key_id = await _key_id(engine)
    limit = RateLimit(per_minute=0.001, burst=10)  # no refill worth mentioning during the test
    decisions = await asyncio.gather(*(_take(engine, key_id, limit) for _ in range(30)))
    assert sum(d.allowed for d in decisions) == 10


def _rate_limit_headers(response: httpx.Response) -> tuple[str, str, str]:
    return (
        response.headers["RateLimit-Limit"],
        response.headers["RateLimit-Remaining"],
        response.headers["RateLimit-Reset"],
    )


async def test_graphql_over_the_limit_is_429_in_graphql_shape_with_headers(
    engine: AsyncEngine, settings: Settings
) -> None:
    key = await make_key(engine)
    auth = {"Authorization": f"Bearer {key}"}
    async with app_client(settings, rate_limit_graphql_per_minute=30, rate_limit_graphql_burst=2) as (http, _):
        first = await http.post("/graphql", json=QUERY, headers=auth)
        second = await http.post("/graphql", json=QUERY, headers=auth)
        refused = await http.post(
            "/graphql", json=QUERY, headers={**auth, "Accept": "application/graphql-response+json"}
        )
    assert (first.status_code, second.status_code) == (200, 200)
    assert _rate_limit_headers(first) == ("2", "1", "2")  # full again 2 s after one token went (30 a minute)
    assert _rate_limit_headers(second)[:2] == ("2", "0")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/graphql-response+json")
    assert refused.headers["Retry-After"] == "2"
    assert _rate_limit_headers(refused)[:2] == ("2", "0")
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "retry in 2 s" in error["message"]
    assert "data" not in refused.json()


async def test_ingest_over_the_limit_is_a_429_problem_and_scopes_and_keys_are_separate(
    engine: AsyncEngine, settings: Settings
) -> None:
    key, other = await make_key(engine, Role.ADMIN, "one"), await make_key(engine, Role.ADMIN, "other")
    batch = {"source": "crm", "records": []}

    def post(secret: str) -> Any:
        return http.post("/v1/ingest/accounts", json=batch, headers={"Authorization": f"Bearer {secret}"})

    async with app_client(settings, rate_limit_ingest_per_minute=6, rate_limit_ingest_burst=1) as (http, _):
        assert (await post(key)).status_code == 200
        refused = await post(key)
        assert (await post(other)).status_code == 200  # every key has its own bucket
        graphql = await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "RATE_LIMITED"
    assert refused.headers["Retry-After"] == "10"
    assert graphql.status_code == 200  # the graphql scope has its own bucket
    assert graphql.headers["RateLimit-Limit"] == "300"  # the default burst


async def test_a_zero_rate_turns_the_limit_off(engine: AsyncEngine, settings: Settings) -> None:
    key = await make_key(engine)
    async with app_client(settings, rate_limit_graphql_per_minute=0, rate_limit_graphql_burst=1) as (http, _):
        responses = [
            await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {key}"}) for _ in range(3)
        ]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "RateLimit-Limit" not in responses[0].headers
    async with engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(rate_limit_buckets))).scalar_one() == 0


async def test_unauthenticated_and_public_requests_spend_no_tokens(engine: AsyncEngine, settings: Settings) -> None:
    async with app_client(settings, rate_limit_graphql_burst=1) as (http, _):
        assert (await http.post("/graphql", json=QUERY)).status_code == 401
        assert "RateLimit-Limit" not in (await http.get("/healthz")).headers
    async with engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(rate_limit_buckets))).scalar_one() == 0


# --- requests without a valid key: per client address, in process --------------------------------------


@asynccontextmanager
async def from_addresses(
    settings: Settings, *addresses: str, **overrides: Any
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One app, and a client for it from each of ``addresses``."""
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app) as state:
        lifespan = LifespanApp(app, dict(state or {}))
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=lifespan, client=(address, 4711)), base_url="http://t")
            for address in addresses
        ]
        try:
            yield clients
        finally:
            for client in clients:
                await client.aclose()


def _codes(responses: list[httpx.Response]) -> list[int]:
    return [response.status_code for response in responses]


async def test_requests_without_a_valid_key_are_limited_per_address_before_any_lookup(
    engine: AsyncEngine, settings: Settings
) -> None:
    valid = await make_key(engine)
    limits = {"rate_limit_unauthenticated_per_minute": 6, "rate_limit_unauthenticated_burst": 3}
    async with from_addresses(settings, "192.0.2.1", "192.0.2.2", **limits) as (guesser, neighbour):
        assert (await guesser.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {valid}"})).is_success
        spent = [
            await guesser.post("/graphql", json=QUERY),  # no key
            await guesser.post("/v1/ingest/accounts", json={}, headers={"Authorization": "Basic x"}),  # malformed
            await guesser.post("/graphql", json=QUERY, headers={"Authorization": "Bearer cshub_guess-1"}),  # unknown
        ]
        with counting_statements() as statements:
            refused = await guesser.post("/graphql", json=QUERY, headers={"Authorization": "Bearer cshub_guess-2"})
        still_valid = await guesser.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {valid}"})
        elsewhere = await neighbour.post("/graphql", json=QUERY)
        public = await guesser.get("/healthz")
    assert _codes(spent) == [401, 401, 401]
    assert refused.status_code == 429
    assert statements == []  # refused before the key was looked up
    assert refused.headers["Retry-After"] == "10"  # 6 a minute: one token every 10 s
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "without a valid API key from this address" in error["message"]
    assert still_valid.status_code == 200  # a valid key (cached since its first request) is not held back
    assert elsewhere.status_code == 401  # another address has its own bucket
    assert public.status_code == 200


async def test_a_rest_refusal_without_a_key_over_the_limit_is_a_429_problem(settings: Settings) -> None:
    limits = {"rate_limit_unauthenticated_per_minute": 60, "rate_limit_unauthenticated_burst": 1}
    async with from_addresses(settings, "192.0.2.9", **limits) as (http,):
        responses = [await http.post("/v1/ingest/accounts", json={}) for _ in range(2)]
    assert _codes(responses) == [401, 429]
    assert responses[1].headers["content-type"] == "application/problem+json"
    assert responses[1].json()["code"] == "RATE_LIMITED"
    assert responses[1].headers["Retry-After"] == "1"


async def test_a_zero_unauthenticated_rate_turns_the_address_limit_off(settings: Settings) -> None:
    limits = {"rate_limit_unauthenticated_per_minute": 0, "rate_limit_unauthenticated_burst": 1}
    async with from_addresses(settings, "192.0.2.3", **limits) as (http,):
        responses = [await http.post("/graphql", json=QUERY) for _ in range(5)]
    assert _codes(responses) == [401] * 5


def test_address_buckets_refill_and_forget_the_least_recently_seen() -> None:
    now = [0.0]
    buckets = AddressBuckets(RateLimit(per_minute=60, burst=2), capacity=2, clock=lambda: now[0])
    assert [buckets.take("a").allowed for _ in range(3)] == [True, True, False]
    assert not buckets.peek("a").allowed
    now[0] = 1.0
    assert buckets.peek("a").allowed  # one token back after a second
    assert buckets.take("a").allowed
    buckets.take("b")
    buckets.take("c")  # over capacity: "a", the least recently seen, is forgotten
    assert buckets.peek("a").remaining == 2


def test_two_server_processes_share_buckets_and_idempotency_keys(
    database_url: str, engine: object, tmp_path: Path
) -> None:
    """Replicas behave as one: the burst is spent once across both, and a retried ingest is replayed by the other."""
    env = cshub_env(
        CSHUB_DATABASE_URL=database_url,
        CSHUB_DATA_DIR=str(tmp_path / "data"),
        CSHUB_RATE_LIMIT_GRAPHQL_PER_MINUTE="1",  # a token a minute: no refill during the test
        CSHUB_RATE_LIMIT_GRAPHQL_BURST="5",
    )
    auth = {"Authorization": f"Bearer {new_key(database_url, Role.ADMIN)}"}
    with serving(env=env, workdir=tmp_path) as first, serving(env=env, workdir=tmp_path) as second:
        replicas = [first.base_url, second.base_url]
        statuses = [
            httpx.post(f"{replicas[i % 2]}/graphql", json=QUERY, headers=auth, timeout=10).status_code for i in range(8)
        ]
        batch = {"source": "crm", "records": [{"external_id": "acme", "name": "Acme"}]}
        retry = {**auth, "Idempotency-Key": "batch-1"}
        answers = [httpx.post(f"{url}/v1/ingest/accounts", json=batch, headers=retry, timeout=10) for url in replicas]
    assert statuses == [200] * 5 + [429] * 3
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["totals"]["created"] == 1
    assert "Idempotent-Replayed" not in answers[0].headers
    assert answers[1].headers["Idempotent-Replayed"] == "true"
