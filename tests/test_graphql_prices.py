"""The cost estimate prices what a list field really returns: every list field has a rule, usage series and
metrics are priced from their periods, intervals and groups, pages from `first` whatever its JSON number type;
what the fields return matches their price."""

from typing import Any

import httpx
import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, parse
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api.limits import OperationLimits
from service.api.measure import measure
from service.api.prices import COST_CEILING, PRICES
from service.api.schema import schema
from service.graphql.relay import encode_global_id
from service.settings import Settings
from tests.app_client import app_client
from tests.factories import insert_accounts
from tests.graphql_client import gql

DEFAULTS = OperationLimits.from_settings(Settings.model_construct())


def cost(query: str, variables: dict[str, Any] | None = None, settings: Settings | None = None) -> int:
    limits = OperationLimits.from_settings(settings) if settings else DEFAULTS
    measurement = measure(
        schema._schema, parse(query), operation_name=None, variables=variables, pricing=limits.pricing, depth_cap=100
    )
    return measurement.cost


def list_fields() -> set[str]:
    found = set()
    for type_name, graphql_type in schema._schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            output = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if isinstance(output, GraphQLList):
                found.add(f"{type_name}.{field_name}")
    return found


def test_every_list_field_has_a_price_rule_and_every_rule_a_field() -> None:
    fields = list_fields()
    assert len(fields) > 70
    assert sorted(fields - PRICES.keys()) == [], "list fields without a rule in service.api.prices.PRICES"
    assert sorted(PRICES.keys() - fields) == [], "rules for fields the schema no longer has"


def usage(start: str, end: str, interval: str = "DAY") -> str:
    return f'{{ account(id: "x") {{ usage(from: "{start}", to: "{end}", interval: {interval}) {{ events }} }} }}'


@pytest.mark.parametrize(
    ("start", "end", "interval", "buckets"),
    [
        ("2026-01-01", "2026-01-31", "DAY", 30),
        ("2023-04-07", "2026-01-01", "DAY", 1000),
        ("2026-01-01", "2026-01-15", "WEEK", 3),  # Thursday: the weeks of Dec 29, Jan 5, Jan 12
        ("2026-01-05", "2026-01-19", "WEEK", 2),  # Mondays: exactly two weeks
        ("2025-12-31", "2026-03-01", "MONTH", 3),
        ("2026-01-01", "2026-01-01", "DAY", 0),  # refused by the field: nothing runs
        ("1900-01-01", "2199-12-31", "DAY", 1001),  # refused by the field: more than it accepts
    ],
)
def test_a_usage_series_is_priced_by_its_buckets(start: str, end: str, interval: str, buckets: int) -> None:
    # account 1 + usage (1 + buckets × events 1)
    assert cost(usage(start, end, interval)) == 1 + 1 + buckets


async def test_usage_series_return_as_many_buckets_as_they_are_priced(
    client: httpx.AsyncClient, admin_key: str, engine: AsyncEngine
) -> None:
    (account_id,) = await insert_accounts(engine, "Acme")
    account = encode_global_id("Account", account_id)
    query = "query($id: ID!, $from: Date!, $to: Date!, $interval: UsageInterval!) { account(id: $id) { " \
        "usage(from: $from, to: $to, interval: $interval) { periodStart } } }"  # fmt: skip
    for start, end, interval in [
        ("2026-01-01", "2026-03-15", "DAY"),
        ("2026-01-01", "2026-03-15", "WEEK"),
        ("2025-12-31", "2026-03-01", "MONTH"),
        ("2026-03-02", "2026-03-09", "WEEK"),
        ("2023-04-07", "2026-01-01", "DAY"),
    ]:
        variables = {"id": account, "from": start, "to": end, "interval": interval}
        body = await gql(client, admin_key, query, variables)
        returned = len(body["data"]["account"]["usage"])
        assert cost(query, variables) == 1 + 1 + returned, (start, end, interval)


def movements(group_by: str, start: str = "2025-01-01", end: str = "2026-01-01", interval: str = "MONTH") -> str:
    return f'{{ metrics {{ mrrMovements(from: "{start}", to: "{end}", interval: {interval}{group_by}) ' \
        "{ startMrr } } }"  # fmt: skip


def test_metrics_are_priced_by_their_buckets_and_groups() -> None:
    def rows(query: str) -> int:
        return cost(query) - 2  # metrics 1 + mrrMovements (1 + rows × startMrr 1)

    assert rows(movements("")) == 12
    assert rows(movements("", interval="QUARTER")) == 4
    assert rows(movements("", "2006-01-01", "2026-01-01")) == 240
    assert rows(movements(", groupBy: [SEGMENT]")) == 12 * 5  # four segments and null
    assert rows(movements(", groupBy: SEGMENT")) == 12 * 5  # one value is a list of one
    assert rows(movements(", groupBy: [SEGMENT, SEGMENT, TOUCH_MODEL]")) == 12 * 5 * 4
    assert rows(movements(", groupBy: [CSM_OWNER]")) == 12 * 50  # free text: CSHUB_GRAPHQL_COST_GROUP_VALUES
    assert rows(movements(", groupBy: [CSM_OWNER, INDUSTRY, PRODUCT]")) == 12 * 1000  # CSHUB_GRAPHQL_COST_MAX_GROUPS
    # The request that once ran for minutes: 240 monthly buckets of every CSM, industry and product.
    assert cost(movements(", groupBy: [CSM_OWNER, INDUSTRY, PRODUCT]", "2006-01-01", "2026-01-01")) > 100_000
    # A row's group holds one value per dimension.
    grouped = '{ metrics { nps(from: "2025-01-01", to: "2026-01-01", groupBy: [SEGMENT, INDUSTRY]) ' \
        "{ group { value } } } }"  # fmt: skip
    assert cost(grouped) == 1 + 1 + 5 * 50 * (1 + 2 * 1)
    voice = '{ metrics { voiceOfCustomer(from: "2025-01-01", to: "2026-01-01") { requests } } }'
    assert cost(voice) == 1 + 1 + 4  # every category


def test_group_and_list_estimates_are_settings() -> None:
    settings = Settings.model_construct(graphql_cost_group_values=7, graphql_cost_max_groups=40)
    assert cost(movements(", groupBy: [CSM_OWNER]"), settings=settings) == 2 + 12 * 7
    assert cost(movements(", groupBy: [CSM_OWNER, INDUSTRY]"), settings=settings) == 2 + 12 * 40


def test_the_incident_requests_are_refused() -> None:
    # 30 aliases × 100 accounts × 1,000 daily buckets: priced 99,060 when every list was 10 items.
    usage_field = 'usage(from: "2023-04-07", to: "2026-01-01", interval: DAY) { periodStart events activeUsers }'
    query = "{ " + " ".join(f"a{i}: accounts(first: 100) {{ edges {{ node {{ {usage_field} }} }} }}" for i in range(30))
    assert cost(query + " }") > 90 * DEFAULTS.max_cost


@pytest.mark.parametrize(
    ("first", "items"),
    [(100, 100), (100.0, 100), (99.5, 100), (-3, 0), (None, 20), (True, 20), ("100", 20)],
    ids=["int", "float", "fraction", "negative", "null", "boolean", "string"],
)
def test_first_is_priced_as_the_field_will_read_it(first: object, items: int) -> None:
    query = "query($n: Int) { accounts(first: $n) { edges { node { name } } } }"
    assert cost(query, {"n": first}) == 1 + 1 + items * 2


def test_a_page_too_large_to_count_is_priced_at_the_ceiling() -> None:
    query = "query($n: Int) { accounts(first: $n) { edges { node { name } } } }"
    assert cost(query, {"n": float("inf")}) == COST_CEILING
    assert cost(query, {"n": 10**30}) == COST_CEILING


def test_variables_default_and_out_of_range_inputs_do_not_break_the_estimate() -> None:
    query = "query($from: Date! = \"2026-01-01\", $to: Date!) { account(id: \"x\") { " \
        "usage(from: $from, to: $to) { events } } }"  # fmt: skip
    assert cost(query, {"to": "2026-01-11"}) == 1 + 1 + 10  # the default interval is DAY
    for start, end in [("0001-01-01", "9999-12-31"), ("2026-02-30", "2026-03-01"), ("yesterday", 5), (None, [])]:
        assert cost(query, {"from": start, "to": end}) <= 1 + 1 + 1001  # the most the field accepts
    weird = '{ metrics { mrrMovements(from: "1990-01-01", to: "2190-12-31", interval: DECADE, groupBy: [1, {}]) ' \
        "{ startMrr } } }"  # fmt: skip
    assert cost(weird) == 2 + 240 * 1000
    # Dates the Date scalar refuses (outside 1900-2199) fail the operation before it runs, naming the range:
    # the estimate neither refuses them first nor computes with them.
    for outside in ('from: "0001-01-01", to: "2026-01-01"', 'from: "2026-01-01", to: "9999-12-31"'):
        assert cost(f"{{ metrics {{ mrrMovements({outside}) {{ startMrr }} }} }}") == 2
        assert cost(f'{{ account(id: "x") {{ healthHistory({outside}) {{ score }} }} }}') == 2
    history = '{ account(id: "x") { healthHistory(from: "2026-01-01", to: "2026-01-11") { score } } }'
    assert cost(history) == 1 + 1 + 10 * 24 * 1  # a score an hour (CSHUB_HEALTH_RECOMPUTE_INTERVAL_SECONDS)


async def test_a_float_page_size_is_refused_where_its_integer_is(settings: Settings, admin_key: str) -> None:
    query = "query($n: Int) { accounts(first: $n) { edges { node { name } } } }"
    codes = []
    async with app_client(settings, graphql_max_cost=100) as (http, _):
        for first in (20, 20.0, 100, 100.0, 1e2):
            response = await http.post(
                "/graphql",
                json={"query": query, "variables": {"n": first}},
                headers={"Authorization": f"Bearer {admin_key}"},
            )
            codes.append([error["extensions"]["code"] for error in response.json().get("errors", [])])
    assert codes == [[], [], ["QUERY_TOO_COMPLEX"], ["QUERY_TOO_COMPLEX"], ["QUERY_TOO_COMPLEX"]]


async def test_metric_rows_match_their_price(client: httpx.AsyncClient, admin_key: str) -> None:
    query = "query($from: Date!, $to: Date!, $interval: MetricInterval!) { metrics { " \
        "mrrMovements(from: $from, to: $to, interval: $interval) { bucketStart } } }"  # fmt: skip
    for start, end, interval in [("2025-01-15", "2026-02-01", "MONTH"), ("2024-11-30", "2026-01-01", "QUARTER")]:
        variables = {"from": start, "to": end, "interval": interval}
        body = await gql(client, admin_key, query, variables)
        assert cost(query, variables) == 2 + len(body["data"]["metrics"]["mrrMovements"])
