"""What reaches the log: a database error is logged with its statement, never with the data it carried."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from tests.conftest import make_key
from tests.factories import insert_accounts
from tests.graphql_client import gql
from tests.success_plan import ADD_GOAL


@asynccontextmanager
async def inserts_fail(engine: AsyncEngine, table: str) -> AsyncIterator[None]:
    """Every insert into ``table`` fails in PostgreSQL (an error the service does not expect), until the block ends."""
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                "CREATE FUNCTION test_refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'the disk is on fire'; END $$"
            )
        )
        await conn.execute(
            sa.text(
                f"CREATE TRIGGER test_refuse_insert BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_insert()"
            )
        )
    try:
        yield
    finally:
        async with engine.begin() as conn:
            await conn.execute(sa.text(f"DROP TRIGGER test_refuse_insert ON {table}"))
            await conn.execute(sa.text("DROP FUNCTION test_refuse_insert()"))


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    handler = logging.StreamHandler()
    return "\n".join(handler.format(record) for record in caplog.records)  # messages and tracebacks


async def test_a_failed_ingest_statement_is_logged_without_the_e_mail_it_carried(
    client: httpx.AsyncClient, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    key = await make_key(engine, Role.INGEST)
    accounts = {"source": "crm", "records": [{"external_id": "a1", "name": "Acme"}]}
    assert (
        await client.post("/v1/ingest/accounts", json=accounts, headers={"Authorization": f"Bearer {key}"})
    ).is_success
    contact = {"external_id": "c1", "account_external_id": "a1", "email": "wanda.unlogged@acme.example"}
    async with inserts_fail(engine, "contacts"):
        response = await client.post(
            "/v1/ingest/contacts",
            json={"source": "crm", "records": [contact]},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 500
    logged = logged_text(caplog)
    assert "the disk is on fire" in logged  # the error and its statement were logged ...
    assert "INSERT INTO contacts" in logged
    assert "wanda.unlogged" not in logged  # ... without the data
    assert "wanda.unlogged" not in response.text


async def test_a_failed_mutation_statement_is_logged_without_what_was_typed(
    client: httpx.AsyncClient, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    key = await make_key(engine, Role.CSM)
    (acme,) = await insert_accounts(engine, "Acme")
    goal = {"accountId": encode_global_id("Account", acme), "outcome": "Renew with Wanda Unlogged"}
    async with inserts_fail(engine, "goals"):
        body = await gql(client, key, ADD_GOAL, {"input": goal})
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    logged = logged_text(caplog)
    assert "the disk is on fire" in logged
    assert "INSERT INTO goals" in logged
    assert "Wanda Unlogged" not in logged
