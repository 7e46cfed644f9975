"""People subscribe with their OIDC token in ``connection_init``: tokens minted with joserfc by a real issuer on
loopback (tests/oidc_issuer.py), verified by the WebSocket's gate as over HTTP; a token that is expired, for
another audience, forged or signed with a key the issuer never published is closed with 4401 and a reason."""

import time
from collections.abc import Iterator

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy.ext.asyncio import AsyncEngine

from service.settings import Settings
from tests.factories import insert_accounts
from tests.ingesting import ingest, statuses
from tests.oidc_issuer import AUDIENCE, Issuer, running_issuer
from tests.subscription_client import client, served
from tests.test_subscription_timeline import TIMELINE


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


def _with_issuer(settings: Settings, issuer: Issuer) -> Settings:
    return settings.model_copy(update={"oidc_issuer": issuer.url, "oidc_audience": AUDIENCE})


async def _note(engine: AsyncEngine, external_id: str) -> None:
    note = {"external_id": external_id, "account_domain": "acme.example", "kind": "call", "summary": "SSO question",
            "occurred_at": "2026-02-10T15:00:00Z", "actor": "Casey CSM"}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "timeline-events", [note])) == ["created"]


async def test_a_person_subscribes_with_a_token_and_gets_events_masked_by_role(
    engine: AsyncEngine, settings: Settings, issuer: Issuer
) -> None:
    await insert_accounts(engine, "Acme", domain="acme.example")
    async with (
        served(_with_issuer(settings, issuer)) as app,
        client(app.ws_url, issuer.mint()) as csm,  # acknowledged (the helper checks connection_ack)
        client(app.ws_url, issuer.mint(sub="person-2", email="bo@example.com", cshub_role="bi")) as bi,
    ):
        await csm.subscribe("1", TIMELINE)
        await bi.subscribe("1", TIMELINE)
        await app.following(2)
        await _note(engine, "n1")
        seen_by_csm = (await csm.next_data("1"))["timelineAdded"]["entry"]
        seen_by_bi = (await bi.next_data("1"))["timelineAdded"]["entry"]
    assert (seen_by_csm["summary"], seen_by_csm["actor"]) == ("SSO question", "Casey CSM")
    assert (seen_by_bi["summary"], seen_by_bi["actor"]) == ("•••", "•••")


async def test_a_token_that_does_not_verify_is_closed_4401_with_its_reason(
    engine: AsyncEngine, settings: Settings, issuer: Issuer
) -> None:
    now = int(time.time())
    issuer.keys["stray"] = RSAKey.generate_key(2048, parameters={"kid": "stray"})  # never published
    header, _, signature = issuer.mint().split(".")
    elevated = issuer.mint(cshub_role="admin").split(".")[1]
    refused = {
        "expired": issuer.mint(exp=now - 120, iat=now - 600),
        "not meant for this API": issuer.mint(aud="another-app"),
        "not issued by": issuer.mint(iss="https://evil.example"),
        "kid 'stray'": issuer.mint("stray"),
        "signature does not verify": f"{header}.{elevated}.{signature}",
        "'none'": issuer.unsigned(),
    }
    async with served(_with_issuer(settings, issuer)) as app:
        for reason, token in refused.items():
            async with client(app.ws_url) as ws:
                await ws.init(token)
                code, said = await ws.closed()
                assert code == 4401, (reason, code, said)
                assert reason in said, (reason, said)
        async with client(app.ws_url, issuer.mint()):  # and a good one still gets in
            pass


async def test_a_server_without_an_issuer_refuses_tokens(
    engine: AsyncEngine, settings: Settings, issuer: Issuer
) -> None:
    async with served(settings) as app, client(app.ws_url) as ws:
        await ws.init(issuer.mint())
        assert await ws.closed() == (4401, "this server takes API keys only (no CSHUB_OIDC_ISSUER)")
