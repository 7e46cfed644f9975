"""The audit log: every write leaves exactly one entry — who, what, when, the outcome — in the write's own
transaction (ok) or, when the write rolled back, in one of its own (refused, failed); admins read it."""

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from service.accounts.tables import accounts
from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from service.audit import queries as audit_queries
from service.audit.queries import AuditRow
from service.audit.tables import audit_log
from service.cli import main
from service.db.rows import row_into
from service.goals.tables import goals
from service.graphql.relay import encode_global_id
from service.handoffs.tables import handoffs
from tests.factories import insert_accounts
from tests.graphql_client import gql
from tests.success_plan import ADD_GOAL, count

UPDATE_HANDOFF = """mutation($id: ID!, $v: Int!, $c: HandoffInput!) {
  updateHandoff(id: $id, expectedVersion: $v, record: $c) { __typename ... on StaleHandoffVersion { code } } }"""
CREATE_HANDOFF = """mutation($a: ID!, $r: HandoffInput) { createHandoff(accountId: $a, record: $r) {
  ... on Handoff { id version } } }"""


async def entries(engine: AsyncEngine) -> list[AuditRow]:
    async with engine.connect() as conn:
        found = await conn.execute(sa.select(audit_log).order_by(audit_log.c.occurred_at, audit_log.c.id))
        return [row_into(AuditRow, row) for row in found]


async def key(engine: AsyncEngine, role: Role, name: str) -> tuple[str, uuid.UUID]:
    async with engine.begin() as conn:
        created = await api_keys.create_key(conn, role=role, name=name)
    return created.secret, created.key.id


async def post(client: httpx.AsyncClient, secret: str, query: str, variables: dict[str, Any], rid: str) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {secret}", "X-Request-ID": rid},
    )
    return response.json()


async def test_a_mutation_leaves_one_ok_entry_with_who_what_when(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    secret, key_id = await key(engine, Role.CSM, "Aiko")
    (acme,) = await insert_accounts(engine, "Acme")
    account = encode_global_id("Account", acme)
    before = dt.datetime.now(dt.UTC)
    body = await post(client, secret, ADD_GOAL, {"input": {"accountId": account, "outcome": "Ann's secret"}}, "r-1")
    assert "code" not in body["data"]["addGoal"]
    (entry,) = await entries(engine)
    assert (entry.key_id, entry.actor, entry.role) == (key_id, "Aiko", "csm")
    assert (entry.action, entry.target, entry.outcome) == ("mutation:addGoal", account, "ok")
    assert entry.details == {"arguments": ["input.accountId", "input.outcome"]}  # names, never values
    assert entry.request_id == "r-1"
    assert before <= entry.occurred_at <= dt.datetime.now(dt.UTC)


async def test_a_rolled_back_write_changes_nothing_and_is_recorded_as_refused(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    secret, key_id = await key(engine, Role.SALES, "Sato")
    (acme,) = await insert_accounts(engine, "Acme")
    made = await post(client, secret, CREATE_HANDOFF, {"a": encode_global_id("Account", acme)}, "r-1")
    handoff_id = made["data"]["createHandoff"]["id"]
    stale = await post(client, secret, UPDATE_HANDOFF, {"id": handoff_id, "v": 7, "c": {"opportunityRef": "X"}}, "r-2")
    assert stale["data"]["updateHandoff"] == {"__typename": "StaleHandoffVersion", "code": "VERSION_CONFLICT"}
    async with engine.connect() as conn:
        assert (await conn.execute(sa.select(handoffs.c.version, handoffs.c.opportunity_ref))).one() == (1, None)
    created, refused = await entries(engine)
    assert (created.action, created.outcome, created.request_id) == ("mutation:createHandoff", "ok", "r-1")
    assert (refused.action, refused.outcome, refused.request_id) == ("mutation:updateHandoff", "refused", "r-2")
    assert refused.key_id == key_id
    assert refused.target == handoff_id
    assert refused.details == {
        "arguments": ["expectedVersion", "id", "record.opportunityRef"],
        "code": "VERSION_CONFLICT",
    }


async def test_a_refusal_before_any_write_and_a_role_refusal_are_recorded(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    csm, _ = await key(engine, Role.CSM, "Aiko")
    bi, bi_id = await key(engine, Role.BI, "Board")
    (acme,) = await insert_accounts(engine, "Acme")
    account = encode_global_id("Account", acme)
    bad = await post(client, csm, ADD_GOAL, {"input": {"accountId": "nonsense", "outcome": "Grow"}}, "r-1")
    assert bad["data"]["addGoal"]["code"] == "BAD_USER_INPUT"
    denied = await post(client, bi, ADD_GOAL, {"input": {"accountId": account, "outcome": "Grow"}}, "r-2")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await count(engine, goals) == 0
    invalid, forbidden = await entries(engine)
    assert (invalid.outcome, invalid.details["code"], invalid.target) == ("refused", "BAD_USER_INPUT", "nonsense")
    assert (forbidden.key_id, forbidden.outcome, forbidden.details["code"]) == (bi_id, "refused", "FORBIDDEN")


async def test_the_ok_entry_is_in_the_same_transaction_as_the_write(
    client: httpx.AsyncClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret, _ = await key(engine, Role.CSM, "Aiko")
    (acme,) = await insert_accounts(engine, "Acme")
    real_insert = audit_queries.insert_entry

    async def failing_ok_insert(conn: Any, values: dict[str, Any]) -> None:
        if values["outcome"] == "ok":
            raise RuntimeError("the audit log is full")
        await real_insert(conn, values)

    monkeypatch.setattr(audit_queries, "insert_entry", failing_ok_insert)
    body = await post(client, secret, ADD_GOAL, {"input": {"accountId": encode_global_id("Account", acme),
                                                           "outcome": "Grow"}}, "r-1")  # fmt: skip
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert await count(engine, goals) == 0  # no write without its entry
    (failed,) = await entries(engine)
    assert (failed.action, failed.outcome) == ("mutation:addGoal", "failed")


async def test_an_unexpected_error_is_recorded_as_failed(
    client: httpx.AsyncClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.goals import service as goal_service

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(goal_service, "add_goals", broken)
    secret, _ = await key(engine, Role.CSM, "Aiko")
    (acme,) = await insert_accounts(engine, "Acme")
    body = await post(client, secret, ADD_GOAL, {"input": {"accountId": encode_global_id("Account", acme),
                                                           "outcome": "Grow"}}, "r-1")  # fmt: skip
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    (failed,) = await entries(engine)
    assert (failed.outcome, failed.request_id) == ("failed", "r-1")
    assert "code" not in failed.details


async def test_an_ingest_batch_leaves_one_entry_in_its_transaction_and_a_replay_none(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    secret, key_id = await key(engine, Role.INGEST, "crm sync")
    batch = {"source": "crm", "records": [
        {"external_id": "a1", "name": "Acme"}, {"external_id": "a2", "name": "Beta"}, {"external_id": "", "name": "?"},
    ]}  # fmt: skip
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "batch-1", "X-Request-ID": "r-9"}
    for _ in range(2):  # the second is an idempotent replay: nothing written, nothing recorded
        assert (await client.post("/v1/ingest/accounts", json=batch, headers=headers)).status_code == 200
    (entry,) = await entries(engine)
    assert (entry.key_id, entry.actor, entry.role, entry.request_id) == (key_id, "crm sync", "ingest", "r-9")
    assert (entry.action, entry.target, entry.outcome) == ("ingest:accounts", "accounts", "ok")
    assert entry.details["source"] == "crm"
    assert entry.details["records"] == 3
    assert entry.details["totals"]["created"] == 2
    assert entry.details["totals"]["rejected"] == 1
    assert "Acme" not in json.dumps(entry.details)


async def test_rest_refusals_are_recorded_by_role_and_by_request_problem(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ingest, ingest_id = await key(engine, Role.INGEST, "crm sync")
    bi, bi_id = await key(engine, Role.BI, "Board")
    batch = {"source": "crm", "records": [{"external_id": "a1", "name": "Acme"}]}

    async def send(secret: str, entity: str, rid: str, **kwargs: Any) -> int:
        headers = {"Authorization": f"Bearer {secret}", "X-Request-ID": rid, **kwargs.pop("headers", {})}
        return (await client.post(f"/v1/ingest/{entity}", headers=headers, **kwargs)).status_code

    assert await send(bi, "accounts", "r-role", json=batch) == 403
    assert await send(ingest, "widgets", "r-entity", json=batch) == 404
    assert (
        await send(ingest, "accounts", "r-media", content=json.dumps(batch), headers={"Content-Type": "text/plain"})
        == 415
    )
    assert await send(ingest, "accounts", "r-json", content=b"{", headers={"Content-Type": "application/json"}) == 400
    assert await send(ingest, "accounts", "r-shape", json={"source": "crm"}) == 422
    assert (await client.get("/v1/ingest/accounts", headers={"Authorization": f"Bearer {bi}"})).status_code == 405
    assert await count(engine, accounts) == 0
    recorded = [(e.request_id, e.key_id, e.action, e.target, e.outcome, e.details) for e in await entries(engine)]
    assert recorded == [
        ("r-role", bi_id, "ingest:accounts", "accounts", "refused", {"code": "FORBIDDEN"}),
        ("r-entity", ingest_id, "ingest:unknown", "widgets", "refused", {"code": "NOT_FOUND"}),
        ("r-media", ingest_id, "ingest:accounts", "accounts", "refused", {"code": "UNSUPPORTED_MEDIA_TYPE"}),
        ("r-json", ingest_id, "ingest:accounts", "accounts", "refused", {"code": "BAD_REQUEST"}),
        ("r-shape", ingest_id, "ingest:accounts", "accounts", "refused", {"code": "BAD_USER_INPUT"}),
    ]  # the 405 is no write of anyone's: not recorded


def test_api_key_changes_on_the_command_line_are_recorded(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSHUB_DATABASE_URL", database_url)
    assert main(["keys", "create", "--role", "bi", "--name", "Board deck"]) == 0
    created = capsys.readouterr().out.strip().splitlines()
    key_id, secret = created[0].split()[3], created[-1]
    assert main(["keys", "revoke", key_id]) == 0
    assert main(["keys", "revoke", str(uuid.uuid4())]) == 1

    async def read() -> list[AuditRow]:
        fresh = create_async_engine(database_url)
        try:
            return await entries(fresh)
        finally:
            await fresh.dispose()

    made, revoked, unknown = asyncio.run(read())
    for entry in (made, revoked, unknown):
        assert (entry.key_id, entry.actor, entry.role) == (None, "cli", None)
        assert secret not in json.dumps(entry.details)
    assert (made.action, made.target, made.outcome) == ("keys:create", key_id, "ok")
    assert made.details == {"role": "bi", "name": "Board deck"}
    assert (revoked.action, revoked.target, revoked.outcome) == ("keys:revoke", key_id, "ok")
    assert (unknown.action, unknown.outcome, unknown.details) == ("keys:revoke", "refused", {"code": "NOT_FOUND"})


AUDIT_LOG = """query($f: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $f, first: $first, after: $after) {
  edges { cursor node { keyId actor role action target outcome details requestId occurredAt } }
  pageInfo { hasNextPage endCursor } } }"""


async def test_admins_read_the_log_newest_first_filtered_and_paginated(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    admin, admin_id = await key(engine, Role.ADMIN, "root")
    csm, csm_id = await key(engine, Role.CSM, "Aiko")
    (acme,) = await insert_accounts(engine, "Acme")
    account = encode_global_id("Account", acme)
    for outcome in ("Grow", "Keep", ""):
        await post(client, csm, ADD_GOAL, {"input": {"accountId": account, "outcome": outcome}}, f"r-{outcome}")
    everything = (await gql(client, admin, AUDIT_LOG))["data"]["auditLog"]
    nodes = [edge["node"] for edge in everything["edges"]]
    assert [node["requestId"] for node in nodes] == ["r-", "r-Keep", "r-Grow"]  # newest first
    assert [node["outcome"] for node in nodes] == ["REFUSED", "OK", "OK"]
    assert {node["keyId"] for node in nodes} == {str(csm_id)}

    first = (await gql(client, admin, AUDIT_LOG, {"first": 2}))["data"]["auditLog"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await gql(client, admin, AUDIT_LOG, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["data"]
    assert [edge["node"]["requestId"] for edge in rest["auditLog"]["edges"]] == ["r-Grow"]

    refused = await gql(client, admin, AUDIT_LOG, {"f": {"outcome": "REFUSED", "action": "mutation:addGoal"}})
    assert [edge["node"]["requestId"] for edge in refused["data"]["auditLog"]["edges"]] == ["r-"]
    by_admin = await gql(client, admin, AUDIT_LOG, {"f": {"keyId": str(admin_id)}})
    assert by_admin["data"]["auditLog"]["edges"] == []
    later = nodes[1]["occurredAt"]
    window = await gql(client, admin, AUDIT_LOG, {"f": {"from": nodes[2]["occurredAt"], "to": later}})
    assert [edge["node"]["requestId"] for edge in window["data"]["auditLog"]["edges"]] == ["r-Grow"]
    bad = await gql(client, admin, AUDIT_LOG, {"f": {"keyId": "nope"}})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    for role in (Role.CSM, Role.SALES, Role.BI, Role.INGEST):
        secret, _ = await key(engine, role, f"other {role.value}")
        denied = await gql(client, secret, AUDIT_LOG)
        assert denied["data"] is None
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_details_never_hold_what_people_typed(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    sales, _ = await key(engine, Role.SALES, "Sato")
    (acme,) = await insert_accounts(engine, "Acme")
    record = {"stakeholders": [{"name": "Dana Fox", "role": "CHAMPION", "notes": "dana@acme.example"}]}
    made = await post(client, sales, CREATE_HANDOFF, {"a": encode_global_id("Account", acme), "r": record}, "r-1")
    assert made["data"]["createHandoff"]["id"]
    (entry,) = await entries(engine)
    stored = json.dumps([entry.details, entry.target])
    assert "Dana" not in stored
    assert "dana@" not in stored
    assert entry.details == {"arguments": ["accountId", "record.stakeholders"]}
