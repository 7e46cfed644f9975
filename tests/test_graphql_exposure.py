"""What the API reveals about itself and its internals, per environment: introspection, "Did you mean" suggestions,
masked unexpected errors."""

import logging
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.accounts import queries as account_queries
from service.api_keys.roles import Role
from service.graphql.errors import INTERNAL_ERROR_MESSAGE
from service.settings import Environment, Settings
from tests.app_client import app_client
from tests.conftest import make_key

INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_LOOKUP = '{ __type(name: "Account") { fields { name } } }'
FIELD_TYPO = "{ accounts(first: 1) { edges { node { nme } } } }"
ENUM_TYPO = "query($s: [ContractStatus!]) { accounts(first: 1) { edges { node { contracts(status: $s) { id } } } } }"


async def ask(http: httpx.AsyncClient, key: str, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    return await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {key}", "Accept": "application/graphql-response+json"},
    )


def messages(response: httpx.Response) -> str:
    return " ".join(error["message"] for error in response.json()["errors"])


async def test_introspection_is_open_in_development(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    key = await make_key(engine, Role.BI)
    response = await ask(client, key, INTROSPECTION)
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


@pytest.mark.parametrize("role", [Role.CSM, Role.SALES, Role.BI, Role.INGEST])
async def test_introspection_is_refused_in_production_but_for_admin(
    settings: Settings, engine: AsyncEngine, role: Role
) -> None:
    key = await make_key(engine, role)
    async with app_client(settings, environment=Environment.PRODUCTION) as (http, _):
        for query in (INTROSPECTION, TYPE_LOOKUP):
            response = await ask(http, key, query)
            assert response.status_code == 400
            assert [error["extensions"]["code"] for error in response.json()["errors"]] == ["INTROSPECTION_DISABLED"]
        typename = await ask(http, key, "{ __typename }")  # not introspection: clients need it for unions
    assert typename.json() == {"data": {"__typename": "Query"}}


async def test_admin_keys_may_introspect_in_production(settings: Settings, admin_key: str) -> None:
    async with app_client(settings, environment=Environment.PRODUCTION) as (http, _):
        response = await ask(http, admin_key, TYPE_LOOKUP)
    assert response.status_code == 200
    assert {"name": "contacts"} in response.json()["data"]["__type"]["fields"]


async def test_development_errors_suggest_what_was_meant(client: httpx.AsyncClient, admin_key: str) -> None:
    assert "Did you mean 'name'" in messages(await ask(client, admin_key, FIELD_TYPO))
    assert "Did you mean the enum value 'ACTIVE'?" in messages(
        await ask(client, admin_key, ENUM_TYPO, {"s": ["ACTIV"]})
    )


async def test_production_errors_suggest_nothing(settings: Settings, admin_key: str) -> None:
    async with app_client(settings, environment=Environment.PRODUCTION) as (http, _):
        field = await ask(http, admin_key, FIELD_TYPO)
        enum = await ask(http, admin_key, ENUM_TYPO, {"s": ["ACTIV"]})
    assert messages(field) == "Cannot query field 'nme' on type 'Account'."
    assert "ACTIV" in messages(enum)
    assert "Did you mean" not in messages(enum)
    assert "'ACTIVE'" not in messages(enum)


@pytest.mark.parametrize("environment", list(Environment))
async def test_unexpected_errors_are_masked_with_the_request_id_and_logged(
    settings: Settings,
    admin_key: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    environment: Environment,
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("password=hunter2 at db.internal")

    monkeypatch.setattr(account_queries, "account_by_domain", broken)
    # The resolvers' path: a compiled root would not call the broken query (and falls back to it when it fails).
    async with app_client(settings, environment=environment, graphql_compiled_reads=False) as (http, _):
        response = await http.post(
            "/graphql",
            json={"query": '{ accountByDomain(domain: "acme.example") { name } }'},
            headers={"Authorization": f"Bearer {admin_key}", "X-Request-ID": "req-mask-1"},
        )
    assert response.status_code == 200  # a field error: the operation ran
    (error,) = response.json()["errors"]
    assert error["message"] == INTERNAL_ERROR_MESSAGE
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-mask-1"}
    assert "hunter2" not in response.text
    logged = [record for record in caplog.records if record.name == "cshub.graphql" and record.levelno == logging.ERROR]
    assert len(logged) == 1
    assert getattr(logged[0], "request_id", None) == "req-mask-1"


async def test_expected_errors_keep_their_message_and_a_stable_code(client: httpx.AsyncClient, admin_key: str) -> None:
    for query, code in [
        ('{ accountByDomain(domain: "not a domain") { name } }', "BAD_USER_INPUT"),
        ('{ contract(id: "QWNjb3VudDox") { id } }', "BAD_USER_INPUT"),
        ("{ accounts(first: 1000) { totalCount } }", "BAD_USER_INPUT"),
    ]:
        response = await ask(client, admin_key, query)
        assert [error["extensions"]["code"] for error in response.json()["errors"]] == [code], query


async def test_a_malformed_scalar_variable_is_the_clients_error_not_an_internal_one(
    client: httpx.AsyncClient, admin_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    query = 'query($day: Date) { accountByDomain(domain: "acme.example") { mrr(asOf: $day) { amount } } }'
    response = await ask(client, admin_key, query, {"day": "not-a-date"})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "$day" in error["message"]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
