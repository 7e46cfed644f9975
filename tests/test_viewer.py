"""``viewer``: who is calling and what they own — for a person with a token and for an API key — the same
through the compiled read path and the resolvers, each list narrowed to the caller."""

import datetime as dt
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.accounts.tables import accounts
from service.action_items.tables import action_items
from service.api_keys.roles import Role
from service.handoffs.tables import handoffs
from service.health_scores.tables import alerts
from service.settings import Settings
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key
from tests.factories import insert_accounts
from tests.oidc_issuer import AUDIENCE, Issuer, running_issuer

VIEWER = """
query Start {
  viewer {
    person { email displayName }
    apiKeyId role ownerNames
    myAccounts(first: 10) { totalCount edges { node { name csmOwner } } }
    myHandoffs(first: 10) { edges { node { opportunityRef state } } }
    myAlerts { edges { node { rule message } } }
    myActionItems { title owner status }
  }
}
"""
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


@pytest_asyncio.fixture
async def paths(settings: Settings, issuer: Issuer, engine: AsyncEngine) -> AsyncIterator[BothWays]:
    mine, by_email, others = await insert_accounts(engine, "Mine", "Mine too", "Theirs", sales_owner="Sato Ken")
    async with engine.begin() as conn:
        for account_id, owner in ((mine, "Aiko Tanaka"), (by_email, "aiko@example.com"), (others, "Ken")):
            await conn.execute(sa.update(accounts).where(accounts.c.id == account_id).values(csm_owner=owner))
        await conn.execute(
            sa.insert(handoffs),
            [
                {
                    "account_id": mine,
                    "state": "SUBMITTED",
                    "version": 1,
                    "opportunity_ref": "OPP-1",
                    "csm_owner": "Aiko Tanaka",
                    "sales_owner": "Sato Ken",
                    "created_at": T0,
                    "updated_at": T0,
                },
                {
                    "account_id": others,
                    "state": "DRAFT",
                    "version": 1,
                    "opportunity_ref": "OPP-2",
                    "csm_owner": "Ken",
                    "sales_owner": "Sato Ken",
                    "created_at": T0,
                    "updated_at": T0,
                },
            ],
        )
        await conn.execute(
            sa.insert(alerts),
            [
                {"account_id": mine, "rule": "no_logins", "message": "nobody seen for 14 days", "opened_at": T0},
                {"account_id": others, "rule": "usage_drop", "message": "usage down 40%", "opened_at": T0},
            ],
        )
        await conn.execute(
            sa.insert(action_items),
            [
                {
                    "account_id": mine,
                    "title": "Book the QBR",
                    "owner": "Aiko Tanaka",
                    "due_on": dt.date(2026, 12, 1),
                    "status": "open",
                },
                {"account_id": others, "title": "Call Ken", "owner": "Ken", "due_on": None, "status": "open"},
                {"account_id": mine, "title": "Done already", "owner": "Aiko Tanaka", "due_on": None, "status": "done"},
            ],
        )
    overrides = {"oidc_issuer": issuer.url, "oidc_audience": AUDIENCE}
    async with both_ways(settings.model_copy(update=overrides)) as both:
        yield both


async def test_a_csm_with_a_token_sees_what_they_own(paths: BothWays, issuer: Issuer) -> None:
    token = issuer.mint(sub="aiko", name="Aiko Tanaka", email="aiko@example.com", cshub_role="csm")
    with fallbacks() as fell_back:
        viewer = (await paths.same(token, VIEWER))["data"]["viewer"]
    assert viewer["person"] == {"email": "aiko@example.com", "displayName": "Aiko Tanaka"}
    assert (viewer["apiKeyId"], viewer["role"]) == (None, "csm")
    assert viewer["ownerNames"] == ["Aiko Tanaka", "aiko@example.com"]
    assert viewer["myAccounts"]["totalCount"] == 2
    assert [e["node"]["name"] for e in viewer["myAccounts"]["edges"]] == ["Mine", "Mine too"]
    assert [e["node"]["opportunityRef"] for e in viewer["myHandoffs"]["edges"]] == ["OPP-1"]
    assert [e["node"]["rule"] for e in viewer["myAlerts"]["edges"]] == ["NO_LOGINS"]
    assert viewer["myActionItems"] == [{"title": "Book the QBR", "owner": "Aiko Tanaka", "status": "OPEN"}]
    assert fell_back.seen == []


async def test_an_api_key_goes_by_its_name_and_sales_by_the_sales_owner(
    paths: BothWays, issuer: Issuer, engine: AsyncEngine
) -> None:
    key = await make_key(engine, Role.CSM, "Ken")
    with fallbacks() as fell_back:
        viewer = (await paths.same(key, VIEWER))["data"]["viewer"]
    assert fell_back.seen == []
    assert viewer["person"] is None
    assert viewer["apiKeyId"] is not None
    assert [e["node"]["name"] for e in viewer["myAccounts"]["edges"]] == ["Theirs"]
    assert [i["title"] for i in viewer["myActionItems"]] == ["Call Ken"]

    sales = issuer.mint(sub="sato", name="Sato Ken", cshub_role="sales")
    viewer = (await paths.same(sales, VIEWER))["data"]["viewer"]
    assert viewer["myAccounts"]["totalCount"] == 3
    assert sorted(e["node"]["opportunityRef"] for e in viewer["myHandoffs"]["edges"]) == ["OPP-1", "OPP-2"]


async def test_a_kept_plan_serves_only_its_caller(paths: BothWays, issuer: Issuer, engine: AsyncEngine) -> None:
    aiko = issuer.mint(sub="aiko", name="Aiko Tanaka", email="aiko@example.com", cshub_role="csm")
    ken = await make_key(engine, Role.CSM, "Ken")
    query = "{ viewer { ownerNames myAccounts { edges { node { name } } } } }"
    for _ in range(2):  # the second round is served by kept plans
        mine = (await paths.same(aiko, query))["data"]["viewer"]
        theirs = (await paths.same(ken, query))["data"]["viewer"]
        assert [e["node"]["name"] for e in mine["myAccounts"]["edges"]] == ["Mine", "Mine too"]
        assert [e["node"]["name"] for e in theirs["myAccounts"]["edges"]] == ["Theirs"]
        assert theirs["ownerNames"] == ["Ken"]


async def test_a_filter_narrows_within_what_the_caller_owns(paths: BothWays, issuer: Issuer) -> None:
    token = issuer.mint(sub="aiko", name="Aiko Tanaka", email="aiko@example.com", cshub_role="csm")
    query = '{ viewer { myAccounts(filter: {csmOwner: ["Ken", "Aiko Tanaka"]}) { edges { node { name } } } } }'
    answer = await paths.same(token, query)
    assert answer["data"]["viewer"]["myAccounts"]["edges"] == [{"node": {"name": "Mine"}}]


async def test_bi_reads_its_own_names_masked(paths: BothWays, issuer: Issuer) -> None:
    token = issuer.mint(sub="bo", name="Bo Analyst", email="bo@example.com", cshub_role="bi")
    with fallbacks() as fell_back:
        viewer = (await paths.same(token, VIEWER))["data"]["viewer"]
    assert fell_back.seen == []
    assert viewer["person"] == {"email": "•••", "displayName": "•••"}
    assert viewer["ownerNames"] == ["•••", "•••"]
