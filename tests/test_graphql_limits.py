"""GraphQL operation limits: the real pages fit the defaults; abusive operations are refused with a stable code
before anything runs (not one SQL statement beyond authentication); each limit is a setting."""

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, parse

from bench.graphql_360.pages import ACCOUNT_360_QUERY, PORTFOLIO_QUERY, PORTFOLIO_SIZE, usage_range
from bench.metrics import MOVEMENTS_QUERY, RETENTION_QUERY
from service.api.limits import OperationLimits
from service.api.measure import Measurement, TooDeep, measure
from service.api.schema import schema
from service.settings import Settings
from tests.app_client import app_client
from tests.statements import counting_statements
from tests.test_graphql_360 import ACCOUNT_360, PORTFOLIO
from tests.test_graphql_handoff_context import CONTEXT

DEFAULTS = OperationLimits.from_settings(Settings.model_construct())
README_EXAMPLES = re.findall(r"```graphql\n(.*?)```", (Path(__file__).parent.parent / "README.md").read_text(), re.S)

USAGE_FROM, USAGE_TO = (day.isoformat() for day in usage_range(dt.date(2026, 6, 30)))  # what the bench sends
A_YEAR = {"from": "2025-01-01", "to": "2026-01-01"}
PAGES = {
    "360 page (tests)": (ACCOUNT_360, {}),
    "360 page (bench)": (ACCOUNT_360_QUERY, {"from": USAGE_FROM, "to": USAGE_TO}),
    "portfolio page (bench)": (PORTFOLIO_QUERY, {"first": PORTFOLIO_SIZE, "from": USAGE_FROM, "to": USAGE_TO}),
    "portfolio of 100 accounts (tests)": (PORTFOLIO, {"first": 100}),
    "handoffContext": (CONTEXT, {}),
    "BI revenue retention": (RETENTION_QUERY, A_YEAR),
    "BI MRR movements": (MOVEMENTS_QUERY, A_YEAR),
    "GraphiQL introspection": (get_introspection_query(descriptions=True), {}),
    **{f"README example {i}": (example, {}) for i, example in enumerate(README_EXAMPLES)},
}

DEEP = "{ accounts(first: 100) { edges { node { contacts { account { contracts { account { contacts { account { " \
    "tickets(first: 100) { edges { node { subject } } } } } } } } } } } } }"  # fmt: skip
WIDE = "{ accounts(first: 100) { edges { node { contacts { account { tickets(first: 100) { edges { node { subject " \
    "} } } } } } } } }"  # fmt: skip
ALIASES = "{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }"
DUPLICATES = "{ " + "__typename " * 1000 + "}"  # graphql-core's validation once gave up on it: "Validation aborted."
ABUSIVE = {
    "deep": (DEEP, "QUERY_TOO_DEEP"),
    "lists of 100": (WIDE, "QUERY_TOO_COMPLEX"),
    "10k aliases": (ALIASES, "TOO_MANY_TOKENS"),
    "1,000 duplicate fields": (DUPLICATES, "TOO_MANY_FIELDS"),
}


def measured(query: str, variables: dict[str, Any] | None = None, depth_cap: int = 1000) -> Measurement:
    return measure(
        schema._schema,
        parse(query),
        operation_name=None,
        variables=variables,
        pricing=DEFAULTS.pricing,
        depth_cap=depth_cap,
    )


@pytest.mark.parametrize(("query", "variables"), PAGES.values(), ids=PAGES.keys())
def test_the_pages_and_pulls_people_use_fit_the_default_limits(query: str, variables: dict[str, Any]) -> None:
    measurement = measured(query, variables)
    assert DEFAULTS.errors(measurement) == []
    assert measurement.cost * 1.5 <= DEFAULTS.max_cost  # with room to grow
    parse(query, max_tokens=DEFAULTS.max_tokens // 4)  # and far from the token limit


def test_the_cost_multiplies_by_first_and_page_sizes() -> None:
    # accounts(first: 50): 1 + edges (1 + 50 × node (1 + contacts (1 + 10 × name 1)))
    assert measured("{ accounts(first: 50) { edges { node { contacts { name } } } } }").cost == 1 + 1 + 50 * (1 + 11)
    query = "query($n: Int) { accounts(first: $n) { edges { node { name } } } }"
    assert measured(query, {"n": 5}).cost == 1 + 1 + 5 * 2
    assert measured(query).cost == 1 + 1 + 20 * 2  # no `first`: the default page size
    assert measured("query($n: Int = 3) { accounts(first: $n) { edges { node { name } } } }").cost == 1 + 1 + 3 * 2
    assert measured("{ accounts(first: 5) { totalCount pageInfo { hasNextPage } } }").cost == 1 + 1 + 2  # not a list
    spread = "{ accounts(first: 5) { ...Page } } fragment Page on AccountConnection { edges { node { name } } }"
    assert measured(spread).cost == 1 + 1 + 5 * 2
    assert measured(spread).depth == 4


def test_a_measurement_names_the_variables_it_read() -> None:
    # The 360 page's account id prices nothing; its usage range does (the series' buckets).
    assert measured(ACCOUNT_360_QUERY, {"id": "QWNjb3VudDox", "from": USAGE_FROM, "to": USAGE_TO}).read == {
        "from",
        "to",
    }
    query = "query($n: Int, $id: ID!) { account(id: $id) { name } accounts(first: $n) { edges { node { name } } } }"
    assert measured(query, {"id": "x", "n": 5}).read == {"n"}
    assert measured(query, {"id": "x"}).read == {"n"}  # not given is a value too: the default page size


async def test_a_kept_measurement_serves_other_accounts_but_not_another_page_size(
    settings: Settings, admin_key: str
) -> None:
    query = (
        "query($n: Int, $d: String!) { accountByDomain(domain: $d) { name } "
        "accounts(first: $n) { totalCount edges { node { name } } } }"
    )
    headers = {"Authorization": f"Bearer {admin_key}"}
    async with app_client(settings, graphql_max_cost=100) as (http, _):
        for domain in ("a.example", "b.example"):
            response = await http.post(
                "/graphql", json={"query": query, "variables": {"n": 5, "d": domain}}, headers=headers
            )
            assert "errors" not in response.json(), response.json()
        for n, cost in ((100, 205), (None, 45), (48, 101), (47, 99)):  # 2 + 3 + 2 × n
            variables = {"d": "a.example"} if n is None else {"n": n, "d": "a.example"}
            response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
            errors = response.json().get("errors", [])
            assert [e["extensions"] for e in errors] == (
                [{"code": "QUERY_TOO_COMPLEX", "cost": cost, "maxCost": 100}] if cost > 100 else []
            ), n


def test_fields_count_every_selection_with_fragments_expanded_and_lists_not_multiplied() -> None:
    assert measured("{ __typename __typename }").fields == 2
    assert measured("{ accounts(first: 50) { edges { node { name domain } } } }").fields == 5
    spread = "{ a: accounts { ...Page } b: accounts { ...Page } } fragment Page on AccountConnection { totalCount }"
    assert measured(spread).fields == 4


def test_measuring_a_document_is_cheap_however_its_fragments_fan_out() -> None:
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(60))
    document = "{ ...F0 } " + chain + " fragment F60 on Query { accounts(first: 100) { totalCount } }"
    started = time.perf_counter()
    measurement = measured(document)
    assert time.perf_counter() - started < 1
    assert measurement.cost > DEFAULTS.max_cost  # 2**60 accounts lists: refused, not silently undercounted


def test_depth_is_refused_without_walking_the_whole_document() -> None:
    with pytest.raises(TooDeep):
        measured("{ " + "contact(id: 1) { account { " * 40 + "name" + " } }" * 40 + " }", depth_cap=10)


async def test_abusive_operations_are_refused_before_any_sql_runs(client: httpx.AsyncClient, admin_key: str) -> None:
    headers = {"Authorization": f"Bearer {admin_key}", "Accept": "application/graphql-response+json"}
    await client.post("/graphql", json={"query": "{ accounts("}, headers=headers)  # the key is cached from here
    with counting_statements() as baseline:  # authentication and whatever else precedes GraphQL
        await client.post("/graphql", json={"query": "{ accounts("}, headers=headers)
    for name, (query, code) in ABUSIVE.items():
        with counting_statements() as statements:
            response = await client.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code == 400, name
        assert "data" not in response.json()
        assert [error["extensions"]["code"] for error in response.json()["errors"]] == [code], name
        assert len(statements) == len(baseline), (name, statements[len(baseline) :])


@pytest.mark.parametrize(
    ("setting", "value", "query", "code", "details"),
    [
        ("graphql_max_tokens", 100, "{ " + "__typename " * 100 + "}", "TOO_MANY_TOKENS", {"maxTokens": 100}),
        ("graphql_max_depth", 4, "{ accounts { edges { node { parent { name } } } } }", "QUERY_TOO_DEEP",
         {"maxDepth": 4}),
        ("graphql_max_aliases", 2, "{ a: __typename b: __typename c: __typename }", "TOO_MANY_ALIASES",
         {"aliases": 3, "maxAliases": 2}),
        ("graphql_max_fields", 3, "{ __typename __typename accounts { totalCount } }", "TOO_MANY_FIELDS",
         {"fields": 4, "maxFields": 3}),
        ("graphql_max_cost", 40, "{ accounts { edges { node { name } } } }", "QUERY_TOO_COMPLEX",
         {"cost": 42, "maxCost": 40}),
        ("graphql_cost_list_size", 1000, "{ accounts(first: 100) { edges { node { contacts { name } } } } }",
         "QUERY_TOO_COMPLEX", {"cost": 100_202, "maxCost": 100_000}),
    ],
    ids=["tokens", "depth", "aliases", "fields", "cost", "list-size"],
)  # fmt: skip
async def test_each_limit_is_a_setting_with_its_own_code(
    settings: Settings, admin_key: str, setting: str, value: int, query: str, code: str, details: dict[str, int]
) -> None:
    async with app_client(settings, **{setting: value}) as (http, _):
        response = await http.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {admin_key}"})
    assert response.status_code == 200  # application/json: the legacy status rules
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": code, **details}
    assert str(value) in error["message"]


async def test_aliases_are_counted_before_validation_runs(settings: Settings, admin_key: str) -> None:
    # 10,000 aliases of one field: the overlapping-fields validation rule alone would take minutes on them.
    async with app_client(settings, graphql_max_tokens=100_000) as (http, _):
        started = time.perf_counter()
        response = await http.post(
            "/graphql", json={"query": ALIASES}, headers={"Authorization": f"Bearer {admin_key}"}
        )
        answered_after = time.perf_counter() - started  # the request alone, not the app's shutdown
    codes = [error["extensions"]["code"] for error in response.json()["errors"]]
    assert codes == ["TOO_MANY_ALIASES", "TOO_MANY_FIELDS"]
    # Validating these aliases takes minutes; refused before validation, the answer takes well under a second
    # (the bound leaves room for a machine busy with other work).
    assert answered_after < 30


async def test_within_the_limits_an_operation_runs(settings: Settings, admin_key: str) -> None:
    async with app_client(settings, graphql_max_cost=42, graphql_max_depth=4) as (http, _):
        response = await http.post(
            "/graphql",
            json={"query": "{ accounts { edges { node { name } } } }"},
            headers={"Authorization": f"Bearer {admin_key}"},
        )
    assert response.json() == {"data": {"accounts": {"edges": []}}}


async def test_a_document_that_exhausts_validation_under_a_raised_field_limit_is_told_why(
    settings: Settings, admin_key: str
) -> None:
    async with app_client(settings, graphql_max_fields=100_000) as (http, _):
        response = await http.post(
            "/graphql",
            json={"query": DUPLICATES},
            headers={"Authorization": f"Bearer {admin_key}", "Accept": "application/graphql-response+json"},
        )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX"}
    assert "too complex to validate" in error["message"]
