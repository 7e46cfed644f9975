"""MRR movements per time bucket (docs/kpis.md): how MRR got from each bucket's start to its end.

Buckets are calendar months or quarters (UTC) intersected with [from, to) (``revenue_inputs``); a bucket's
start MRR is MRR on its first day, its end MRR is MRR on the day after it (the next bucket's first day, or
``to``), so one bucket's end is the next one's start. Each account (grouped by PRODUCT: each account's
revenue on one product) is classified per bucket by its MRR at the two ends, s and e:

- s = 0, e > 0: **new** (e) when it never had MRR > 0 before the bucket's start, else **reactivation** (e);
- s > 0, e = 0: **churned** (s);
- 0 < s < e: **expansion** (e − s); 0 < e < s: **contraction** (s − e); s = e: no movement.

So start + new + expansion + reactivation − contraction − churned = end in every bucket and group,
exactly (numeric sums). "Before" looks at all history in the currency, not only the period: the first
day with MRR > 0 is the earliest start of a line with MRR > 0 that is active on its own first day.
Revenue that comes and goes between two boundaries does not move MRR and does not show; grouped, a group
has a row per bucket when one of its accounts has MRR > 0 on some boundary; ungrouped, every bucket has a row.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from sqlalchemy.ext.asyncio import AsyncConnection

from service.metrics.periods import Period
from service.metrics.revenue_inputs import BucketSize
from service.metrics.revenue_sql import CURRENCY, LINES, Grouping, active_on, fetch, line_start_sql

# Timestamps without time zone: calendar arithmetic on UTC dates, whatever the session's zone.
MONTHS = {BucketSize.MONTH: 1, BucketSize.QUARTER: 3}


@dataclass(frozen=True, slots=True)
class MovementRow:
    group: tuple[str | None, ...]
    bucket_start: dt.date
    bucket_end: dt.date  # exclusive
    start_mrr: Decimal
    new_mrr: Decimal
    expansion_mrr: Decimal
    contraction_mrr: Decimal
    churned_mrr: Decimal
    reactivation_mrr: Decimal
    end_mrr: Decimal
    new_accounts: int
    reactivated_accounts: int
    churned_accounts: int


_AMOUNTS = (
    "start_mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "end_mrr",
    "new_accounts",
    "reactivated_accounts",
    "churned_accounts",
)


@cache
def movements_sql(grouping: Grouping) -> str:
    key = grouping.unit_key()
    first_day = line_start_sql()
    groups = [f"g{i}" for i in range(len(grouping.dimensions))]
    # Every bucket of every group that has revenue on some boundary (ungrouped: of the one group), zeros filled.
    if groups:
        grid = f"(SELECT DISTINCT {', '.join(groups)} FROM sums) AS grp CROSS JOIN spans b"  # noqa: S608
        same_group = " AND ".join(f"sums.{g} IS NOT DISTINCT FROM grp.{g}" for g in groups) + " AND "
        group_columns = "".join(f"grp.{g}, " for g in groups)
    else:
        grid, same_group, group_columns = "spans b", "", ""
    amounts = ",\n       ".join(f"coalesce(sums.{name}, 0) AS {name}" for name in _AMOUNTS)
    return f"""
WITH bounds AS (
  SELECT DISTINCT day FROM (
    SELECT CAST(:start AS date) AS day
    UNION ALL SELECT CAST(:end AS date)
    UNION ALL SELECT CAST(step AS date) FROM generate_series(
        date_trunc(CAST(:size AS text), CAST(:start AS date)::timestamp) + make_interval(months => :months),
        CAST(:end AS date)::timestamp - interval '1 day',
        make_interval(months => :months)) AS step
  ) AS b
),
spans AS (
  SELECT bucket_start, bucket_end
  FROM (SELECT day AS bucket_start, lead(day) OVER (ORDER BY day) AS bucket_end FROM bounds) AS ordered
  WHERE bucket_end IS NOT NULL
),
period_lines AS (  -- lines active on some day of [from, to]: on the later of their first day and from
  SELECT contract_lines.*
  FROM {LINES}
  WHERE {CURRENCY} AND {active_on(f"greatest({first_day}, CAST(:start AS date))")}
    AND {first_day} <= CAST(:end AS date)
),
at_bounds AS (  -- MRR > 0 of each unit on each boundary
  SELECT {key}, bounds.day, sum(contract_lines.mrr) AS mrr
  FROM (SELECT contract_id, account_id, product_id, mrr, start_date, end_date FROM period_lines) AS contract_lines
  JOIN contracts ON contracts.id = contract_lines.contract_id
  JOIN bounds ON {active_on("bounds.day")}
  GROUP BY {key}, bounds.day
  HAVING sum(contract_lines.mrr) > 0
),
firsts AS (  -- each unit's first day with MRR > 0: the earliest line with MRR > 0 active on its own first day
  SELECT {key}, min({first_day}) AS first_day
  FROM {LINES}
  WHERE {CURRENCY} AND contract_lines.mrr > 0 AND {active_on(first_day)} AND {first_day} <= CAST(:end AS date)
  GROUP BY {key}
),
moves AS (  -- units with MRR at either end of a bucket: s at its start, e at its end
  SELECT {", ".join(f"coalesce(s.{c}, e.{c}) AS {c}" for c in grouping.unit_columns)},
         coalesce(s.bucket_start, e.bucket_start) AS bucket_start, coalesce(s.mrr, 0) AS s, coalesce(e.mrr, 0) AS e
  FROM (SELECT a.*, spans.bucket_start FROM at_bounds a JOIN spans ON spans.bucket_start = a.day) AS s
  FULL JOIN (SELECT a.*, spans.bucket_start FROM at_bounds a JOIN spans ON spans.bucket_end = a.day) AS e
    ON {grouping.unit_match("s", "e")} AND s.bucket_start = e.bucket_start
),
sums AS (
  SELECT {grouping.columns()} m.bucket_start,
         sum(m.s) AS start_mrr,
         coalesce(sum(m.e) FILTER (WHERE m.s = 0 AND f.first_day >= m.bucket_start), 0) AS new_mrr,
         coalesce(sum(m.e - m.s) FILTER (WHERE m.s > 0 AND m.e > m.s), 0) AS expansion_mrr,
         coalesce(sum(m.s - m.e) FILTER (WHERE m.e > 0 AND m.e < m.s), 0) AS contraction_mrr,
         coalesce(sum(m.s) FILTER (WHERE m.e = 0), 0) AS churned_mrr,
         coalesce(sum(m.e) FILTER (WHERE m.s = 0 AND f.first_day < m.bucket_start), 0) AS reactivation_mrr,
         sum(m.e) AS end_mrr,
         count(*) FILTER (WHERE m.s = 0 AND f.first_day >= m.bucket_start) AS new_accounts,
         count(*) FILTER (WHERE m.s = 0 AND f.first_day < m.bucket_start) AS reactivated_accounts,
         count(*) FILTER (WHERE m.e = 0) AS churned_accounts
  FROM moves m
  LEFT JOIN firsts f ON {grouping.unit_match("f", "m")}
  {grouping.joins("m")}
  {grouping.group_by("m.bucket_start")}
)
SELECT {group_columns}b.bucket_start, b.bucket_end,
       {amounts}
FROM {grid}
LEFT JOIN sums ON {same_group}sums.bucket_start = b.bucket_start
{grouping.order_by("b.bucket_start")}"""  # noqa: S608 (only our own SQL and column names)


async def mrr_movements(
    conn: AsyncConnection, within: Period, size: BucketSize, grouping: Grouping, currency: str
) -> list[MovementRow]:
    rows = await fetch(
        conn,
        movements_sql(grouping),
        {"start": within.start, "end": within.end, "size": size.value, "months": MONTHS[size], "currency": currency},
    )
    return [
        MovementRow(
            group=grouping.values(row),
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
        for row in rows
    ]
