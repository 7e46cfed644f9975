"""Revenue retention and ARR (docs/kpis.md): one set-based statement per call, over the active-line rule.

An account's MRR on day d is the sum of the MRR of its lines active on d in the asked currency (lines in
other currencies are not converted: they do not count). For a period [from, to):

- start cohort: accounts with MRR(from) > 0 (accounts new in the period are not in it);
- churned: cohort accounts with MRR(to) = 0, their MRR(from) is churned MRR;
- contraction: MRR(from) − MRR(to) of cohort accounts with 0 < MRR(to) < MRR(from);
- expansion: MRR(to) − MRR(from) of cohort accounts with MRR(to) > MRR(from);
- end MRR: Σ MRR(to) over the cohort, so start − churned − contraction + expansion = end;
- NRR = end / start, GRR = (start − churned − contraction) / start, gross MRR churn rate = 1 − GRR,
  logo churn rate = churned accounts / cohort accounts; null when the denominator is zero.

Grouped by PRODUCT, the unit is an account's revenue on one product (``revenue_sql``): the cohort of a
product is the accounts with that product's MRR(from) > 0, and a product dropped while the account stays
is churn of that product. Rows: one per group with a unit that has MRR on from or on to (so a group of only
new accounts shows an empty cohort); ungrouped, always exactly one row.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from sqlalchemy.ext.asyncio import AsyncConnection

from service.contracts.queries import MONTHS_PER_YEAR
from service.metrics.periods import Period
from service.metrics.revenue_sql import CURRENCY, LINES, Grouping, active_on, fetch


@dataclass(frozen=True, slots=True)
class RetentionRow:
    group: tuple[str | None, ...]
    cohort_accounts: int
    churned_accounts: int
    start_mrr: Decimal
    end_mrr: Decimal
    churned_mrr: Decimal
    contraction_mrr: Decimal
    expansion_mrr: Decimal
    logo_churn_rate: Decimal | None
    nrr: Decimal | None
    grr: Decimal | None
    gross_mrr_churn_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class ArrRow:
    group: tuple[str | None, ...]
    accounts: int
    mrr: Decimal
    arr: Decimal


@cache
def retention_sql(grouping: Grouping) -> str:
    on_start, on_end = active_on("CAST(:start AS date)"), active_on("CAST(:end AS date)")
    key = grouping.unit_key()
    return f"""
WITH units AS (
  SELECT {key},
         coalesce(sum(contract_lines.mrr) FILTER (WHERE {on_start}), 0) AS start_mrr,
         coalesce(sum(contract_lines.mrr) FILTER (WHERE {on_end}), 0) AS end_mrr
  FROM {LINES}
  WHERE {CURRENCY} AND (({on_start}) OR ({on_end}))
  GROUP BY {key}
),
sums AS (
  SELECT {grouping.columns()}
         count(*) FILTER (WHERE u.start_mrr > 0) AS cohort_accounts,
         count(*) FILTER (WHERE u.start_mrr > 0 AND u.end_mrr = 0) AS churned_accounts,
         coalesce(sum(u.start_mrr), 0) AS start_mrr,
         coalesce(sum(u.end_mrr) FILTER (WHERE u.start_mrr > 0), 0) AS end_mrr,
         coalesce(sum(u.start_mrr) FILTER (WHERE u.start_mrr > 0 AND u.end_mrr = 0), 0) AS churned_mrr,
         coalesce(sum(u.start_mrr - u.end_mrr) FILTER (WHERE u.end_mrr > 0 AND u.end_mrr < u.start_mrr), 0)
           AS contraction_mrr,
         coalesce(sum(u.end_mrr - u.start_mrr) FILTER (WHERE u.start_mrr > 0 AND u.end_mrr > u.start_mrr), 0)
           AS expansion_mrr
  FROM units u {grouping.joins("u")}
  WHERE u.start_mrr > 0 OR u.end_mrr > 0
  {grouping.group_by()}
)
SELECT *,
       churned_accounts::numeric / NULLIF(cohort_accounts, 0) AS logo_churn_rate,
       end_mrr / NULLIF(start_mrr, 0) AS nrr,
       (start_mrr - churned_mrr - contraction_mrr) / NULLIF(start_mrr, 0) AS grr,
       (churned_mrr + contraction_mrr) / NULLIF(start_mrr, 0) AS gross_mrr_churn_rate
FROM sums
{grouping.order_by()}"""  # noqa: S608 (only our own SQL and column names)


async def revenue_retention(
    conn: AsyncConnection, within: Period, grouping: Grouping, currency: str
) -> list[RetentionRow]:
    rows = await fetch(conn, retention_sql(grouping), {"start": within.start, "end": within.end, "currency": currency})
    return [
        RetentionRow(
            group=grouping.values(row),
            cohort_accounts=row.cohort_accounts,
            churned_accounts=row.churned_accounts,
            start_mrr=row.start_mrr,
            end_mrr=row.end_mrr,
            churned_mrr=row.churned_mrr,
            contraction_mrr=row.contraction_mrr,
            expansion_mrr=row.expansion_mrr,
            logo_churn_rate=row.logo_churn_rate,
            nrr=row.nrr,
            grr=row.grr,
            gross_mrr_churn_rate=row.gross_mrr_churn_rate,
        )
        for row in rows
    ]


@cache
def arr_sql(grouping: Grouping) -> str:
    key = grouping.unit_key()
    return f"""
WITH units AS (
  SELECT {key}, sum(contract_lines.mrr) AS mrr
  FROM {LINES}
  WHERE {CURRENCY} AND {active_on("CAST(:day AS date)")}
  GROUP BY {key}
)
SELECT {grouping.columns()} count(*) AS accounts, coalesce(sum(u.mrr), 0) AS mrr,
  coalesce(sum(u.mrr), 0) * {MONTHS_PER_YEAR} AS arr
FROM units u {grouping.joins("u")}
WHERE u.mrr > 0
{grouping.group_by()}
{grouping.order_by()}"""  # noqa: S608 (only our own SQL and column names)


async def arr(conn: AsyncConnection, day: dt.date, grouping: Grouping, currency: str) -> list[ArrRow]:
    """Per group: accounts with MRR > 0 on ``day`` (grouped by PRODUCT: with that product's MRR > 0), their
    MRR and ARR = 12 × MRR. Ungrouped, always one row."""
    rows = await fetch(conn, arr_sql(grouping), {"day": day, "currency": currency})
    return [ArrRow(grouping.values(row), row.accounts, row.mrr, row.arr) for row in rows]
