"""Revenue metrics over random contract histories (hypothesis): the SQL agrees with a straightforward Python
implementation of docs/kpis.md written here from the definitions, and the identities BI relies on hold —
NRR = GRR + expansion/start, churned ≤ cohort, movements add up and chain, groups sum back to the total.

Each example inserts its history in a transaction on its own connection and rolls it back at the end.
"""

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from service.metrics import revenue, revenue_expansion, revenue_movements
from service.metrics.dimensions import Dimension
from service.metrics.periods import Period
from service.metrics.revenue_inputs import BucketSize
from service.metrics.revenue_sql import Grouping, grouping
from tests.revenue_history import Customer, Deal, History, Line, insert_history

BASE = dt.date(2024, 1, 1)
ZERO = Decimal("0.00")
PRODUCTS = ("Core", "Insights", "Support")
NOT_COUNTED = ("draft", "cancelled")
EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    # The engine is the suite's; each example cleans up after itself (rollback), so sharing it is safe.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

Key = tuple[str, str | None]  # (account name, product name or None)
Group = tuple[str | None, ...]


# Random histories ---------------------------------------------------------------------------------------------

# Calendar month starts (bucket boundaries) and their neighbours come up often, so that lines start and end
# exactly on a boundary, on `from` and on `to`.
MONTH_STARTS = [dt.date(2024 + m // 12, m % 12 + 1, 1) for m in range(30)]
days = st.one_of(
    st.sampled_from(MONTH_STARTS),
    st.tuples(st.sampled_from(MONTH_STARTS), st.sampled_from([-1, 1])).map(lambda p: p[0] + dt.timedelta(days=p[1])),
    st.integers(min_value=0, max_value=900).map(lambda n: BASE + dt.timedelta(days=n)),
)


@st.composite
def ends(draw: st.DrawFn, start: dt.date) -> dt.date | None:
    """None (open-ended) or a day after ``start``."""
    end = draw(st.none() | days)
    return end if end is None or end > start else start + dt.timedelta(days=draw(st.integers(1, 90)))


amounts = st.sampled_from([Decimal(v) for v in ("0.00", "10.00", "25.50", "100.00", "333.33")])


@st.composite
def lines(draw: st.DrawFn, contract_start: dt.date) -> Line:
    start = draw(st.none() | days)
    end = draw(st.none() | ends(start or contract_start))
    return Line(draw(st.sampled_from(PRODUCTS)), draw(amounts), start, end)


@st.composite
def deals(draw: st.DrawFn, names: list[str]) -> Deal:
    start = draw(days)
    return Deal(
        account=draw(st.sampled_from(names)),
        start=start,
        end=draw(ends(start)),
        lines=tuple(draw(st.lists(lines(start), min_size=1, max_size=3))),
        status=draw(st.sampled_from(["active", "active", "ended", "draft", "cancelled"])),
        currency=draw(st.sampled_from(["USD", "USD", "USD", "EUR"])),
    )


@st.composite
def histories(draw: st.DrawFn) -> History:
    names = [f"acct {n}" for n in range(draw(st.integers(1, 6)))]
    owners = st.sampled_from(["Alex", "Sam", None])
    customers = tuple(
        Customer(
            name,
            segment=draw(st.sampled_from(["enterprise", "smb", None])),
            industry=draw(st.sampled_from(["software", "retail", None])),
            csm_owner=draw(owners),
            lifecycle_stage=draw(st.sampled_from(["adoption", "renewal", None])),
            touch_model=draw(st.sampled_from(["high", "tech", None])),
        )
        for name in names
    )
    return History(customers, tuple(draw(st.lists(deals(names), max_size=12))))


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start = draw(days)
    end = draw(days)
    return Period(start, end if end > start else start + dt.timedelta(days=draw(st.integers(1, 400))))


groupings = st.lists(st.sampled_from(list(Dimension)), max_size=2, unique=True).map(grouping)


# The reference: docs/kpis.md read literally, over the history's rows -------------------------------------------


def active_on(deal: Deal, line: Line, day: dt.date) -> bool:
    start = line.start if line.start is not None else deal.start
    end = line.end if line.end is not None else deal.end
    return deal.status not in NOT_COUNTED and start <= day and (end is None or end > day)


def mrr(history: History, day: dt.date, currency: str, by_product: bool) -> dict[Key, Decimal]:
    """MRR on ``day`` per account (and product), only units with an active line."""
    found: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    for deal in history.deals:
        for line in deal.lines:
            if deal.currency == currency and active_on(deal, line, day):
                found[(deal.account, line.product if by_product else None)] += line.mrr
    return found


def had_revenue_before(history: History, key: Key, day: dt.date, currency: str) -> bool:
    """Any day before ``day`` with MRR > 0 (walked day by day from the first contract start)."""
    first = min((deal.start for deal in history.deals), default=day)
    probe = first
    while probe < day:
        if mrr(history, probe, currency, key[1] is not None).get(key, ZERO) > 0:
            return True
        probe += dt.timedelta(days=1)
    return False


def group_of(history: History, chosen: Grouping) -> Callable[[Key], Group]:
    by_name = {c.name: c for c in history.customers}

    def of(key: Key) -> Group:
        return tuple(
            key[1] if dimension is Dimension.PRODUCT else getattr(by_name[key[0]], dimension.value)
            for dimension in chosen.dimensions
        )

    return of


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> float | None:
    return None if denominator == 0 else float(Decimal(numerator) / Decimal(denominator))


def reference_retention(
    history: History, within: Period, chosen: Grouping, currency: str
) -> dict[Group, tuple[Any, ...]]:
    start = mrr(history, within.start, currency, chosen.by_product)
    end = mrr(history, within.end, currency, chosen.by_product)
    group = group_of(history, chosen)
    units: dict[Group, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for key in set(start) | set(end):
        s, e = start.get(key, ZERO), end.get(key, ZERO)
        if s > 0 or e > 0:
            units[group(key)].append((s, e))
    if not chosen.dimensions:
        units.setdefault((), [])
    rows = {}
    for g, pairs in units.items():
        cohort = [(s, e) for s, e in pairs if s > 0]
        start_mrr = sum((s for s, _ in cohort), ZERO)
        churned = sum((s for s, e in cohort if e == 0), ZERO)
        contraction = sum((s - e for s, e in cohort if 0 < e < s), ZERO)
        expansion = sum((e - s for s, e in cohort if e > s), ZERO)
        end_mrr = sum((e for _, e in cohort), ZERO)
        churned_accounts = sum(1 for _, e in cohort if e == 0)
        rows[g] = (
            len(cohort),
            churned_accounts,
            start_mrr,
            end_mrr,
            churned,
            contraction,
            expansion,
            ratio(churned_accounts, len(cohort)),
            ratio(end_mrr, start_mrr),
            ratio(start_mrr - churned - contraction, start_mrr),
            ratio(churned + contraction, start_mrr),
        )
    return rows


def reference_arr(history: History, day: dt.date, chosen: Grouping, currency: str) -> dict[Group, tuple[Any, ...]]:
    group = group_of(history, chosen)
    rows: dict[Group, tuple[int, Decimal]] = {} if chosen.dimensions else {(): (0, ZERO)}
    for key, amount in mrr(history, day, currency, chosen.by_product).items():
        if amount > 0:
            count, total = rows.get(group(key), (0, ZERO))
            rows[group(key)] = (count + 1, total + amount)
    return {g: (count, total, total * 12) for g, (count, total) in rows.items()}


def boundaries(within: Period, size: BucketSize) -> list[dt.date]:
    step = 1 if size is BucketSize.MONTH else 3
    found = [within.start]
    month = (within.start.month - 1) // step * step + 1
    probe = dt.date(within.start.year, month, 1)
    while True:
        month_index = probe.year * 12 + probe.month - 1 + step
        probe = dt.date(month_index // 12, month_index % 12 + 1, 1)
        if probe >= within.end:
            return [*found, within.end]
        found.append(probe)


def reference_movements(
    history: History, within: Period, size: BucketSize, chosen: Grouping, currency: str
) -> dict[tuple[Group, dt.date], tuple[Any, ...]]:
    group = group_of(history, chosen)
    bounds = boundaries(within, size)
    at = [mrr(history, day, currency, chosen.by_product) for day in bounds]
    keys = {key for amounts in at for key, amount in amounts.items() if amount > 0}
    groups = {group(key) for key in keys} | (set() if chosen.dimensions else {()})
    rows = {}
    for g in groups:
        for i in range(len(bounds) - 1):
            total = [ZERO] * 7  # start new expansion contraction churned reactivation end
            counts = [0, 0, 0]  # new reactivated churned
            for key in (k for k in keys if group(k) == g):
                s, e = at[i].get(key, ZERO), at[i + 1].get(key, ZERO)
                total[0] += s
                total[6] += e
                if s == 0 and e > 0:
                    before = had_revenue_before(history, key, bounds[i], currency)
                    total[5 if before else 1] += e
                    counts[1 if before else 0] += 1
                elif s > 0 and e == 0:
                    total[4] += s
                    counts[2] += 1
                elif 0 < s < e:
                    total[2] += e - s
                elif 0 < e < s:
                    total[3] += s - e
            rows[(g, bounds[i])] = (bounds[i + 1], *total, *counts)
    return rows


def reference_expansion(
    history: History, within: Period, chosen: Grouping, currency: str
) -> dict[Group, tuple[Any, ...]]:
    start = mrr(history, within.start, currency, by_product=True)
    end = mrr(history, within.end, currency, by_product=True)
    cohort = {
        account
        for account in {key[0] for key in start}
        if sum((v for k, v in start.items() if k[0] == account), ZERO) > 0
    }
    group = group_of(history, chosen)
    per_group: dict[Group, list[tuple[str, Decimal, Decimal, Decimal]]] = {} if chosen.dimensions else {(): []}
    for key in set(start) | set(end):
        s, e = start.get(key, ZERO), end.get(key, ZERO)
        if key[0] in cohort and (s > 0 or e > 0):
            upsell = e - s if s > 0 and e > s else ZERO
            cross_sell = e if s == 0 and e > 0 else ZERO
            grouped_key = (key[0], key[1] if chosen.by_product else None)
            per_group.setdefault(group(grouped_key), []).append((key[0], s, upsell, cross_sell))
    return {
        g: (
            len({account for account, s, _, _ in units if s > 0}),
            sum((s for _, s, _, _ in units), ZERO),
            len({account for account, _, upsell, _ in units if upsell > 0}),
            sum((upsell for _, _, upsell, _ in units), ZERO),
            len({account for account, _, _, cross_sell in units if cross_sell > 0}),
            sum((cross_sell for _, _, _, cross_sell in units), ZERO),
        )
        for g, units in per_group.items()
    }


# What the SQL answers, in the reference's shape -------------------------------------------------------------------


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def retention_rows(rows: Iterable[revenue.RetentionRow]) -> dict[Group, tuple[Any, ...]]:
    return {
        row.group: (
            row.cohort_accounts,
            row.churned_accounts,
            row.start_mrr,
            row.end_mrr,
            row.churned_mrr,
            row.contraction_mrr,
            row.expansion_mrr,
            _float(row.logo_churn_rate),
            _float(row.nrr),
            _float(row.grr),
            _float(row.gross_mrr_churn_rate),
        )
        for row in rows
    }


def movement_rows(rows: Iterable[revenue_movements.MovementRow]) -> dict[tuple[Group, dt.date], tuple[Any, ...]]:
    return {
        (row.group, row.bucket_start): (
            row.bucket_end,
            row.start_mrr,
            row.new_mrr,
            row.expansion_mrr,
            row.contraction_mrr,
            row.churned_mrr,
            row.reactivation_mrr,
            row.end_mrr,
            row.new_accounts,
            row.reactivated_accounts,
            row.churned_accounts,
        )
        for row in rows
    }


def expansion_rows(rows: Iterable[revenue_expansion.ExpansionRow]) -> dict[Group, tuple[Any, ...]]:
    return {
        row.group: (
            row.cohort_accounts,
            row.start_mrr,
            row.upsell_accounts,
            row.upsell_mrr,
            row.cross_sell_accounts,
            row.cross_sell_mrr,
        )
        for row in rows
    }


def approx_rows(rows: dict[Any, tuple[Any, ...]]) -> dict[Any, tuple[Any, ...]]:
    """Ratios compared to 1e-12 (PostgreSQL numeric division rounds at 20 digits, Python at 28)."""
    return {
        key: tuple(pytest.approx(value, rel=1e-12) if isinstance(value, float) else value for value in row)
        for key, row in rows.items()
    }


# The tests -----------------------------------------------------------------------------------------------------


# Found by CI: a first line starting exactly on `to` is new revenue at the last boundary (MRR is read on `to`).
STARTS_ON_TO = History(
    customers=(Customer("acct 0"),),
    deals=(Deal("acct 0", dt.date(2024, 1, 2), None, (Line("Core", Decimal("10.00")),)),),
)


@EXAMPLES
@given(history=histories(), within=periods(), chosen=groupings, size=st.sampled_from(list(BucketSize)))
@example(
    history=STARTS_ON_TO,
    within=Period(dt.date(2024, 1, 1), dt.date(2024, 1, 2)),
    chosen=grouping([]),
    size=BucketSize.MONTH,
)
async def test_sql_agrees_with_the_python_reference(
    engine: AsyncEngine, history: History, within: Period, chosen: Grouping, size: BucketSize
) -> None:
    async with engine.connect() as conn:
        await insert_history(conn, history)
        try:
            sql = retention_rows(await revenue.revenue_retention(conn, within, chosen, "USD"))
            assert sql == approx_rows(reference_retention(history, within, chosen, "USD"))
            arr = await revenue.arr(conn, within.end, chosen, "USD")
            assert {row.group: (row.accounts, row.mrr, row.arr) for row in arr} == reference_arr(
                history, within.end, chosen, "USD"
            )
            movements = await revenue_movements.mrr_movements(conn, within, size, chosen, "USD")
            assert movement_rows(movements) == reference_movements(history, within, size, chosen, "USD")
            growth = await revenue_expansion.expansion(conn, within, chosen, "EUR")
            assert expansion_rows(growth) == reference_expansion(history, within, chosen, "EUR")
        finally:
            await conn.rollback()


MOVEMENT_SUMS = (
    "start_mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "end_mrr",
)


def totals(rows: Iterable[Any], names: Iterable[str], key: Callable[[Any], Any] = lambda row: ()) -> dict[Any, Any]:
    summed: dict[Any, list[Any]] = {}
    names = tuple(names)
    for row in rows:
        into = summed.setdefault(key(row), [0] * len(names))
        for i, name in enumerate(names):
            into[i] += getattr(row, name)
    return {k: tuple(v) for k, v in summed.items()}


@EXAMPLES
@given(history=histories(), within=periods(), dimension=st.sampled_from(list(Dimension)))
async def test_identities_hold_and_groups_sum_back_to_the_total(
    engine: AsyncEngine, history: History, within: Period, dimension: Dimension
) -> None:
    by = grouping((dimension,))
    every = grouping(())
    account_level = dimension is not Dimension.PRODUCT
    async with engine.connect() as conn:
        await insert_history(conn, history)
        try:
            [total] = await revenue.revenue_retention(conn, within, every, "USD")
            grouped = await revenue.revenue_retention(conn, within, by, "USD")
            for row in [total, *grouped]:
                assert row.churned_accounts <= row.cohort_accounts
                assert row.start_mrr - row.churned_mrr - row.contraction_mrr + row.expansion_mrr == row.end_mrr
                if row.start_mrr > 0:
                    assert row.nrr is not None
                    assert row.grr is not None
                    assert float(row.nrr) == pytest.approx(float(row.grr + row.expansion_mrr / row.start_mrr))
                    assert float(row.grr + (row.gross_mrr_churn_rate or 0)) == pytest.approx(1)
                else:
                    assert row.nrr is row.grr is row.gross_mrr_churn_rate is row.logo_churn_rate is None
            # Each account is in one group; grouped by PRODUCT, only start MRR splits exactly (a product an
            # account adds is not in that product's cohort).
            names = retention_sums = ("start_mrr",) + (
                ("cohort_accounts", "churned_accounts", "end_mrr", "churned_mrr", "contraction_mrr", "expansion_mrr")
                if account_level
                else ()
            )
            assert totals(grouped, retention_sums) in ({(): totals([total], names)[()]}, {})
            if not grouped:
                assert total.start_mrr == total.end_mrr == 0

            [arr_total] = await revenue.arr(conn, within.start, every, "USD")
            arr_grouped = await revenue.arr(conn, within.start, by, "USD")
            arr_sums = ("mrr", "arr", "accounts") if account_level else ("mrr", "arr")
            assert (
                totals(arr_grouped, arr_sums).get((), tuple(0 for _ in arr_sums)) == totals([arr_total], arr_sums)[()]
            )

            for size in BucketSize:
                flat = await revenue_movements.mrr_movements(conn, within, size, every, "USD")
                split = await revenue_movements.mrr_movements(conn, within, size, by, "USD")
                for move in [*flat, *split]:
                    assert (
                        move.start_mrr
                        + move.new_mrr
                        + move.expansion_mrr
                        + move.reactivation_mrr
                        - move.contraction_mrr
                        - move.churned_mrr
                    ) == move.end_mrr
                for rows in [flat, *_by_group(split).values()]:
                    assert rows[0].bucket_start == within.start
                    assert rows[-1].bucket_end == within.end
                    for before, after in itertools.pairwise(rows):
                        assert before.bucket_end == after.bucket_start
                        assert before.end_mrr == after.start_mrr
                sums = MOVEMENT_SUMS if account_level else ("start_mrr", "end_mrr")
                by_bucket = totals(split, sums, key=lambda row: row.bucket_start)
                for bucket in flat:
                    expected = totals([bucket], sums)[()]
                    assert by_bucket.get(bucket.bucket_start, tuple(0 for _ in sums)) == expected

            [growth] = await revenue_expansion.expansion(conn, within, every, "USD")
            growth_split = await revenue_expansion.expansion(conn, within, by, "USD")
            growth_sums = ("upsell_mrr", "cross_sell_mrr", "start_mrr") + (
                ("cohort_accounts", "upsell_accounts", "cross_sell_accounts") if account_level else ()
            )
            assert (
                totals(growth_split, growth_sums).get((), tuple(0 for _ in growth_sums))
                == totals([growth], growth_sums)[()]
            )
            assert growth.upsell_mrr + growth.cross_sell_mrr >= total.expansion_mrr
        finally:
            await conn.rollback()


def _by_group(rows: Iterable[revenue_movements.MovementRow]) -> dict[Group, list[revenue_movements.MovementRow]]:
    grouped: dict[Group, list[revenue_movements.MovementRow]] = defaultdict(list)
    for row in rows:
        grouped[row.group].append(row)
    return grouped
