"""A query asked again, whose roots' statements are kept, is answered from them without graphql-core executing it
(``service.api.direct_reads``) — with the answer, and the refusals, the executor gives."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.app_client import app_client
from tests.compiled_portfolio import seed_demo_portfolio
from tests.compiled_reads import direct_answers
from tests.conftest import make_key


@pytest_asyncio.fixture
async def portfolio(engine: AsyncEngine) -> AsyncEngine:
    await seed_demo_portfolio(engine, accounts=8, seed=5)
    return engine


@pytest_asyncio.fixture
async def client(portfolio: AsyncEngine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings) as (http, _):
        yield http


def _unique(query: str) -> str:
    """The query with a comment no other test's document has: statements are kept per process and document."""
    return f"# {uuid.uuid4()}\n{query}"


async def _ids(engine: AsyncEngine, sql: str) -> list[Any]:
    async with engine.connect() as conn:
        return [row[0] for row in await conn.execute(sa.text(sql))]


async def _ask(
    http: httpx.AsyncClient, key: str, query: str, variables: dict[str, Any], method: str = "POST"
) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {key}"}
    if method == "GET":
        params = {"query": query, "variables": json.dumps(variables)}
        response = await http.get("/graphql", params=params, headers=headers)
    else:
        response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    return response.status_code, json.loads(response.content)


ACCOUNT = """query Account($id: ID!, $first: Int = 3) {
  account(id: $id) { id name contacts { name email } mrr { amount currency }
    tickets(first: $first) { edges { node { subject status } } } }
  alias: account(id: $id) { name }
}"""


async def test_a_query_asked_again_is_answered_from_kept_statements(
    portfolio: AsyncEngine, client: httpx.AsyncClient, settings: Settings
) -> None:
    key = await make_key(portfolio, Role.CSM, "direct")
    query = _unique(ACCOUNT)
    first, second = await _ids(portfolio, "SELECT id FROM accounts ORDER BY name LIMIT 2")
    with direct_answers() as direct:
        executed = await _ask(client, key, query, {"id": encode_global_id("Account", first)})
        assert direct.answered == []  # nothing kept yet: the executor plans and keeps both roots
        again = await _ask(client, key, query, {"id": encode_global_id("Account", first)})
        other = await _ask(client, key, query, {"id": encode_global_id("Account", second)})
        by_get = await _ask(client, key, query, {"id": encode_global_id("Account", second)}, method="GET")
    assert direct.answered == [["account", "alias"]] * 3
    assert again == executed
    assert other == by_get
    assert other[1]["data"]["account"]["name"] != executed[1]["data"]["account"]["name"]
    # the other account's page, from the resolvers alone, is the same
    async with app_client(settings, graphql_compiled_reads=False) as (resolvers, _):
        assert await _ask(resolvers, key, query, {"id": encode_global_id("Account", second)}) == other


async def test_what_shapes_a_statement_or_is_refused_goes_through_the_executor(
    portfolio: AsyncEngine, client: httpx.AsyncClient, settings: Settings
) -> None:
    csm = await make_key(portfolio, Role.CSM, "direct-csm")
    query = _unique(ACCOUNT)
    account = (await _ids(portfolio, "SELECT id FROM accounts ORDER BY name LIMIT 1"))[0]
    contact = (await _ids(portfolio, "SELECT id FROM contacts ORDER BY name LIMIT 1"))[0]
    known = {"id": encode_global_id("Account", account)}
    await _ask(client, csm, query, known)
    with direct_answers() as direct:
        wider = await _ask(client, csm, query, {**known, "first": 50})  # a page size: a statement of its own
        wrong_type = await _ask(client, csm, query, {"id": encode_global_id("Contact", contact)})
        malformed = await _ask(client, csm, query, {"id": "not-an-id"})
        not_coerced = await _ask(client, csm, query, {"id": 7, "first": "many"})
        too_deep = await _ask(client, csm, query, {**known, "first": 101})
    assert direct.answered == []
    assert "errors" not in wider[1]
    assert "is a Contact id, not a Account id" in wrong_type[1]["errors"][0]["message"]
    assert "is not a valid cshub id" in malformed[1]["errors"][0]["message"]
    assert not_coerced[0] == 200  # a request error, as always
    assert "data" not in not_coerced[1]
    assert too_deep[1]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    with direct_answers() as direct:
        assert await _ask(client, csm, query, {**known, "first": 50}) == wider  # now kept too
    assert len(direct.answered) == 1


async def test_every_request_is_checked_and_counted(
    portfolio: AsyncEngine, client: httpx.AsyncClient, settings: Settings
) -> None:
    csm = await make_key(portfolio, Role.CSM, "direct-checks")
    ingest = await make_key(portfolio, Role.INGEST, "direct-ingest")
    alerts = _unique("query { alerts(first: 5) { edges { node { id } } } }")
    assert "errors" not in (await _ask(client, csm, alerts, {}))[1]
    with direct_answers() as direct:
        assert "errors" not in (await _ask(client, csm, alerts, {}))[1]
        refused = await _ask(client, ingest, alerts, {})  # another role: a statement of its own, and a refusal
        anonymous = await client.post("/graphql", json={"query": alerts})
    assert len(direct.answered) == 1
    assert refused[1]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous.status_code == 401
    # the response budget counts what kept statements return, as it counts the executor's lists
    contacts = _unique("query { accounts(first: 8) { edges { node { contacts { name } } } } }")
    async with app_client(settings, graphql_max_response_rows=12) as (small, _):
        first = await _ask(small, csm, contacts, {})
        with direct_answers() as direct:
            again = await _ask(small, csm, contacts, {})
    assert first[1]["errors"][0]["extensions"]["code"] == "RESPONSE_TOO_LARGE"
    assert again == first
    assert direct.answered == []


@pytest.mark.parametrize("operation", ["mutation", "metrics"])
async def test_only_queries_of_compiled_roots_are_answered_directly(
    portfolio: AsyncEngine, client: httpx.AsyncClient, operation: str
) -> None:
    admin = await make_key(portfolio, Role.ADMIN, "direct-admin")
    if operation == "mutation":
        query = _unique('mutation { acknowledgeAlert(id: "QWxlcnQ6eA") { __typename } }')
    else:
        query = _unique("query { metrics { dimensions } }")
    with direct_answers() as direct:
        for _ in range(2):
            await _ask(client, admin, query, {})
    assert direct.answered == []
