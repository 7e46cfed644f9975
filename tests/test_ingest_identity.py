"""Account identity over ``POST /v1/ingest/*``: which account a record is, and when the hub must not guess."""

import uuid
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.app import create_app
from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.conftest import LifespanApp, make_key
from tests.graphql_client import gql
from tests.ingesting import rows

MERGE = """
mutation Merge($merged: ID!, $into: ID!) {
  mergeAccounts(input: {mergedAccountId: $merged, intoAccountId: $into}) { __typename }
}
"""


@pytest_asyncio.fixture
async def ingest_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.INGEST, "test ingest")


async def send(client: httpx.AsyncClient, key: str, entity: str, source: str, *records: dict[str, Any]) -> list[str]:
    response = await client.post(
        f"/v1/ingest/{entity}",
        json={"source": source, "records": list(records)},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    return [result["status"] for result in response.json()["results"]]


def ticket(external_id: str, **reference: str) -> dict[str, Any]:
    return {"external_id": external_id, "status": "open", "opened_at": "2026-01-05T10:00:00Z", **reference}


async def account_names(engine: AsyncEngine) -> list[str]:
    return [name for (name,) in await rows(engine, "SELECT name FROM accounts ORDER BY name")]


async def test_a_free_mail_domain_never_folds_two_companies_into_one(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    joe = {"external_id": "c-1", "name": "Joe Plumbing", "domain": "gmail.com"}
    jane = {"external_id": "h-9", "name": "Jane Bakery", "domain": "GMAIL.com"}
    assert await send(client, ingest_key, "accounts", "crm", joe) == ["created"]
    assert await send(client, ingest_key, "accounts", "billing", jane) == ["created"]
    assert await account_names(engine) == ["Jane Bakery", "Joe Plumbing"]

    assert await send(client, ingest_key, "tickets", "support", ticket("t-1", account_domain="https://gmail.com")) == [
        "unmatched"
    ]
    assert await rows(engine, "SELECT count(*) FROM tickets") == [(0,)]
    # The company's own id still identifies it.
    assert await send(client, ingest_key, "tickets", "crm", ticket("t-2", account_external_id="c-1")) == ["created"]


@pytest.mark.parametrize("domain", ["hotmail.com", "proton.me", "herokuapp.com"])
async def test_every_listed_shared_domain_is_refused_as_identity(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str, domain: str
) -> None:
    two = {"external_id": "2", "name": "Two", "domain": domain}
    await send(client, ingest_key, "accounts", "crm", {"external_id": "1", "name": "One", "domain": domain})
    assert await send(client, ingest_key, "accounts", "billing", two) == ["created"]
    assert await send(client, ingest_key, "tickets", "support", ticket("t-1", account_domain=domain)) == ["unmatched"]


async def test_the_setting_adds_shared_domains(engine: AsyncEngine, settings: Settings, ingest_key: str) -> None:
    settings = settings.model_copy(update={"shared_domains": ["Mail.Example.net"]})
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=LifespanApp(app, dict(state or {})), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://cshub.test") as client:
            one = {"external_id": "1", "name": "One", "domain": "mail.example.net"}
            two = {"external_id": "2", "name": "Two", "domain": "mail.example.net"}
            assert await send(client, ingest_key, "accounts", "crm", one) == ["created"]
            assert await send(client, ingest_key, "accounts", "billing", two) == ["created"]
            usage = {"event_id": "e-1", "event": "login", "occurred_at": "2026-01-05T10:00:00Z"}
            assert await send(
                client, ingest_key, "usage-events", "product", {**usage, "account_domain": "mail.example.net"}
            ) == ["unmatched"]
    assert await account_names(engine) == ["One", "Two"]


async def test_two_accounts_of_one_source_on_one_domain_stay_two_and_a_record_for_it_waits_with_both(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    inc = {"external_id": "A-1", "name": "Acme Inc", "domain": "acme.com"}
    europe = {"external_id": "A-2", "name": "Acme Europe GmbH", "domain": "acme.com"}
    assert await send(client, ingest_key, "accounts", "crm", inc, europe) == ["created", "created"]
    assert await send(client, ingest_key, "accounts", "crm", {**europe, "name": "Acme Europe"}) == ["updated"]
    assert await account_names(engine) == ["Acme Europe", "Acme Inc"]

    assert await send(client, ingest_key, "tickets", "support", ticket("t-1", account_domain="acme.com")) == [
        "unmatched"
    ]
    usage = {"event_id": "e-1", "event": "login", "occurred_at": "2026-01-05T10:00:00Z", "account_domain": "acme.com"}
    assert await send(client, ingest_key, "usage-events", "product", usage) == ["unmatched"]
    ids = sorted(str(i) for (i,) in await rows(engine, "SELECT id FROM accounts"))
    waiting = await rows(
        engine, "SELECT entity, candidate_account_ids FROM unmatched_records WHERE resolved_at IS NULL ORDER BY 1"
    )
    assert [(entity, sorted(str(i) for i in candidates)) for entity, candidates in waiting] == [
        ("tickets", ids),
        ("usage-events", ids),
    ]
    # The source's own account id is never ambiguous.
    assert await send(client, ingest_key, "tickets", "crm", ticket("t-2", account_external_id="A-2")) == ["created"]


async def test_a_domain_of_one_account_still_links_another_sources_records_to_it(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    assert await send(client, ingest_key, "accounts", "crm", {"external_id": "1", "name": "Beta", "domain": "beta.io"})
    assert await send(
        client, ingest_key, "accounts", "product", {"external_id": "w", "name": "beta", "domain": "beta.io"}
    ) == ["updated"]
    assert await send(client, ingest_key, "tickets", "support", ticket("t-1", account_domain="beta.io")) == ["created"]
    assert await account_names(engine) == ["Beta"]


async def account_id(engine: AsyncEngine, name: str) -> str:
    ((found,),) = await rows(engine, "SELECT id FROM accounts WHERE name = :name", name=name)
    return str(found)


async def merge(client: httpx.AsyncClient, engine: AsyncEngine, merged: str, into: str) -> None:
    admin_key = await make_key(engine, Role.ADMIN, "test admin")
    ids = {"merged": encode_global_id("Account", uuid.UUID(await account_id(engine, merged)))}
    ids["into"] = encode_global_id("Account", uuid.UUID(await account_id(engine, into)))
    answer = await gql(client, admin_key, MERGE, ids)
    assert answer["data"]["mergeAccounts"]["__typename"] == "AccountsMerged", answer


async def test_a_merged_accounts_domain_and_ids_keep_resolving_to_the_survivor(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    echo = {"external_id": "E", "name": "Echo", "domain": "echo.com"}
    echo_old = {"external_id": "F", "name": "Echo (old)", "domain": "echo-old.com"}
    await send(client, ingest_key, "accounts", "crm", echo, echo_old)
    old_ticket = ticket("t-1", account_domain="echo-old.com")
    event = {
        "event_id": "e-1",
        "event": "login",
        "occurred_at": "2026-01-05T10:00:00Z",
        "account_domain": "echo-old.com",
    }
    assert await send(client, ingest_key, "tickets", "support", old_ticket) == ["created"]
    assert await send(client, ingest_key, "usage-events", "product", event) == ["created"]

    await merge(client, engine, "Echo (old)", "Echo")

    # Replays of what is stored are unchanged, not unmatched.
    assert await send(client, ingest_key, "tickets", "support", old_ticket) == ["unchanged"]
    assert await send(client, ingest_key, "usage-events", "product", event) == ["unchanged"]
    # New records for the merged account's domain or id land on the survivor.
    assert await send(client, ingest_key, "tickets", "support", ticket("t-2", account_domain="echo-old.com")) == [
        "created"
    ]
    assert await send(client, ingest_key, "tickets", "crm", ticket("t-3", account_external_id="F")) == ["created"]
    assert await send(client, ingest_key, "usage-events", "product", {**event, "event_id": "e-2"}) == ["created"]
    echo_id = await account_id(engine, "Echo")
    assert await rows(engine, "SELECT count(*), min(account_id::text) FROM tickets") == [(3, echo_id)]
    assert await rows(engine, "SELECT count(*), min(account_id::text) FROM usage_events") == [(2, echo_id)]
    assert await rows(engine, "SELECT count(*) FROM unmatched_records") == [(0,)]


async def test_a_replay_is_unchanged_whatever_its_account_reference_now_resolves_to(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    await send(client, ingest_key, "accounts", "crm", {"external_id": "1", "name": "Acme Inc", "domain": "acme.com"})
    stored = ticket("t-1", account_domain="acme.com")
    assert await send(client, ingest_key, "tickets", "support", stored) == ["created"]
    # The CRM's second account on acme.com makes the domain ambiguous; the stored ticket is still the same.
    await send(client, ingest_key, "accounts", "crm", {"external_id": "2", "name": "Acme Europe", "domain": "acme.com"})
    assert await send(client, ingest_key, "tickets", "support", stored) == ["unchanged"]
    assert await rows(engine, "SELECT count(*) FROM unmatched_records") == [(0,)]


async def test_merging_the_candidates_of_a_waiting_record_stores_it(
    client: httpx.AsyncClient, engine: AsyncEngine, ingest_key: str
) -> None:
    inc = {"external_id": "A-1", "name": "Acme Inc", "domain": "acme.com"}
    europe = {"external_id": "A-2", "name": "Acme Europe", "domain": "acme.com"}
    await send(client, ingest_key, "accounts", "crm", inc, europe)
    assert await send(client, ingest_key, "tickets", "support", ticket("t-1", account_domain="acme.com")) == [
        "unmatched"
    ]

    await merge(client, engine, "Acme Europe", "Acme Inc")

    inc_id = await account_id(engine, "Acme Inc")
    assert await rows(engine, "SELECT account_id::text FROM tickets") == [(inc_id,)]
    assert await rows(engine, "SELECT resolved_account_id::text FROM unmatched_records") == [(inc_id,)]


def test_the_shared_domains_setting_is_read_as_normalised_domains(settings: Settings) -> None:
    read = Settings(database_url=settings.database_url, shared_domains=" Mail.Example.net, https://www.host.example/ ,")
    assert read.shared_domains == ["mail.example.net", "host.example"]
    with pytest.raises(ValueError, match="not a domain name"):
        Settings(database_url=settings.database_url, shared_domains="not a domain")
