"""The supported calendar (1900-01-01 to 2199-12-31), decimal bounds and JSON nesting limit, at every door.

GraphQL refuses a date outside the calendar before anything runs, naming the argument or the variable and path;
the first and last days are accepted. A series "from year 1" is refused at once instead of running an endless
``generate_series``. Ingest rejects such records field by field; bodies nested too deep are a 400, with or
without an Idempotency-Key, on ingest and on /graphql alike.
"""

import time
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.json_input import MAX_DEPTH
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.ingesting import ingest as ingest_records

RANGE = "outside the supported dates, 1900-01-01 to 2199-12-31"


async def post_graphql(client: httpx.AsyncClient, key: str, query: str, variables: Any = None) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("query", "variables", "where"),
    [
        (
            '{ metrics { mrrMovements(from: "0001-01-01", to: "2026-01-01", interval: MONTH) { bucketStart } } }',
            None,
            "argument `from`: Date 0001-01-01",
        ),
        (
            'query($to: Date!) { metrics { nps(from: "2026-01-01", to: $to) { responses } } }',
            {"to": "9999-12-31"},
            "Variable '$to' has invalid value: Date 9999-12-31",
        ),
        (
            '{ accounts(filter: {renewalDate: {to: "2200-01-01"}}) { totalCount } }',
            None,
            "argument `filter` at .renewalDate.to: Date 2200-01-01",
        ),
        (
            "query($f: AuditLogFilter) { auditLog(filter: $f) { edges { cursor } } }",
            {"f": {"from": "9999-12-31T23:59:59-14:00"}},
            "Variable '$f' has invalid value at .from: DateTime 9999-12-31T23:59:59-14:00",
        ),
        (
            'query($day: Date = "1899-12-31") { metrics { arr(asOf: $day) { arr } } }',
            None,
            "the default value of `$day`: Date 1899-12-31",
        ),
    ],
)
async def test_a_date_outside_the_calendar_is_refused_naming_where_it_is(
    client: httpx.AsyncClient, admin_key: str, query: str, variables: Any, where: str
) -> None:
    body = await post_graphql(client, admin_key, query, variables)
    assert body.get("data") is None  # refused before anything ran
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] in (f"{where} is {RANGE}", f"{where} is {RANGE} (in UTC)")


async def test_the_first_and_last_days_of_the_calendar_are_accepted(client: httpx.AsyncClient, admin_key: str) -> None:
    body = await gql(
        client,
        admin_key,
        """{ metrics {
             arr(asOf: "2199-12-31") { arr }
             mrrMovements(from: "1900-01-01", to: "1919-12-01", interval: MONTH) { bucketStart }
           }
           auditLog(filter: {from: "1900-01-01T00:00:00Z", to: "2199-12-31T23:59:59.999-00:00"}) { edges { cursor } }
        }""",
    )
    assert "errors" not in body, body
    assert len(body["data"]["metrics"]["mrrMovements"]) == 239


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ('usage(from: "0001-01-01", to: "0001-02-01", interval: DAY) { events }', f"Date 0001-01-01 is {RANGE}"),
        ('usage(from: "1900-01-01", to: "2199-12-31", interval: DAY) { events }', "holds 109572 DAY buckets"),
        ('usage(from: "1900-01-01", to: "2199-12-31", interval: MONTH) { events }', "holds 3600 MONTH buckets"),
    ],
)
async def test_a_usage_series_is_sized_before_any_sql_runs(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str, field: str, message: str
) -> None:
    await ingest_records(engine, "crm", "accounts", [{"external_id": "a", "name": "Acme", "domain": "acme.example"}])
    # Before the calendar check, year 1 reached PostgreSQL as -infinity: the series ran until the 30 s timeout.
    started = time.monotonic()
    body = await post_graphql(client, admin_key, f'{{ accountByDomain(domain: "acme.example") {{ {field} }} }}')
    assert time.monotonic() - started < 5
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in body["errors"][0]["message"]


# Ingest ------------------------------------------------------------------------------------------------------------


@pytest.fixture
async def ingest_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.INGEST, "bounds")


async def ingest(client: httpx.AsyncClient, key: str, entity: str, body: str, **headers: str) -> httpx.Response:
    return await client.post(
        f"/v1/ingest/{entity}",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", **headers},
    )


async def test_ingest_rejects_dates_and_times_outside_the_calendar_field_by_field(
    client: httpx.AsyncClient, ingest_key: str
) -> None:
    account = '{"external_id": "a", "name": "Acme", "domain": "acme.example"}'
    assert (await ingest(client, ingest_key, "accounts", f'{{"source": "crm", "records": [{account}]}}')).is_success
    contracts = [
        '{"external_id": "k1", "account_domain": "acme.example", "status": "active", "start_date": "0001-01-01"}',
        '{"external_id": "k2", "account_domain": "acme.example", "status": "active", "start_date": "2020-01-01",'
        ' "renewal_date": "2200-01-01"}',
        '{"external_id": "k3", "account_domain": "acme.example", "status": "active", "start_date": "1900-01-01",'
        ' "end_date": "2199-12-31", "updated_at": "2200-01-01T09:00:00+14:00"}',  # 2199-12-31T19:00Z
        '{"external_id": "k4", "account_domain": "acme.example", "status": "active", "start_date": "2020-01-01",'
        ' "updated_at": "2199-12-31T23:00:00-14:00"}',  # 2200-01-01T13:00Z
    ]
    response = await ingest(client, ingest_key, "contracts", f'{{"source": "crm", "records": [{",".join(contracts)}]}}')
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["rejected", "rejected", "created", "rejected"]
    assert [result["errors"] for result in results] == [
        [{"path": "start_date", "message": f"0001-01-01 is {RANGE}"}],
        [{"path": "renewal_date", "message": f"2200-01-01 is {RANGE}"}],
        [],
        [{"path": "updated_at", "message": f"2199-12-31T23:00:00-14:00 is {RANGE} (in UTC)"}],
    ]


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("levels", [MAX_DEPTH, 5_000])
@pytest.mark.parametrize("idempotency", [{}, {"Idempotency-Key": "deep"}])
async def test_ingest_refuses_a_body_nested_too_deep(
    client: httpx.AsyncClient, ingest_key: str, levels: int, idempotency: dict[str, str]
) -> None:
    body = f'{{"source": "crm", "records": [{{"external_id": "a", "name": "A", "tags": {_nested(levels)}}}]}}'
    response = await ingest(client, ingest_key, "accounts", body, **idempotency)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "BAD_REQUEST"
    assert f"nested more than {MAX_DEPTH} levels deep" in response.json()["detail"]


async def test_ingest_takes_a_body_just_under_the_nesting_limit_to_its_records(
    client: httpx.AsyncClient, ingest_key: str
) -> None:
    # body, records, the record: 3 levels, so this value brings the body to exactly MAX_DEPTH.
    body = f'{{"source": "crm", "records": [{{"external_id": "a", "name": "A", "tags": {_nested(MAX_DEPTH - 3)}}}]}}'
    response = await ingest(client, ingest_key, "accounts", body, **{"Idempotency-Key": "deep-enough"})
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "rejected"  # `tags` is not a field of an account record


@pytest.mark.parametrize("levels", [MAX_DEPTH, 5_000])
async def test_graphql_refuses_a_body_nested_too_deep(client: httpx.AsyncClient, admin_key: str, levels: int) -> None:
    body = f'{{"query": "{{ __typename }}", "variables": {{"x": {_nested(levels)}}}}}'
    response = await client.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert f"nested more than {MAX_DEPTH} levels deep" in error["message"]
