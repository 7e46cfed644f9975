"""Upsell and cross-sell over a period [from, to) (docs/kpis.md): where the start cohort's growth came from.

Per cohort account (MRR(from) > 0 in the currency) and product p, with MRR_p(d) the MRR of the account's
lines of p active on d:

- **upsell**: MRR_p(to) − MRR_p(from) on products it had on ``from`` (MRR_p(from) > 0) that grew;
- **cross-sell**: MRR_p(to) on products it did not have on ``from`` (MRR_p(from) = 0) and has on ``to``.

Amounts are gross per product (a shrinking product does not offset another's upsell; contraction and churn
are in ``revenueRetention``); an account counts once for each kind it has. Accounts new in the period are
not in the cohort, so their products are new business, not cross-sell. Grouped by PRODUCT, a row is one
product (its ``cohortAccounts``: cohort accounts that had it on ``from``). Rows: one per group with a cohort
account's revenue on from or to; ungrouped, always exactly one row.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from sqlalchemy.ext.asyncio import AsyncConnection

from service.metrics.periods import Period
from service.metrics.revenue_sql import CURRENCY, LINES, Grouping, active_on, fetch


@dataclass(frozen=True, slots=True)
class ExpansionRow:
    group: tuple[str | None, ...]
    cohort_accounts: int
    start_mrr: Decimal
    upsell_accounts: int
    upsell_mrr: Decimal
    cross_sell_accounts: int
    cross_sell_mrr: Decimal


@cache
def expansion_sql(grouping: Grouping) -> str:
    on_start, on_end = active_on("CAST(:start AS date)"), active_on("CAST(:end AS date)")
    return f"""
WITH products_of AS (
  SELECT contract_lines.account_id, contract_lines.product_id,
         coalesce(sum(contract_lines.mrr) FILTER (WHERE {on_start}), 0) AS s,
         coalesce(sum(contract_lines.mrr) FILTER (WHERE {on_end}), 0) AS e
  FROM {LINES}
  WHERE {CURRENCY} AND (({on_start}) OR ({on_end}))
  GROUP BY contract_lines.account_id, contract_lines.product_id
),
cohort AS (SELECT account_id FROM products_of GROUP BY account_id HAVING sum(s) > 0),
moves AS (
  SELECT p.account_id, p.product_id, p.s,
         CASE WHEN p.s > 0 AND p.e > p.s THEN p.e - p.s ELSE 0 END AS upsell,
         CASE WHEN p.s = 0 AND p.e > 0 THEN p.e ELSE 0 END AS cross_sell
  FROM products_of p JOIN cohort ON cohort.account_id = p.account_id
  WHERE p.s > 0 OR p.e > 0
)
SELECT {grouping.columns()}
       count(DISTINCT m.account_id) FILTER (WHERE m.s > 0) AS cohort_accounts,
       coalesce(sum(m.s), 0) AS start_mrr,
       count(DISTINCT m.account_id) FILTER (WHERE m.upsell > 0) AS upsell_accounts,
       coalesce(sum(m.upsell), 0) AS upsell_mrr,
       count(DISTINCT m.account_id) FILTER (WHERE m.cross_sell > 0) AS cross_sell_accounts,
       coalesce(sum(m.cross_sell), 0) AS cross_sell_mrr
FROM moves m {grouping.joins("m")}
{grouping.group_by()}
{grouping.order_by()}"""  # noqa: S608 (only our own SQL and column names)


async def expansion(conn: AsyncConnection, within: Period, grouping: Grouping, currency: str) -> list[ExpansionRow]:
    rows = await fetch(conn, expansion_sql(grouping), {"start": within.start, "end": within.end, "currency": currency})
    return [
        ExpansionRow(
            group=grouping.values(row),
            cohort_accounts=row.cohort_accounts,
            start_mrr=row.start_mrr,
            upsell_accounts=row.upsell_accounts,
            upsell_mrr=row.upsell_mrr,
            cross_sell_accounts=row.cross_sell_accounts,
            cross_sell_mrr=row.cross_sell_mrr,
        )
        for row in rows
    ]
