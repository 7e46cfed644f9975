"""GraphQL fields of the revenue metrics: retention, ARR, MRR movements, upsell/cross-sell.

Each field validates its arguments, runs one statement of its domain module (``service.metrics.revenue``,
``revenue_movements``, ``revenue_expansion``) on its own read connection and maps the rows; the definitions
are in those modules' docstrings and in every field's description. Money is a decimal string in the row's
currency; ratios are floats, null when their denominator is zero.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated

import strawberry

from service.graphql.context import Context
from service.metrics import dimensions, revenue, revenue_expansion, revenue_movements
from service.metrics.periods import currency_code, period
from service.metrics.revenue_inputs import BucketSize, bucketed
from service.metrics.revenue_sql import Grouping, grouping
from service.metrics.types import GroupValue, MetricDimension, MetricInterval, dimensions_of

MONEY_NOTE = "decimal string, in the row's currency"

From = Annotated[dt.date, strawberry.argument(name="from", description="First day of the period (UTC).")]
To = Annotated[dt.date, strawberry.argument(description="First day after the period (exclusive, UTC); after from.")]
GroupBy = Annotated[
    list[MetricDimension] | None,
    strawberry.argument(
        description="Dimensions to group by, in this order (duplicates ignored); PRODUCT splits each account's "
        "revenue by line product. Default: one row for everything."
    ),
]
Currency = Annotated[
    str,
    strawberry.argument(description="ISO 4217 code; only lines of contracts in this currency count (no conversion)."),
]


def _grouping(group_by: list[MetricDimension] | None) -> Grouping:
    return grouping(dimensions.chosen(dimensions_of(group_by), product=True))


def _group(chosen: Grouping, values: tuple[str | None, ...]) -> list[GroupValue]:
    return [
        GroupValue(dimension=MetricDimension(dimension.value), value=value)
        for dimension, value in zip(chosen.dimensions, values, strict=True)
    ]


def _ratio(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@strawberry.type(
    description="Revenue retention of one group over [from, to) (see docs/kpis.md). The start cohort is the accounts "
    "with MRR(from) > 0 — accounts new in the period are not in it; with PRODUCT grouping, the cohort of a "
    "product is the accounts with MRR(from) > 0 on that product's lines, each treated like an account."
)
class RevenueRetention:
    group: list[GroupValue] = strawberry.field(description="The group's dimension values, in groupBy order.")
    currency: str = strawberry.field(description="Currency of the amounts.")
    cohort_accounts: int = strawberry.field(description="Accounts in the start cohort (MRR(from) > 0).")
    churned_accounts: int = strawberry.field(description="Cohort accounts with MRR(to) = 0.")
    logo_churn_rate: float | None = strawberry.field(
        description="churnedAccounts / cohortAccounts; null for an empty cohort."
    )
    start_mrr: Decimal = strawberry.field(description=f"Σ MRR(from) over the cohort ({MONEY_NOTE}).")
    end_mrr: Decimal = strawberry.field(
        description=f"Σ MRR(to) over the cohort, new accounts excluded ({MONEY_NOTE}); "
        "= start − churned − contraction + expansion."
    )
    churned_mrr: Decimal = strawberry.field(description=f"Σ MRR(from) of churned cohort accounts ({MONEY_NOTE}).")
    contraction_mrr: Decimal = strawberry.field(
        description=f"Σ (MRR(from) − MRR(to)) over cohort accounts with 0 < MRR(to) < MRR(from) ({MONEY_NOTE})."
    )
    expansion_mrr: Decimal = strawberry.field(
        description=f"Σ (MRR(to) − MRR(from)) over cohort accounts with MRR(to) > MRR(from) ({MONEY_NOTE})."
    )
    nrr: float | None = strawberry.field(description="Net revenue retention: endMrr / startMrr; null when start is 0.")
    grr: float | None = strawberry.field(
        description="Gross revenue retention: (start − churned − contraction) / start; null when start is 0."
    )
    gross_mrr_churn_rate: float | None = strawberry.field(
        description="(churned + contraction) / start = 1 − grr; null when start is 0."
    )

    @classmethod
    def from_row(cls, row: revenue.RetentionRow, chosen: Grouping, currency: str) -> "RevenueRetention":
        return cls(
            group=_group(chosen, row.group),
            currency=currency,
            cohort_accounts=row.cohort_accounts,
            churned_accounts=row.churned_accounts,
            logo_churn_rate=_ratio(row.logo_churn_rate),
            start_mrr=row.start_mrr,
            end_mrr=row.end_mrr,
            churned_mrr=row.churned_mrr,
            contraction_mrr=row.contraction_mrr,
            expansion_mrr=row.expansion_mrr,
            nrr=_ratio(row.nrr),
            grr=_ratio(row.grr),
            gross_mrr_churn_rate=_ratio(row.gross_mrr_churn_rate),
        )


@strawberry.type(description="ARR of one group on one day: 12 × the MRR of lines active that day.")
class ArrSummary:
    group: list[GroupValue] = strawberry.field(description="The group's dimension values, in groupBy order.")
    currency: str = strawberry.field(description="Currency of the amounts.")
    accounts: int = strawberry.field(
        description="Accounts with MRR > 0 on the day (grouped by PRODUCT: with MRR > 0 on that product)."
    )
    mrr: Decimal = strawberry.field(description=f"Σ MRR of the lines active on the day ({MONEY_NOTE}).")
    arr: Decimal = strawberry.field(description=f"12 × mrr ({MONEY_NOTE}).")

    @classmethod
    def from_row(cls, row: revenue.ArrRow, chosen: Grouping, currency: str) -> "ArrSummary":
        return cls(group=_group(chosen, row.group), currency=currency, accounts=row.accounts, mrr=row.mrr, arr=row.arr)


@strawberry.type(
    description="How MRR moved in one bucket and group: startMrr + newMrr + expansionMrr + reactivationMrr − "
    "contractionMrr − churnedMrr = endMrr, exactly. Each account (with PRODUCT grouping: each account's "
    "revenue on one product) is classified by its MRR on the bucket's first day (s) and on the day after it "
    "(e): s = 0 < e is new when it never had MRR > 0 before the bucket, else reactivation; e = 0 < s is "
    "churn; 0 < s < e expansion; 0 < e < s contraction."
)
class MrrMovement:
    group: list[GroupValue] = strawberry.field(description="The group's dimension values, in groupBy order.")
    currency: str = strawberry.field(description="Currency of the amounts.")
    bucket_start: dt.date = strawberry.field(
        description="First day of the bucket: from, or the start of a calendar month/quarter (UTC)."
    )
    bucket_end: dt.date = strawberry.field(
        description="First day after the bucket (exclusive): the next calendar month/quarter start, or to."
    )
    start_mrr: Decimal = strawberry.field(description=f"MRR on bucketStart ({MONEY_NOTE}).")
    new_mrr: Decimal = strawberry.field(
        description=f"MRR on bucketEnd of accounts with none on bucketStart and never any before ({MONEY_NOTE})."
    )
    expansion_mrr: Decimal = strawberry.field(description=f"Increase of accounts that grew ({MONEY_NOTE}).")
    contraction_mrr: Decimal = strawberry.field(
        description=f"Decrease of accounts that shrank but kept MRR > 0 ({MONEY_NOTE})."
    )
    churned_mrr: Decimal = strawberry.field(
        description=f"MRR on bucketStart of accounts with none on bucketEnd ({MONEY_NOTE})."
    )
    reactivation_mrr: Decimal = strawberry.field(
        description=f"MRR on bucketEnd of returning accounts: none on bucketStart, but some before ({MONEY_NOTE})."
    )
    end_mrr: Decimal = strawberry.field(description=f"MRR on bucketEnd ({MONEY_NOTE}).")
    new_accounts: int = strawberry.field(description="Accounts counted as new.")
    reactivated_accounts: int = strawberry.field(description="Accounts counted as reactivated.")
    churned_accounts: int = strawberry.field(description="Accounts counted as churned.")

    @classmethod
    def from_row(cls, row: revenue_movements.MovementRow, chosen: Grouping, currency: str) -> "MrrMovement":
        return cls(
            group=_group(chosen, row.group),
            currency=currency,
            bucket_start=row.bucket_start,
            bucket_end=row.bucket_end,
            start_mrr=row.start_mrr,
            new_mrr=row.new_mrr,
            expansion_mrr=row.expansion_mrr,
            contraction_mrr=row.contraction_mrr,
            churned_mrr=row.churned_mrr,
            reactivation_mrr=row.reactivation_mrr,
            end_mrr=row.end_mrr,
            new_accounts=row.new_accounts,
            reactivated_accounts=row.reactivated_accounts,
            churned_accounts=row.churned_accounts,
        )


@strawberry.type(
    description="Upsell vs cross-sell of the start cohort (accounts with MRR(from) > 0) over [from, to), per "
    "product and gross: upsell is growth on products an account had on from (MRR > 0), cross-sell is MRR on "
    "to of products it did not have on from. Accounts new in the period are not counted."
)
class RevenueExpansion:
    group: list[GroupValue] = strawberry.field(description="The group's dimension values, in groupBy order.")
    currency: str = strawberry.field(description="Currency of the amounts.")
    cohort_accounts: int = strawberry.field(
        description="Cohort accounts in the group (grouped by PRODUCT: those that had the product on from)."
    )
    start_mrr: Decimal = strawberry.field(description=f"Their MRR on from ({MONEY_NOTE}).")
    upsell_accounts: int = strawberry.field(description="Cohort accounts with upsell.")
    upsell_mrr: Decimal = strawberry.field(
        description=f"Σ (MRR(to) − MRR(from)) per account and product it had on from and that grew ({MONEY_NOTE})."
    )
    cross_sell_accounts: int = strawberry.field(description="Cohort accounts with cross-sell.")
    cross_sell_mrr: Decimal = strawberry.field(
        description=f"Σ MRR(to) per account and product it did not have on from ({MONEY_NOTE})."
    )

    @classmethod
    def from_row(cls, row: revenue_expansion.ExpansionRow, chosen: Grouping, currency: str) -> "RevenueExpansion":
        return cls(
            group=_group(chosen, row.group),
            currency=currency,
            cohort_accounts=row.cohort_accounts,
            start_mrr=row.start_mrr,
            upsell_accounts=row.upsell_accounts,
            upsell_mrr=row.upsell_mrr,
            cross_sell_accounts=row.cross_sell_accounts,
            cross_sell_mrr=row.cross_sell_mrr,
        )


async def _revenue_retention(
    info: strawberry.Info[Context], from_: From, to: To, group_by: GroupBy = None, currency: Currency = "USD"
) -> list[RevenueRetention]:
    within, code, chosen = period(from_, to), currency_code(currency), _grouping(group_by)
    async with info.context.read() as conn:
        rows = await revenue.revenue_retention(conn, within, chosen, code)
    return [RevenueRetention.from_row(row, chosen, code) for row in rows]


async def _arr(
    info: strawberry.Info[Context],
    as_of: Annotated[dt.date, strawberry.argument(description="The day (UTC).")],
    group_by: GroupBy = None,
    currency: Currency = "USD",
) -> list[ArrSummary]:
    code, chosen = currency_code(currency), _grouping(group_by)
    async with info.context.read() as conn:
        rows = await revenue.arr(conn, as_of, chosen, code)
    return [ArrSummary.from_row(row, chosen, code) for row in rows]


async def _mrr_movements(
    info: strawberry.Info[Context],
    from_: From,
    to: To,
    interval: Annotated[MetricInterval, strawberry.argument(description="Bucket size (calendar, UTC).")],
    group_by: GroupBy = None,
    currency: Currency = "USD",
) -> list[MrrMovement]:
    size = BucketSize(str(interval.value))
    within, code, chosen = bucketed(period(from_, to), size), currency_code(currency), _grouping(group_by)
    async with info.context.read() as conn:
        rows = await revenue_movements.mrr_movements(conn, within, size, chosen, code)
    return [MrrMovement.from_row(row, chosen, code) for row in rows]


async def _expansion(
    info: strawberry.Info[Context], from_: From, to: To, group_by: GroupBy = None, currency: Currency = "USD"
) -> list[RevenueExpansion]:
    within, code, chosen = period(from_, to), currency_code(currency), _grouping(group_by)
    async with info.context.read() as conn:
        rows = await revenue_expansion.expansion(conn, within, chosen, code)
    return [RevenueExpansion.from_row(row, chosen, code) for row in rows]


@strawberry.type(
    description="Revenue metrics (see docs/kpis.md): retention, ARR, MRR movements, upsell and cross-sell."
)
class RevenueMetrics:
    revenue_retention: list[RevenueRetention] = strawberry.field(
        resolver=_revenue_retention,
        description="Retention of the start cohort over [from, to), one row per group (ungrouped: one row).",
    )
    arr: list[ArrSummary] = strawberry.field(
        resolver=_arr, description="ARR on asOf, one row per group with revenue (ungrouped: one row)."
    )
    mrr_movements: list[MrrMovement] = strawberry.field(
        resolver=_mrr_movements,
        description="MRR movements per bucket of [from, to) — calendar months or quarters intersected with the "
        "period, so the first and last may be partial — and per group (ungrouped: every bucket; at most 240).",
    )
    expansion: list[RevenueExpansion] = strawberry.field(
        resolver=_expansion, description="Upsell vs cross-sell of the start cohort over [from, to), one row per group."
    )
