"""Persisted operations: Apollo's automatic persisted queries, and the trusted-documents mode."""

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api.schema import schema
from service.api.view import persisted_operations
from service.errors import ConfigurationError
from service.settings import Settings
from tests.app_client import app_client
from tests.factories import insert_accounts
from tests.serve_process import cshub_env, free_port, run_cshub

QUERY = "query Names($n: Int) { accounts(first: $n) { edges { node { name } } } }"
OTHER = "{ accounts(first: 1) { totalCount } }"
MUTATION = 'mutation { acknowledgeAlert(id: "x") { __typename } }'


def _sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _persisted(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": _sha(document)}}


async def _post(client: httpx.AsyncClient, key: str, **body: Any) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {key}"})


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@pytest_asyncio.fixture
async def accounts(engine: AsyncEngine) -> None:
    await insert_accounts(engine, "Acme", "Globex")


async def test_an_unknown_hash_asks_for_the_text_then_the_hash_alone_runs_it(
    client: httpx.AsyncClient, admin_key: str, accounts: None
) -> None:
    variables = {"n": 5}
    unknown = await _post(client, admin_key, extensions=_persisted(QUERY), variables=variables)
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"  # what Apollo clients look for
    assert _code(unknown) == "PERSISTED_QUERY_NOT_FOUND"

    registered = await _post(client, admin_key, query=QUERY, extensions=_persisted(QUERY), variables=variables)
    assert registered.status_code == 200, registered.text
    names = sorted(edge["node"]["name"] for edge in registered.json()["data"]["accounts"]["edges"])
    assert names == ["Acme", "Globex"]

    by_hash = await _post(client, admin_key, extensions=_persisted(QUERY), variables={"n": 1})
    assert len(by_hash.json()["data"]["accounts"]["edges"]) == 1
    # Over GET: a short, cacheable URL.
    params = {"extensions": json.dumps(_persisted(QUERY)), "variables": json.dumps(variables)}
    got = await client.get("/graphql", params=params, headers={"Authorization": f"Bearer {admin_key}"})
    assert got.status_code == 200, got.text
    assert got.json() == registered.json()


async def test_a_hash_that_does_not_match_its_text_is_refused(client: httpx.AsyncClient, admin_key: str) -> None:
    wrong = await _post(client, admin_key, query=OTHER, extensions=_persisted(QUERY))
    assert wrong.status_code == 400
    assert "provided sha does not match query" in wrong.json()["errors"][0]["message"]
    assert (await _post(client, admin_key, extensions=_persisted(QUERY))).status_code == 404, "nothing was kept"
    for malformed in ({"version": 2, "sha256Hash": _sha(QUERY)}, {"version": 1, "sha256Hash": "abc"}, "x"):
        refused = await _post(client, admin_key, query=QUERY, extensions={"persistedQuery": malformed})
        assert refused.status_code == 400, malformed
        assert "persistedQuery" in refused.json()["errors"][0]["message"]


async def test_a_persisted_mutation_runs_over_post_only(client: httpx.AsyncClient, admin_key: str) -> None:
    kept = await _post(client, admin_key, query=MUTATION, extensions=_persisted(MUTATION))
    assert kept.status_code == 200, kept.text
    got = await client.get(
        "/graphql",
        params={"extensions": json.dumps(_persisted(MUTATION))},
        headers={"Authorization": f"Bearer {admin_key}"},
    )
    assert got.status_code == 405
    assert got.headers["allow"] == "POST"


async def test_without_automatic_persisted_queries_a_hash_alone_is_not_enough(
    settings: Settings, admin_key: str, accounts: None
) -> None:
    async with app_client(settings, graphql_persisted_queries=False) as (client, _):
        alone = await _post(client, admin_key, extensions=_persisted(QUERY))
        assert alone.status_code == 400
        assert _code(alone) == "PERSISTED_QUERY_NOT_SUPPORTED"
        assert (await _post(client, admin_key, query=QUERY, extensions=_persisted(QUERY))).status_code == 200


def _apollo_manifest(tmp_path: Path, *documents: str) -> Path:
    path = tmp_path / "persisted-query-manifest.json"
    operations = [{"id": _sha(d), "name": f"op{i}", "type": "query", "body": d} for i, d in enumerate(documents)]
    path.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}))
    return path


@pytest_asyncio.fixture
async def trusted(settings: Settings, tmp_path: Path, accounts: None) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings, graphql_trusted_documents=_apollo_manifest(tmp_path, QUERY)) as (client, _):
        yield client


async def test_trusted_documents_run_only_what_the_manifest_registers(
    trusted: httpx.AsyncClient, admin_key: str
) -> None:
    by_id = await _post(trusted, admin_key, extensions=_persisted(QUERY), variables={"n": 5})
    assert by_id.status_code == 200, by_id.text
    assert len(by_id.json()["data"]["accounts"]["edges"]) == 2
    assert (await _post(trusted, admin_key, query=QUERY)).status_code == 200  # the registered text itself

    other = await _post(trusted, admin_key, query=OTHER)
    assert other.status_code == 403
    assert _code(other) == "OPERATION_NOT_REGISTERED"
    assert "trusted documents" in other.json()["errors"][0]["message"]
    unknown = await _post(trusted, admin_key, extensions=_persisted(OTHER))
    assert unknown.status_code == 404
    assert "no registered operation" in unknown.json()["errors"][0]["message"]
    # Automatic persisted queries cannot register anything past the manifest.
    sneaked = await _post(trusted, admin_key, query=OTHER, extensions=_persisted(OTHER))
    assert _code(sneaked) == "OPERATION_NOT_REGISTERED"
    assert (await _post(trusted, admin_key, extensions=_persisted(OTHER))).status_code == 404


def test_a_manifest_is_checked_when_the_server_starts(settings: Settings, tmp_path: Path) -> None:
    plain = tmp_path / "persisted-documents.json"
    plain.write_text(json.dumps({_sha(QUERY): QUERY}))
    loaded = persisted_operations(schema, settings.model_copy(update={"graphql_trusted_documents": plain}))
    assert loaded.trusted == {_sha(QUERY): QUERY}

    broken = _apollo_manifest(tmp_path, "{ accounts(first: 1) { nope } }")
    with pytest.raises(ConfigurationError, match=r"operation 'op0' .* does not validate.*nope"):
        persisted_operations(schema, settings.model_copy(update={"graphql_trusted_documents": broken}))
    garbage = tmp_path / "garbage.json"
    garbage.write_text("[1, 2]")
    with pytest.raises(ConfigurationError, match="expected an Apollo persisted-query manifest"):
        persisted_operations(schema, settings.model_copy(update={"graphql_trusted_documents": garbage}))

    env = cshub_env(CSHUB_GRAPHQL_TRUSTED_DOCUMENTS=str(broken), CSHUB_DATA_DIR=str(tmp_path / "data"))
    failed = run_cshub("serve", "--port", str(free_port()), env=env)
    assert failed.returncode != 0
    (line,) = failed.stderr.strip().splitlines()
    assert "does not validate" in line
    assert not (tmp_path / "data").exists(), "nothing started"


def test_registered_operations_are_parsed_when_the_server_starts(settings: Settings, tmp_path: Path) -> None:
    from service.graphql.document_cache import _parsed

    document = "query Primed { accounts(first: 3) { totalCount } }"
    before = _parsed.cache_info().currsize
    persisted_operations(
        schema, settings.model_copy(update={"graphql_trusted_documents": _apollo_manifest(tmp_path, document)})
    )
    assert _parsed.cache_info().currsize == before + 1
    hits = _parsed.cache_info().hits
    _parsed(document, settings.graphql_max_tokens)  # what the first request's parse step asks for
    assert _parsed.cache_info().hits == hits + 1
