"""Malformed inputs for every argument of every mutation, found from the schema (a new mutation is covered as is).

Each probe is a well-typed request except at one leaf (tests/fuzz_inputs.py): huge and odd strings, wrong
scalars, nulls for non-null, out-of-range numbers and dates, NaN and Infinity, deeply nested lists. The answer
is never a 5xx nor an internal error; a value that must be refused gets an error a person can act on (a GraphQL
validation error or a typed refusal with its code) and writes nothing.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import graphql
import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.all_tables import metadata
from service.api.export import schema_sdl
from service.api_keys.roles import Role
from service.app import create_app
from service.graphql.errors import INTERNAL_ERROR_MESSAGE
from service.settings import Settings
from tests.conftest import LifespanApp
from tests.fuzz_inputs import REFUSE, BadValue, Ids, Leaf, all_probes, document, probe, to_json
from tests.fuzz_target import prepare_database, rate_limits_off, real_ids

SCHEMA = graphql.build_schema(schema_sdl())
MUTATIONS = SCHEMA.mutation_type.fields if SCHEMA.mutation_type else {}

# Rows that record the attempt rather than its effect.
NOT_EFFECTS = {"audit_log", "rate_limit_buckets", "api_keys"}
EFFECT_TABLES = [table for table in metadata.sorted_tables if table.name not in NOT_EFFECTS]
# Codes of GraphQL errors a person can act on (anything else, INTERNAL_SERVER_ERROR above all, fails).
ACTIONABLE_CODES = {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "BAD_REQUEST", "PAYLOAD_TOO_LARGE"}


@dataclass
class Target:
    http: httpx.AsyncClient
    engine: AsyncEngine
    key: str
    ids: Ids
    tally: Counter[str] = field(default_factory=Counter)

    async def send(self, query: str, variables: dict[str, Any]) -> httpx.Response:
        self.tally["requests"] += 1
        return await self.http.post(
            "/graphql",
            content=to_json({"query": query, "variables": variables}),
            headers={
                "Authorization": f"Bearer {self.key}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
        )

    async def row_counts(self) -> dict[str, int]:
        counts = [sa.select(sa.func.count()).select_from(table).scalar_subquery() for table in EFFECT_TABLES]
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(*counts))).one()
        return {table.name: count for table, count in zip(EFFECT_TABLES, row, strict=True)}


SUCCESS_PLAN = """
mutation($account: ID!) {
  addGoal(input: {accountId: $account, outcome: "Faster onboarding", metric: "days", target: "10"}) {
    ... on Goal { id }
  }
  createActionItem(input: {accountId: $account, title: "Book the kickoff"}) { ... on ActionItem { id } }
  overrideHealth(input: {accountId: $account, name: "overall", score: 50, reason: "fuzz",
                         expiresAt: "2035-01-01T00:00:00+00:00"}) { __typename }
}
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def target(
    database_url: str, session_engine: AsyncEngine, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Target]:
    keys = await prepare_database(session_engine)
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("malformed") / "data",
        migrate_on_start=False,
        health_recompute_interval_seconds=0,
        health_recompute_after_ingest_seconds=0,
        **rate_limits_off(),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=LifespanApp(app, dict(state or {})), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://cshub.test", timeout=60) as http:
            running = Target(http, session_engine, keys[Role.ADMIN], Ids(await real_ids(session_engine)))
            account = running.ids.by_type["Account"]
            made = await running.send(SUCCESS_PLAN, {"account": account})
            assert "errors" not in made.json(), made.text
            running.ids = Ids(await real_ids(session_engine))
            yield running
            print(f"\nmalformed inputs: {dict(running.tally)}")


@pytest.fixture
def logged_errors(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    with caplog.at_level(logging.ERROR):
        yield caplog.records


def _problems(name: str, leaf: Leaf, bad: BadValue, response: httpx.Response) -> tuple[list[str], bool]:
    """(what is wrong with the answer, whether it refused)."""
    where = f"{name} {leaf.label} <- {bad.name}"
    if response.status_code >= 500:
        return [f"{where}: HTTP {response.status_code}: {response.text[:300]}"], True
    if response.status_code == 413:
        return [], True  # the body limit: a clear refusal before GraphQL
    body = response.json()
    errors = body.get("errors") or []
    problems = [
        f"{where}: unactionable error {error}"
        for error in errors
        if error.get("extensions", {}).get("code") not in ACTIONABLE_CODES or error["message"] == INTERNAL_ERROR_MESSAGE
    ]
    if errors:
        return problems, True
    result: dict[str, Any] = body["data"][name]
    union = graphql.get_named_type(MUTATIONS[name].type)
    assert isinstance(union, graphql.GraphQLUnionType)
    refused = result["__typename"] != union.types[0].name
    if refused and (result.get("code") in (None, "INTERNAL") or not result.get("message")):
        problems.append(f"{where}: refusal without a code and message: {result}")
    return problems, refused


CONCURRENCY = 6  # probes in flight at once: a busy client, and a run that fits the suite's time budget


async def _answers(
    target: Target, name: str, owners: list[str], probes: list[tuple[Leaf, BadValue]]
) -> list[tuple[Leaf, BadValue, httpx.Response]]:
    mutation = MUTATIONS[name]
    query = document(name, mutation)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(leaf: Leaf, bad: BadValue) -> tuple[Leaf, BadValue, httpx.Response]:
        async with slots:
            return leaf, bad, await target.send(query, probe(mutation, leaf, bad.value, target.ids, owners))

    return await asyncio.gather(*(one(leaf, bad) for leaf, bad in probes))


@pytest.mark.parametrize("name", list(MUTATIONS))
async def test_malformed_arguments_are_refused_clearly_and_write_nothing(
    target: Target, logged_errors: list[logging.LogRecord], name: str
) -> None:
    union = graphql.get_named_type(MUTATIONS[name].type)
    owners = [member.name for member in getattr(union, "types", [])]
    probes = all_probes(MUTATIONS[name])
    problems: list[str] = []

    before = await target.row_counts()
    for leaf, bad, response in await _answers(target, name, owners, [p for p in probes if p[1].expect == REFUSE]):
        found, refused = _problems(name, leaf, bad, response)
        problems += found if refused else [f"{name} {leaf.label} <- {bad.name}: accepted ({response.text[:200]})"]
    after = await target.row_counts()
    changed = {table: (before[table], after[table]) for table in before if before[table] != after[table]}
    if changed:
        problems.append(f"refused inputs of {name} wrote rows: {changed}")

    for leaf, bad, response in await _answers(target, name, owners, [p for p in probes if p[1].expect != REFUSE]):
        problems += _problems(name, leaf, bad, response)[0]
    target.tally["probes"] += len(probes)

    assert not problems, "\n".join(problems[:40])
    assert [record.getMessage() for record in logged_errors if record.levelno >= logging.ERROR] == []


# Ingest (REST) -----------------------------------------------------------------------------------------------

EDGE_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z"]
TIMED_RECORDS = {
    "timeline-events": lambda i, at: {"external_id": f"e{i}", "kind": "call", "occurred_at": at, "summary": "s"},
    "usage-events": lambda i, at: {"event_id": f"u{i}", "event": "login", "user_id": "u", "occurred_at": at},
    "tickets": lambda i, at: {
        "external_id": f"t{i}",
        "status": "open",
        "opened_at": "2026-01-01T00:00:00Z",
        "updated_at": at,
    },
    "survey-responses": lambda i, at: {"external_id": f"s{i}", "kind": "nps", "score": 5, "responded_at": at},
}


async def _ingest(target: Target, entity: str, body: Any) -> httpx.Response:
    return await target.http.post(
        f"/v1/ingest/{entity}",
        content=to_json(body),
        headers={"Authorization": f"Bearer {target.key}", "Content-Type": "application/json"},
    )


@pytest.mark.parametrize("entity", list(TIMED_RECORDS))
async def test_ingest_refuses_times_at_the_edges_of_the_calendar_record_by_record(target: Target, entity: str) -> None:
    account = {"external_id": "edge", "name": "Edge Inc", "domain": "edge-of-time.example"}
    assert (await _ingest(target, "accounts", {"source": "crm", "records": [account]})).status_code == 200
    records = [
        {**TIMED_RECORDS[entity](i, at), "account_domain": "edge-of-time.example"} for i, at in enumerate(EDGE_TIMES)
    ]
    before = await target.row_counts()
    response = await _ingest(target, entity, {"source": "crm", "records": records})
    assert response.status_code == 200, response.text
    assert [result["status"] for result in response.json()["results"]] == ["rejected"] * len(EDGE_TIMES)
    assert await target.row_counts() == before


async def test_ingest_refuses_a_source_that_is_not_text(target: Target) -> None:
    response = await _ingest(
        target, "accounts", {"source": "crm\ud800", "records": [{"external_id": "1", "name": "A"}]}
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "BAD_USER_INPUT"
