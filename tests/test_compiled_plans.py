"""One plan serves every value of the variables that do not shape it: an account's id, a domain, a source id are
bound each time the statement runs (late parameters), while a page size or an ``@include`` makes a plan of its
own. Whatever the plan, the answer is the resolvers' — refusals included."""

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.graphql_360.pages import ACCOUNT_360_QUERY, usage_range
from service.api_keys.roles import Role
from service.compiled.executor import CompilingExecutor
from service.compiled.statements import Sent, statements
from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.compiled_portfolio import seed_demo_portfolio
from tests.compiled_reads import BothWays, both_ways, fallbacks
from tests.conftest import make_key


@pytest_asyncio.fixture
async def portfolio(engine: AsyncEngine) -> AsyncEngine:
    await seed_demo_portfolio(engine, accounts=12, seed=9)
    return engine


@pytest_asyncio.fixture
async def paths(portfolio: AsyncEngine, settings: Settings) -> AsyncIterator[BothWays]:
    async with both_ways(settings) as found:
        yield found


@contextmanager
def plans_made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The roots planned while inside (the planner runs; cached plans do not count)."""
    made: list[str] = []
    plan = CompilingExecutor._plan

    def counted(self: CompilingExecutor, at: Any, role: Any, today: Any) -> Any:
        made.append(at.name)
        return plan(self, at, role, today)

    with monkeypatch.context() as patch:
        patch.setattr(CompilingExecutor, "_plan", counted)
        yield made


def _unique(query: str) -> str:
    """The query with a comment no other test's document has: plans are kept per process and per document."""
    return f"# {uuid.uuid4()}\n{query}"


async def _column(engine: AsyncEngine, sql: str) -> list[Any]:
    async with engine.connect() as conn:
        return [row[0] for row in await conn.execute(sa.text(sql))]


ACCOUNT = """query($id: ID!) { account(id: $id) { id name domain contacts { name } mrr { amount currency }
  tickets(first: 3) { edges { node { subject } } } } }"""


async def test_one_plan_serves_every_account(
    portfolio: AsyncEngine, paths: BothWays, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await make_key(portfolio, Role.CSM, "plans")
    query = _unique(ACCOUNT)
    ids = await _column(portfolio, "SELECT id FROM accounts ORDER BY name")
    with plans_made(monkeypatch) as made, fallbacks() as fell:
        names = [
            (await paths.same(key, query, {"id": encode_global_id("Account", i)}))["data"]["account"]["name"]
            for i in ids
        ]
    assert made == ["account"]
    assert fell.seen == []
    assert len(set(names)) == len(ids)  # each its own account, not the first one's again


async def test_refused_values_fall_back_once_a_plan_exists(
    portfolio: AsyncEngine, paths: BothWays, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await make_key(portfolio, Role.ADMIN, "refusals")
    query = _unique(ACCOUNT)
    account = (await _column(portfolio, "SELECT id FROM accounts ORDER BY name LIMIT 1"))[0]
    contact = (await _column(portfolio, "SELECT id FROM contacts ORDER BY name LIMIT 1"))[0]
    await paths.same(key, query, {"id": encode_global_id("Account", account)})
    with plans_made(monkeypatch) as made, fallbacks() as fell:
        wrong_type = await paths.same(key, query, {"id": encode_global_id("Contact", contact)})
        malformed = await paths.same(key, query, {"id": "not-an-id"})
        missing = await paths.same(key, query, {"id": encode_global_id("Account", uuid.uuid4())})
        again = await paths.same(key, query, {"id": encode_global_id("Account", account)})
    assert made == []
    assert "is a Contact id, not a Account id" in wrong_type["errors"][0]["message"]
    assert "is not a valid cshub id" in malformed["errors"][0]["message"]
    assert missing == {"data": {"account": None}}
    assert "errors" not in again
    # the two refusals, each asked twice (``BothWays``), answered by the resolver every time
    assert [root for root, _ in fell.seen] == ["account"] * 4


NODE = """query($id: ID!) { node(id: $id) { id __typename
  ... on Account { name } ... on Contact { email } ... on Contract { status currency } } }"""


async def test_node_plans_once_per_type(
    portfolio: AsyncEngine, paths: BothWays, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await make_key(portfolio, Role.ADMIN, "nodes")
    query = _unique(NODE)
    ids = {
        "Account": await _column(portfolio, "SELECT id FROM accounts ORDER BY name LIMIT 3"),
        "Contact": await _column(portfolio, "SELECT id FROM contacts ORDER BY name LIMIT 3"),
        "Contract": await _column(portfolio, "SELECT id FROM contracts ORDER BY id LIMIT 3"),
    }
    with plans_made(monkeypatch) as made, fallbacks() as fell:
        for _ in range(2):  # the second round finds every type's plan
            for type_name, found in ids.items():
                for entity_id in found:
                    answer = await paths.same(key, query, {"id": encode_global_id(type_name, entity_id)})
                    assert answer["data"]["node"]["__typename"] == type_name
    assert made == ["node", "node", "node"]
    assert fell.seen == []


async def test_lookups_by_domain_and_source_share_a_plan(
    portfolio: AsyncEngine, paths: BothWays, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await make_key(portfolio, Role.ADMIN, "lookups")
    by_domain = _unique("query($d: String!) { accountByDomain(domain: $d) { name domain } }")
    by_source = _unique("query($s: String!, $e: String!) { accountBySource(source: $s, externalId: $e) { name } }")
    domains = await _column(portfolio, "SELECT domain FROM accounts WHERE domain IS NOT NULL ORDER BY name LIMIT 4")
    async with portfolio.connect() as conn:
        links = (
            await conn.execute(
                sa.text("SELECT source, external_id FROM source_links WHERE object_type = 'account' LIMIT 4")
            )
        ).all()
    with plans_made(monkeypatch) as made, fallbacks() as fell:
        for domain in domains:
            found = await paths.same(key, by_domain, {"d": f"https://www.{domain.upper()}/pricing"})
            assert found["data"]["accountByDomain"]["domain"] == domain
        refused = await paths.same(key, by_domain, {"d": "not a domain"})
        for source, external_id in links:
            found = await paths.same(key, by_source, {"s": source, "e": external_id})
            assert found["data"]["accountBySource"] is not None
        assert (await paths.same(key, by_source, {"s": "nowhere", "e": "x"}))["data"]["accountBySource"] is None
    assert made == ["accountByDomain", "accountBySource"]
    assert "errors" in refused
    assert [root for root, _ in fell.seen] == ["accountByDomain"] * 2  # asked twice (``BothWays``)


SHAPED = """query($id: ID!, $first: Int!, $withContacts: Boolean!) { account(id: $id) {
  name tickets(first: $first) { edges { node { subject } } }
  contacts @include(if: $withContacts) { name } } }"""


async def test_variables_that_shape_a_plan_are_its_key(
    portfolio: AsyncEngine, paths: BothWays, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await make_key(portfolio, Role.ADMIN, "shapes")
    query = _unique(SHAPED)
    busiest = await _column(portfolio, "SELECT account_id FROM tickets GROUP BY 1 ORDER BY count(*) DESC LIMIT 2")
    with plans_made(monkeypatch) as made, fallbacks() as fell:
        for account_id in busiest:
            for first in (1, 3):
                for with_contacts in (True, False):
                    variables = {"id": encode_global_id("Account", account_id), "first": first}
                    answer = await paths.same(key, query, {**variables, "withContacts": with_contacts})
                    account = answer["data"]["account"]
                    assert len(account["tickets"]["edges"]) == first
                    assert ("contacts" in account) is with_contacts
    assert len(made) == 4  # one per page size and @include, whichever account
    assert fell.seen == []


async def test_a_late_argument_given_inline_is_part_of_the_document(
    portfolio: AsyncEngine, paths: BothWays, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await make_key(portfolio, Role.ADMIN, "inline")
    first, second = await _column(portfolio, "SELECT id FROM accounts ORDER BY name LIMIT 2")
    with plans_made(monkeypatch) as made, fallbacks() as fell:
        for account_id in (first, second):
            query = _unique(f'{{ account(id: "{encode_global_id("Account", account_id)}") {{ id name }} }}')
            answer = await paths.same(key, query)
            assert answer["data"]["account"]["id"] == encode_global_id("Account", account_id)
    assert made == ["account", "account"]
    assert fell.seen == []


def _kept(settings: Settings, query: str) -> list[Any]:
    """The plans kept for ``query`` (by its document text)."""
    cache = statements(settings.graphql_statement_cache_size)
    keys: list[Any] = list(cache._plans)
    return [cache._plans[key] for key in keys if isinstance(key[0], tuple) and key[0][0] == query]


async def test_a_plan_is_kept_as_the_sql_it_sent(portfolio: AsyncEngine, paths: BothWays, settings: Settings) -> None:
    """After its first run a plan is its SQL text and parameters (lists expanded into one parameter per item
    included): later requests bind the request's time and late values into them, and compile nothing."""
    key = await make_key(portfolio, Role.CSM, "sent")
    query = _unique(ACCOUNT_360_QUERY)  # IN lists (ticket and contract rules), the request's time, a late id
    start, end = usage_range(dt.datetime.now(dt.UTC).date())
    ids = await _column(portfolio, "SELECT id FROM accounts ORDER BY name LIMIT 4")
    with fallbacks() as fell:
        for account_id in ids:
            account = encode_global_id("Account", account_id)
            await paths.same(key, query, {"id": account, "from": start.isoformat(), "to": end.isoformat()})
    assert fell.seen == []
    kept = _kept(settings, query)
    assert [type(plan) for plan in kept] == [Sent]
    assert kept[0].now_at
    assert kept[0].late_at
    # The plan's own constants are written into the text: its parameters are the request's values (and what
    # cannot be written as a literal: lists, intervals, instants).
    # The plan's own constants (about 150: enum values, formats, day counts) are written into the text; what stays
    # a parameter is the request's time and late id, what the request gave (its date range, the document's page
    # sizes), and what is not written as a literal (intervals, instants, a text with a backslash).
    sent = kept[0]
    given = {start, end, 20, 10}
    request = {*sent.now_at, *(index for index, _ in sent.late_at)}
    left = [value for index, value in enumerate(sent.parameters) if index not in request and value not in given]
    assert all(isinstance(value, dt.timedelta | dt.datetime) or "\\" in value for value in left), left
