"""People with OIDC/JWT bearer tokens: verified against a real issuer's JWKS on loopback, refused with a reason
a person can act on, recorded where a key is recorded, and owning what they create from any device."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.settings import Settings
from tests.app_client import app_client
from tests.conftest import make_key
from tests.factories import insert_accounts
from tests.oidc_issuer import AUDIENCE, Issuer, running_issuer
from tests.test_graphql_handoffs import CREATE, UPDATE

ACCOUNTS = "{ accounts(first: 5) { edges { node { name } } } }"


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


@pytest_asyncio.fixture
async def client(settings: Settings, issuer: Issuer, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    await insert_accounts(engine, "Acme")
    async with app_client(settings, oidc_issuer=issuer.url, oidc_audience=AUDIENCE) as (http, _):
        yield http


async def _post(client: httpx.AsyncClient, token: str, query: str = ACCOUNTS, **variables: Any) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )


async def _refused(client: httpx.AsyncClient, token: str, status: int = 401) -> str:
    response = await _post(client, token)
    assert response.status_code == status, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == ("UNAUTHENTICATED" if status == 401 else "FORBIDDEN")
    message: str = error["message"]
    return message


async def test_a_person_with_a_valid_token_reads_the_api(client: httpx.AsyncClient, issuer: Issuer) -> None:
    response = await _post(client, issuer.mint())
    assert response.status_code == 200, response.text
    assert response.json()["data"]["accounts"]["edges"] == [{"node": {"name": "Acme"}}]


async def test_es256_tokens_are_accepted_too(client: httpx.AsyncClient, issuer: Issuer) -> None:
    issuer.add_key("ec-1", kind="EC")
    response = await _post(client, issuer.mint("ec-1"))
    assert response.status_code == 200, response.text


async def test_tokens_out_of_their_time_are_refused_with_a_small_leeway(
    client: httpx.AsyncClient, issuer: Issuer
) -> None:
    now = int(time.time())
    assert "expired" in await _refused(client, issuer.mint(exp=now - 120, iat=now - 600))
    assert "not valid yet" in await _refused(client, issuer.mint(nbf=now + 120))
    # Within the 30 s leeway for clock skew: accepted.
    assert (await _post(client, issuer.mint(exp=now - 10, iat=now - 600))).status_code == 200
    assert "'exp'" in await _refused(client, issuer.mint(exp=None))


async def test_another_audience_or_issuer_is_refused(client: httpx.AsyncClient, issuer: Issuer) -> None:
    assert "not meant for this API" in await _refused(client, issuer.mint(aud="another-app"))
    assert "not issued by" in await _refused(client, issuer.mint(iss="https://evil.example"))


async def test_forged_tokens_are_refused(client: httpx.AsyncClient, issuer: Issuer) -> None:
    header, _, signature = issuer.mint().split(".")
    elevated = issuer.mint(cshub_role="admin").split(".")[1]
    assert "signature does not verify" in await _refused(client, f"{header}.{elevated}.{signature}")
    assert "'none'" in await _refused(client, issuer.unsigned(cshub_role="admin"))
    assert "'HS256'" in await _refused(client, issuer.hmac_with_public_key("key-1", cshub_role="admin"))
    assert "not a well-formed JWT" in await _refused(client, "not.a.token")


async def test_a_rotated_key_is_fetched_once_it_is_used(client: httpx.AsyncClient, issuer: Issuer) -> None:
    assert (await _post(client, issuer.mint())).status_code == 200
    fetched = issuer.fetches
    issuer.add_key("key-2")  # the issuer rotates: its JWKS now lists key-2 as well
    await asyncio.sleep(1.1)  # an unknown kid fetches the keys again at most once a second
    assert (await _post(client, issuer.mint("key-2", sub="person-2"))).status_code == 200
    assert issuer.fetches == fetched + 1
    # A kid the issuer never published is refused (and costs at most one more fetch).
    issuer.keys["stray"] = issuer.keys["key-2"]
    message = await _refused(client, issuer.mint("stray", sub="person-3"))
    assert "kid 'stray'" in message
    assert issuer.fetches <= fetched + 2


async def test_the_role_comes_from_the_configured_claim(
    settings: Settings, issuer: Issuer, engine: AsyncEngine
) -> None:
    async with app_client(
        settings,
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
        oidc_role_claim="realm_access.roles",
        oidc_roles={"cs-team": "csm", "bi-team": "bi"},
    ) as (client, _):
        token = issuer.mint(cshub_role=None, realm_access={"roles": ["offline_access", "bi-team", "cs-team"]})
        assert (await _post(client, token)).status_code == 200
        audit = "{ auditLog { edges { node { actor } } } }"
        refused = (await _post(client, token, audit)).json()["errors"][0]
        assert refused["extensions"]["code"] == "FORBIDDEN"  # csm (the most a token's roles give), not admin
        missing = await _refused(client, issuer.mint(cshub_role=None, realm_access={"roles": ["x"]}), 403)
        assert "no cshub role in its 'realm_access.roles' claim" in missing


async def test_tokens_need_an_issuer_setting_and_an_issuer_that_answers(
    client: httpx.AsyncClient, settings: Settings, issuer: Issuer
) -> None:
    async with app_client(settings) as (keys_only, _):
        assert "API keys only" in await _refused(keys_only, issuer.mint())
    issuer.down = True
    response = await _post(client, issuer.mint())
    assert response.status_code == 503, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "IDENTITY_PROVIDER_UNAVAILABLE"
    assert response.headers["retry-after"] == "5"


async def test_people_do_not_ingest(client: httpx.AsyncClient, issuer: Issuer) -> None:
    batch = {"source": "crm", "records": [{"external_id": "a-1", "name": "Acme"}]}
    response = await client.post(
        "/v1/ingest/accounts",
        json=batch,
        headers={"Authorization": f"Bearer {issuer.mint(cshub_role='admin')}"},
    )
    assert response.status_code == 403, response.text
    assert "ingest takes API keys" in response.json()["detail"]


async def test_a_person_owns_their_drafts_from_any_device_and_is_audited_without_pii(
    client: httpx.AsyncClient, issuer: Issuer, engine: AsyncEngine
) -> None:
    from service.graphql.relay import encode_global_id

    (account_id,) = await insert_accounts(engine, "Handed Over")
    account = encode_global_id("Account", account_id)
    laptop = issuer.mint(sub="sato", name="Sato Ken", email="sato@example.com", cshub_role="sales")
    draft = (await _post(client, laptop, CREATE, account=account, record={"salesOwner": "Sato"})).json()
    draft = draft["data"]["createHandoff"]
    assert draft["createdBy"].startswith("Sato Ken (")

    phone = issuer.mint(sub="sato", name="Sato Ken", cshub_role="sales", iat=int(time.time()) - 5)
    edited = await _post(client, phone, UPDATE, id=draft["id"], version=1, record={"opportunityRef": "OPP-9"})
    assert edited.json()["data"]["updateHandoff"]["version"] == 2, edited.text

    colleague = issuer.mint(sub="suzuki", name="Suzuki", cshub_role="sales")
    refused = await _post(client, colleague, UPDATE, id=draft["id"], version=2, record={"opportunityRef": "X"})
    assert "only the handoffs they created" in refused.json()["errors"][0]["message"]
    sales_key = await make_key(engine, Role.SALES, "crm bot")
    by_key = await _post(client, sales_key, UPDATE, id=draft["id"], version=2, record={"opportunityRef": "X"})
    assert by_key.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    admin = await make_key(engine, Role.ADMIN)
    entries = (
        await _post(client, admin, "{ auditLog(first: 20) { edges { node { keyId personId actor role action } } } }")
    ).json()["data"]["auditLog"]["edges"]
    by_sato = [e["node"] for e in entries if e["node"]["actor"] == "person sato"]
    assert [e["action"] for e in by_sato] == ["mutation:updateHandoff", "mutation:createHandoff"]
    assert {e["keyId"] for e in by_sato} == {None}
    assert len({e["personId"] for e in by_sato}) == 1
    person_id = by_sato[0]["personId"]
    filtered = (
        await _post(
            client, admin, f'{{ auditLog(filter: {{personId: "{person_id}"}}) {{ edges {{ node {{ action }} }} }} }}'
        )
    ).json()["data"]["auditLog"]["edges"]
    assert len(filtered) == 2
    assert "sato@example.com" not in str(entries)
    assert "Sato Ken" not in str(entries)


async def test_browser_pages_from_allowed_origins_may_call_the_api(
    settings: Settings, issuer: Issuer, engine: AsyncEngine
) -> None:
    origin = "https://cs.example.com"
    async with app_client(settings, cors_allow_origins=[origin]) as (client, _):
        preflight = {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        allowed = await client.options("/graphql", headers=preflight)
        assert allowed.status_code == 200, allowed.text
        assert allowed.headers["access-control-allow-origin"] == origin
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in allowed.headers
        other = await client.options("/graphql", headers={**preflight, "Origin": "https://evil.example"})
        assert other.status_code == 400
        key = await make_key(engine, Role.CSM)
        answered = await client.post(
            "/graphql", json={"query": ACCOUNTS}, headers={"Origin": origin, "Authorization": f"Bearer {key}"}
        )
        assert answered.headers["access-control-allow-origin"] == origin
        assert "X-Request-ID" in answered.headers["access-control-expose-headers"]
    async with app_client(settings) as (closed, _):
        assert "access-control-allow-origin" not in (await closed.options("/graphql", headers=preflight)).headers
