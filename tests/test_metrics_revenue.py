"""Revenue metrics on a small hand-computed history (every number below is worked out by hand in the
comments), and through GraphQL: roles, validation, one statement per metric call.

The history, period [2025-01-01, 2025-04-01), MRR on 01-01 / 02-01 / 03-01 / 04-01 in USD:

    A steady       enterprise  open-ended Core 100                        100 100 100 100
    B grower       enterprise  Core 200, + Insights 50 from 02-15         200 200 250 250
    C shrinker     enterprise  Core 300 until 03-01, renewed at 120       300 300 120 120
    D leaver       smb         Core 80, contract ends exactly on 04-01     80  80  80   0
    E downgraded   smb, no CSM Core 60 until 02-01; a free Insights line   60   0   0   0
    F newcomer     startup     Core 500 from 02-01 (a free trial in 2024)   0 500 500 500
    G returner     smb         Core 90 2023 to 2024-12-01, again from 03-15 0   0   0  90
    J upsold       enterprise  Core 100 → 150 on 02-10; Insights 40 → 03-01 140 140 150 150
    H drafty       smb         a draft and a cancelled contract of 1000: never counts
    I euro         mid_market  EUR Core 400 open-ended (USD: nothing)
                                                                   total  880 1320 1200 1210
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.api_keys.roles import Role
from service.metrics import revenue, revenue_expansion, revenue_movements
from service.metrics.dimensions import Dimension
from service.metrics.periods import Period
from service.metrics.revenue_inputs import BucketSize, bucket_count
from service.metrics.revenue_sql import grouping
from service.settings import Settings
from tests.app_client import app_client
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.revenue_history import Customer, Deal, History, Line, d, load_history, usd
from tests.statements import counting_statements

FROM, TO = d("2025-01-01"), d("2025-04-01")
PERIOD = Period(FROM, TO)
OPEN = None

HISTORY = History(
    customers=(
        Customer("A steady", segment="enterprise"),
        Customer("B grower", segment="enterprise"),
        Customer("C shrinker", segment="enterprise"),
        Customer("D leaver", segment="smb"),
        Customer("E downgraded", segment="smb", csm_owner=None),
        Customer("F newcomer", segment="startup"),
        Customer("G returner", segment="smb"),
        Customer("J upsold", segment="enterprise"),
        Customer("H drafty", segment="smb"),
        Customer("I euro", segment="mid_market"),
    ),
    deals=(
        Deal("A steady", d("2024-01-01"), OPEN, (Line("Core", usd(100)),)),
        Deal(
            "B grower",
            d("2024-06-01"),
            d("2026-06-01"),
            (Line("Core", usd(200)), Line("Insights", usd(50), start=d("2025-02-15"))),
        ),
        Deal("C shrinker", d("2024-01-01"), d("2025-03-01"), (Line("Core", usd(300)),), status="ended"),
        Deal("C shrinker", d("2025-03-01"), OPEN, (Line("Core", usd(120)),)),
        Deal("D leaver", d("2024-01-01"), d("2025-04-01"), (Line("Core", usd(80)),)),
        Deal(
            "E downgraded",
            d("2024-01-01"),
            OPEN,
            (Line("Core", usd(60), end=d("2025-02-01")), Line("Insights", usd(0))),
        ),
        Deal("F newcomer", d("2024-10-01"), d("2024-12-01"), (Line("Core", usd(0)),), status="ended"),  # free trial
        Deal("F newcomer", d("2025-02-01"), OPEN, (Line("Core", usd(500)),)),
        Deal("G returner", d("2023-01-01"), d("2024-12-01"), (Line("Core", usd(90)),), status="ended"),
        Deal("G returner", d("2025-03-15"), OPEN, (Line("Core", usd(90)),)),
        Deal(
            "J upsold",
            d("2024-01-01"),
            OPEN,
            (
                Line("Core", usd(100), end=d("2025-02-10")),
                Line("Core", usd(150), start=d("2025-02-10")),
                Line("Insights", usd(40), end=d("2025-03-01")),
            ),
        ),
        Deal("H drafty", d("2024-01-01"), OPEN, (Line("Core", usd(1000)),), status="draft"),
        Deal("H drafty", d("2024-01-01"), OPEN, (Line("Core", usd(1000)),), status="cancelled"),
        Deal("I euro", d("2024-01-01"), OPEN, (Line("Core", usd(400)),), currency="EUR"),
    ),
)


@pytest.fixture
async def history(engine: AsyncEngine) -> None:
    await load_history(engine, HISTORY)


def fields(row: Any, *names: str) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in names)


RETENTION = (
    "cohort_accounts",
    "churned_accounts",
    "start_mrr",
    "end_mrr",
    "churned_mrr",
    "contraction_mrr",
    "expansion_mrr",
)


async def test_retention_follows_the_definitions(history: None, conn: AsyncConnection) -> None:
    [row] = await revenue.revenue_retention(conn, PERIOD, grouping(()), "USD")
    # Cohort A B C D E J (F and G had nothing on 01-01; H never counts; I is EUR). D ends on `to` (exclusive):
    # churned; E kept only a free line: churned. C contracted 180; B grew 50, J 10.
    assert row.group == ()
    assert fields(row, *RETENTION) == (6, 2, usd(880), usd(620), usd(140), usd(180), usd(60))
    assert float(row.logo_churn_rate or 0) == pytest.approx(2 / 6, abs=1e-15)
    assert float(row.nrr or 0) == pytest.approx(620 / 880, abs=1e-15)
    assert float(row.grr or 0) == pytest.approx(560 / 880, abs=1e-15)
    assert float(row.gross_mrr_churn_rate or 0) == pytest.approx(320 / 880, abs=1e-15)


async def test_retention_by_segment_keeps_a_group_of_new_accounts_with_null_ratios(
    history: None, conn: AsyncConnection
) -> None:
    rows = await revenue.revenue_retention(conn, PERIOD, grouping((Dimension.SEGMENT,)), "USD")
    by_segment = {row.group: row for row in rows}
    assert list(by_segment) == [("enterprise",), ("smb",), ("startup",)]
    assert fields(by_segment[("enterprise",)], *RETENTION) == (4, 0, usd(740), usd(620), 0, usd(180), usd(60))
    # G (smb) only came back at the end: not in the cohort, and its 90 is not in end MRR.
    assert fields(by_segment[("smb",)], *RETENTION) == (2, 2, usd(140), 0, usd(140), 0, 0)
    assert by_segment[("smb",)].nrr == 0
    startup = by_segment[("startup",)]
    assert fields(startup, *RETENTION) == (0, 0, 0, 0, 0, 0, 0)
    assert (startup.logo_churn_rate, startup.nrr, startup.grr, startup.gross_mrr_churn_rate) == (None,) * 4


async def test_retention_group_value_is_null_for_accounts_without_the_attribute(
    history: None, conn: AsyncConnection
) -> None:
    rows = await revenue.revenue_retention(conn, PERIOD, grouping((Dimension.CSM_OWNER,)), "USD")
    assert [(row.group, row.cohort_accounts, row.start_mrr) for row in rows] == [
        (("Alex",), 5, usd(820)),
        ((None,), 1, usd(60)),  # E, last
    ]


async def test_retention_by_product_treats_each_account_product_as_a_unit(history: None, conn: AsyncConnection) -> None:
    rows = await revenue.revenue_retention(conn, PERIOD, grouping((Dimension.PRODUCT,)), "USD")
    by_product = {row.group: row for row in rows}
    # Core: cohort A B C D E J at 840; J's Core grew 50 (its Insights shrank, which the account view nets).
    assert fields(by_product[("Core",)], *RETENTION) == (6, 2, usd(840), usd(570), usd(140), usd(180), usd(50))
    # Insights: only J had it on 01-01 and dropped it; B's new Insights is not in the cohort; E's free line is
    # no revenue.
    assert fields(by_product[("Insights",)], *RETENTION) == (1, 1, usd(40), 0, usd(40), 0, 0)
    assert sum(row.start_mrr for row in rows) == usd(880)


async def test_retention_counts_only_the_asked_currency(history: None, conn: AsyncConnection) -> None:
    [row] = await revenue.revenue_retention(conn, PERIOD, grouping(()), "EUR")
    assert fields(row, *RETENTION) == (1, 0, usd(400), usd(400), 0, 0, 0)
    [nothing] = await revenue.revenue_retention(conn, PERIOD, grouping(()), "GBP")
    assert fields(nothing, *RETENTION) == (0,) * 7


async def test_an_empty_cohort_is_one_row_with_null_ratios(history: None, conn: AsyncConnection) -> None:
    [row] = await revenue.revenue_retention(conn, Period(d("2020-01-01"), d("2021-01-01")), grouping(()), "USD")
    assert fields(row, *RETENTION) == (0,) * 7
    assert (row.logo_churn_rate, row.nrr, row.grr, row.gross_mrr_churn_rate) == (None,) * 4
    assert (
        await revenue.revenue_retention(
            conn, Period(d("2020-01-01"), d("2021-01-01")), grouping((Dimension.SEGMENT,)), "USD"
        )
        == []
    )


async def test_arr_on_a_day(history: None, conn: AsyncConnection) -> None:
    [start] = await revenue.arr(conn, FROM, grouping(()), "USD")
    assert (start.accounts, start.mrr, start.arr) == (6, usd(880), usd(10560))
    # On 04-01: D has ended (end exclusive), E only has a free line (not an account with MRR), G is back.
    [end] = await revenue.arr(conn, TO, grouping(()), "USD")
    assert (end.accounts, end.mrr, end.arr) == (6, usd(1210), usd(14520))
    by_product = await revenue.arr(conn, TO, grouping((Dimension.PRODUCT, Dimension.SEGMENT)), "USD")
    assert [(row.group, row.accounts, row.mrr) for row in by_product] == [
        (("Core", "enterprise"), 4, usd(570)),
        (("Core", "smb"), 1, usd(90)),
        (("Core", "startup"), 1, usd(500)),
        (("Insights", "enterprise"), 1, usd(250 - 200)),
    ]
    [euro] = await revenue.arr(conn, FROM, grouping(()), "EUR")
    assert (euro.accounts, euro.arr) == (1, usd(4800))
    [none] = await revenue.arr(conn, d("2000-01-01"), grouping(()), "USD")
    assert (none.accounts, none.mrr, none.arr) == (0, usd(0), usd(0))


MOVEMENT = (
    "start_mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "end_mrr",
)


async def test_movements_per_month(history: None, conn: AsyncConnection) -> None:
    rows = await revenue_movements.mrr_movements(conn, PERIOD, BucketSize.MONTH, grouping(()), "USD")
    assert [(row.bucket_start, row.bucket_end) for row in rows] == [
        (d("2025-01-01"), d("2025-02-01")),
        (d("2025-02-01"), d("2025-03-01")),
        (d("2025-03-01"), d("2025-04-01")),
    ]
    jan, feb, mar = rows
    # January: E downgraded to zero (churn 60), F started on 02-01: new, its free trial was never revenue.
    assert fields(jan, *MOVEMENT) == (usd(880), usd(500), 0, 0, usd(60), 0, usd(1320))
    assert (jan.new_accounts, jan.churned_accounts, jan.reactivated_accounts) == (1, 1, 0)
    # February: B +50 and J +10 expansion, C −180 contraction.
    assert fields(feb, *MOVEMENT) == (usd(1320), 0, usd(60), usd(180), 0, 0, usd(1200))
    # March: D churned (ends on 04-01), G came back (had revenue in 2023-24): reactivation, not new.
    assert fields(mar, *MOVEMENT) == (usd(1200), 0, 0, 0, usd(80), usd(90), usd(1210))
    assert (mar.new_accounts, mar.churned_accounts, mar.reactivated_accounts) == (0, 1, 1)


async def test_movements_buckets_are_calendar_periods_cut_to_the_range(history: None, conn: AsyncConnection) -> None:
    within = Period(d("2025-01-15"), d("2025-08-01"))
    rows = await revenue_movements.mrr_movements(conn, within, BucketSize.QUARTER, grouping(()), "USD")
    assert [(row.bucket_start, row.bucket_end) for row in rows] == [
        (d("2025-01-15"), d("2025-04-01")),
        (d("2025-04-01"), d("2025-07-01")),
        (d("2025-07-01"), d("2025-08-01")),
    ]
    assert len(rows) == bucket_count(within, BucketSize.QUARTER)
    first = rows[0]
    # 01-15: as on 01-01 (880); to 04-01: F new 500, G reactivated 90, B +50, J +10, C −180, D and E churned 140.
    assert fields(first, *MOVEMENT) == (usd(880), usd(500), usd(60), usd(180), usd(140), usd(90), usd(1210))
    assert all(fields(row, *MOVEMENT)[0] == fields(row, *MOVEMENT)[-1] == usd(1210) for row in rows[1:])


async def test_movements_grouped_fill_every_bucket_of_a_group(history: None, conn: AsyncConnection) -> None:
    rows = await revenue_movements.mrr_movements(conn, PERIOD, BucketSize.MONTH, grouping((Dimension.SEGMENT,)), "USD")
    startup = [row for row in rows if row.group == ("startup",)]
    assert [fields(row, "start_mrr", "new_mrr", "end_mrr") for row in startup] == [
        (0, usd(500), usd(500)),
        (usd(500), 0, usd(500)),
        (usd(500), 0, usd(500)),
    ]
    assert [row.group for row in rows[::3]] == [("enterprise",), ("smb",), ("startup",)]
    assert (
        await revenue_movements.mrr_movements(conn, PERIOD, BucketSize.MONTH, grouping((Dimension.SEGMENT,)), "GBP")
        == []
    )
    assert len(await revenue_movements.mrr_movements(conn, PERIOD, BucketSize.MONTH, grouping(()), "GBP")) == 3


async def test_movements_by_product_classify_each_product(history: None, conn: AsyncConnection) -> None:
    rows = await revenue_movements.mrr_movements(conn, PERIOD, BucketSize.MONTH, grouping((Dimension.PRODUCT,)), "USD")
    insights = [fields(row, *MOVEMENT) for row in rows if row.group == ("Insights",)]
    # Feb: B's Insights is new (B never had it); J's Insights ended on 03-01: churn of that product.
    assert insights == [
        (usd(40), 0, 0, 0, 0, 0, usd(40)),
        (usd(40), usd(50), 0, 0, usd(40), 0, usd(50)),
        (usd(50), 0, 0, 0, 0, 0, usd(50)),
    ]


async def test_expansion_splits_upsell_and_cross_sell(history: None, conn: AsyncConnection) -> None:
    [row] = await revenue_expansion.expansion(conn, PERIOD, grouping(()), "USD")
    # J upsold Core by 50 (its Insights loss does not offset it); B cross-sold Insights 50. F is new business.
    assert fields(
        row, "cohort_accounts", "start_mrr", "upsell_accounts", "upsell_mrr", "cross_sell_accounts", "cross_sell_mrr"
    ) == (6, usd(880), 1, usd(50), 1, usd(50))
    by_product = {
        row.group: fields(row, "cohort_accounts", "upsell_mrr", "cross_sell_accounts", "cross_sell_mrr")
        for row in await revenue_expansion.expansion(conn, PERIOD, grouping((Dimension.PRODUCT,)), "USD")
    }
    assert by_product == {("Core",): (6, usd(50), 0, 0), ("Insights",): (1, 0, 1, usd(50))}


async def test_contract_status_today_does_not_erase_history(engine: AsyncEngine, conn: AsyncConnection) -> None:
    await load_history(
        engine,
        History(
            (Customer("K"),),
            (Deal("K", d("2024-01-01"), d("2025-03-01"), (Line("Core", usd(70)),), status="ended"),),
        ),
    )
    [row] = await revenue.revenue_retention(conn, PERIOD, grouping(()), "USD")
    assert fields(row, "cohort_accounts", "churned_accounts", "churned_mrr") == (1, 1, usd(70))


# Through GraphQL ---------------------------------------------------------------------------------------------

ALL_FIELDS = """
query Revenue($from: Date!, $to: Date!, $groupBy: [MetricDimension!], $currency: String! = "USD") {
  metrics {
    revenueRetention(from: $from, to: $to, groupBy: $groupBy, currency: $currency) {
      group { dimension value } currency cohortAccounts churnedAccounts logoChurnRate startMrr endMrr churnedMrr
      contractionMrr expansionMrr nrr grr grossMrrChurnRate
    }
    arr(asOf: $to, groupBy: $groupBy, currency: $currency) { group { dimension value } accounts mrr arr }
    mrrMovements(from: $from, to: $to, interval: MONTH, groupBy: $groupBy, currency: $currency) {
      group { value } bucketStart bucketEnd startMrr newMrr expansionMrr contractionMrr churnedMrr reactivationMrr
      endMrr newAccounts reactivatedAccounts churnedAccounts
    }
    expansion(from: $from, to: $to, groupBy: $groupBy, currency: $currency) {
      group { value } cohortAccounts startMrr upsellAccounts upsellMrr crossSellAccounts crossSellMrr
    }
  }
}
"""


async def test_graphql_answers_with_decimal_strings_and_float_ratios(
    history: None, client: httpx.AsyncClient, admin_key: str
) -> None:
    body = await gql(client, admin_key, ALL_FIELDS, {"from": "2025-01-01", "to": "2025-04-01"})
    assert "errors" not in body, body
    metrics = body["data"]["metrics"]
    assert metrics["revenueRetention"] == [
        {
            "group": [],
            "currency": "USD",
            "cohortAccounts": 6,
            "churnedAccounts": 2,
            "logoChurnRate": pytest.approx(1 / 3),
            "startMrr": "880.00",
            "endMrr": "620.00",
            "churnedMrr": "140.00",
            "contractionMrr": "180.00",
            "expansionMrr": "60.00",
            "nrr": pytest.approx(620 / 880),
            "grr": pytest.approx(560 / 880),
            "grossMrrChurnRate": pytest.approx(320 / 880),
        }
    ]
    assert metrics["arr"] == [{"group": [], "accounts": 6, "mrr": "1210.00", "arr": "14520.00"}]
    assert [row["endMrr"] for row in metrics["mrrMovements"]] == ["1320.00", "1200.00", "1210.00"]
    assert metrics["expansion"][0]["crossSellMrr"] == "50.00"


async def test_graphql_group_values_follow_group_by_order(
    history: None, client: httpx.AsyncClient, admin_key: str
) -> None:
    body = await gql(
        client,
        admin_key,
        ALL_FIELDS,
        {"from": "2025-01-01", "to": "2025-04-01", "groupBy": ["SEGMENT", "CSM_OWNER", "SEGMENT"], "currency": "USD"},
    )
    assert "errors" not in body, body
    groups = [row["group"] for row in body["data"]["metrics"]["revenueRetention"]]
    assert groups[0] == [{"dimension": "SEGMENT", "value": "enterprise"}, {"dimension": "CSM_OWNER", "value": "Alex"}]
    assert [{"dimension": "SEGMENT", "value": "smb"}, {"dimension": "CSM_OWNER", "value": None}] in groups


@pytest.mark.parametrize("role", [Role.BI, Role.CSM, Role.ADMIN])
async def test_readers_may_ask(history: None, client: httpx.AsyncClient, engine: AsyncEngine, role: Role) -> None:
    key = await make_key(engine, role, f"{role.value} reader")
    body = await gql(client, key, ALL_FIELDS, {"from": "2025-01-01", "to": "2025-04-01"})
    assert "errors" not in body, body


@pytest.mark.parametrize("role", [Role.SALES, Role.INGEST])
async def test_other_roles_are_forbidden(client: httpx.AsyncClient, engine: AsyncEngine, role: Role) -> None:
    key = await make_key(engine, role, f"{role.value} key")
    body = await gql(client, key, ALL_FIELDS, {"from": "2025-01-01", "to": "2025-04-01"})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ('revenueRetention(from: "2025-04-01", to: "2025-04-01") { startMrr }', "must be after from"),
        ('revenueRetention(from: "2025-04-01", to: "2025-01-01") { startMrr }', "must be after from"),
        ('expansion(from: "2000-01-01", to: "2025-01-01") { upsellMrr }', "spans more than 20 years"),
        ('arr(asOf: "2025-01-01", currency: "usd") { arr }', "not an ISO 4217 currency code"),
        ('revenueRetention(from: "2025-01-01", to: "2025-02-01", currency: "DOLLAR") { nrr }', "ISO 4217"),
        ('mrrMovements(from: "2000-01-15", to: "2020-01-10", interval: MONTH) { endMrr }', "241 month buckets"),
    ],
)
async def test_invalid_arguments_are_bad_user_input(
    client: httpx.AsyncClient, admin_key: str, arguments: str, message: str
) -> None:
    body = await gql(client, admin_key, f"{{ metrics {{ {arguments} }} }}")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


async def test_quarters_allow_a_longer_range_than_months(client: httpx.AsyncClient, admin_key: str) -> None:
    query = '{ metrics { mrrMovements(from: "2000-01-01", to: "2019-12-31", interval: QUARTER) { bucketStart } } }'
    body = await gql(client, admin_key, query)
    assert "errors" not in body, body
    assert len(body["data"]["metrics"]["mrrMovements"]) == 80


@pytest.fixture
def statements() -> Iterator[list[str]]:
    with counting_statements() as seen:
        yield seen


async def test_one_statement_per_metric_call(
    history: None, settings: Settings, admin_key: str, statements: list[str]
) -> None:
    # Every metric grouped by every dimension is priced at 1,000 groups (× 15 buckets): past the default cost limit.
    async with app_client(settings, graphql_max_cost=1_000_000) as (client, _):
        await gql(client, admin_key, "{ metrics { dimensions } }")  # the key's first use is recorded
        statements.clear()
        await gql(client, admin_key, "{ metrics { dimensions } }")
        baseline = len(statements)
        statements.clear()
        for group_by in (None, ["SEGMENT"], ["PRODUCT", "INDUSTRY", "TOUCH_MODEL", "LIFECYCLE_STAGE", "CSM_OWNER"]):
            variables = {"from": "2024-01-01", "to": "2025-04-01", "groupBy": group_by}
            body = await gql(client, admin_key, ALL_FIELDS, variables)
            assert "errors" not in body, body
            assert len(body["data"]["metrics"]["mrrMovements"]) >= 15
            # One statement per metric call, nothing else.
            revenue_statements = [statement for statement in statements if "contract_lines" in statement]
            assert len(revenue_statements) == 4, revenue_statements
            assert len(statements) == baseline + 4
            statements.clear()
