"""A contract's kind (new, renewal, expansion; null: unknown) through the generic ingest, out through GraphQL
``Contract.kind`` — the same on the compiled read path as on the resolvers."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.compiled_reads import both_ways
from tests.conftest import make_key
from tests.ingesting import rows

ACCOUNT = {"external_id": "a-1", "name": "Acme", "domain": "acme.example"}
LINE = {"product": "Platform", "quantity": 10, "unit_price": "100.00"}
QUERY = """query($id: ID!) { account(id: $id) { contracts { startDate kind status } } }"""


def contract(external_id: str, start: str, **fields: object) -> dict[str, object]:
    return {
        "external_id": external_id,
        "account_external_id": "a-1",
        "status": "active",
        "start_date": start,
        "lines": [LINE],
        **fields,
    }


@pytest.fixture
async def ingest_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.INGEST, "kinds")


async def send(client: httpx.AsyncClient, key: str, records: list[dict[str, object]]) -> dict[str, object]:
    response = await client.post(
        "/v1/ingest/contracts",
        json={"source": "crm", "records": records},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


async def test_the_kind_is_taken_validated_and_shown_both_ways(
    client: httpx.AsyncClient, settings: Settings, engine: AsyncEngine, ingest_key: str, admin_key: str
) -> None:
    accounts = await client.post(
        "/v1/ingest/accounts",
        json={"source": "crm", "records": [ACCOUNT]},
        headers={"Authorization": f"Bearer {ingest_key}"},
    )
    assert accounts.status_code == 200, accounts.text
    answer = await send(
        client,
        ingest_key,
        [
            contract("c-1", "2025-01-01", end_date="2026-01-01", kind="new", status="ended"),
            contract("c-2", "2026-01-01", kind="Renewal"),  # enumerations compare case-insensitively
            contract("c-3", "2026-06-01", kind="expansion"),
            contract("c-4", "2026-07-01"),  # no kind: unknown
            contract("c-5", "2026-08-01", kind="upsell"),
        ],
    )
    results = answer["results"]
    assert isinstance(results, list)
    assert [result["status"] for result in results] == ["created"] * 4 + ["rejected"]
    assert results[4]["errors"] == [{"path": "kind", "message": "Input should be 'new', 'renewal' or 'expansion'"}]
    # The refused record wrote nothing: no contract, no link, no lines.
    assert await rows(engine, "SELECT count(*) FROM source_links WHERE external_id = 'c-5'") == [(0,)]
    assert await rows(engine, "SELECT kind FROM contracts ORDER BY start_date") == [
        ("new",),
        ("renewal",),
        ("expansion",),
        (None,),
    ]

    (account_id,) = (await rows(engine, "SELECT id FROM accounts"))[0]
    variables = {"id": encode_global_id("Account", account_id)}
    async with both_ways(settings) as paths:
        shown = await paths.same(admin_key, QUERY, variables)
    assert shown["data"]["account"]["contracts"] == [  # newest start first
        {"startDate": "2026-07-01", "kind": None, "status": "ACTIVE"},
        {"startDate": "2026-06-01", "kind": "EXPANSION", "status": "ACTIVE"},
        {"startDate": "2026-01-01", "kind": "RENEWAL", "status": "ACTIVE"},
        {"startDate": "2025-01-01", "kind": "NEW", "status": "ENDED"},
    ]


async def test_a_re_send_without_kind_keeps_it_and_null_clears_it(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await client.post(
        "/v1/ingest/accounts",
        json={"source": "crm", "records": [ACCOUNT]},
        headers={"Authorization": f"Bearer {ingest_key}"},
    )
    await send(client, ingest_key, [contract("c-1", "2026-01-01", kind="renewal")])
    kept = await send(client, ingest_key, [{"external_id": "c-1", "account_external_id": "a-1", "auto_renew": True}])
    assert [result["status"] for result in kept["results"]] == ["updated"]  # type: ignore[attr-defined]
    assert await rows(engine, "SELECT kind, auto_renew FROM contracts") == [("renewal", True)]
    cleared = await send(client, ingest_key, [{"external_id": "c-1", "account_external_id": "a-1", "kind": None}])
    assert [result["status"] for result in cleared["results"]] == ["updated"]  # type: ignore[attr-defined]
    assert await rows(engine, "SELECT kind FROM contracts") == [(None,)]
