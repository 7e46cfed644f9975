"""Benchmark: the revenue metrics through the GraphQL endpoint of a real ``cshub serve`` next to the bare SQL of
the same computation, in the same run.

Metrics. ``revenueRetention`` and ``mrrMovements`` (MONTH buckets) over the last 12 calendar months ([first of
the month a year ago, first of this month)), grouped by SEGMENT, in USD.

Variants. *graphql*: the query POSTed over HTTP to a ``cshub serve`` process (one worker, default settings)
with a BI key; the time is the request's round trip, JSON included. *sql*: the very statement the service runs
(``service.metrics.revenue.retention_sql``, ``revenue_movements.movements_sql``), sent by asyncpg on its own
connection (with jit off for the session, as the service runs every session: service.db.pool). Before timing,
both answers are compared row by row (any difference stops the bench). Each variant is warmed up once, then
the variants alternate for ``--runs`` runs; the bench prints the median and minimum of each, and the ratio of
the medians.

Data. A database ``cshub_bench_metrics`` kept between runs (``bench.reused_database``), seeded set-based in
SQL: ``--accounts`` accounts (default 50,000) over four segments; each has 3 to 6 consecutive yearly contracts
(some ended, a few draft or cancelled, ~4% in EUR, some of the current ones open-ended) with 5 lines each (≥
1M lines at the default size); some lines start mid-term (add-ons), some accounts churned during the last two
years. ``--reseed`` rebuilds it, ``--drop`` drops it at the end. BENCH_DATABASE_URL names the server (default
postgresql://postgres@127.0.0.1:5432/test).

Usage: .venv/bin/python -m bench.metrics [--accounts N] [--runs R] [--reseed] [--drop] [--smoke]
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.cli import add_smoke_option, apply_smoke, server_url
from bench.graphql_360.errors import BenchError
from bench.graphql_360.server import ServerOptions, create_api_key, server_env
from bench.reused_database import BenchDatabase, Seeded, asyncpg_dsn, bench_data, smoke_copy
from service.api_keys.roles import Role
from service.metrics.dimensions import Dimension
from service.metrics.revenue import retention_sql
from service.metrics.revenue_inputs import BucketSize
from service.metrics.revenue_movements import MONTHS, movements_sql
from service.metrics.revenue_sql import grouping
from tests.serve_process import serving

BENCH_DATABASE = "cshub_bench_metrics"
SEED_VERSION = 1
SEEDED_TABLES = ("accounts", "contracts", "contract_lines")
SEGMENTS = "(ARRAY['enterprise', 'mid_market', 'smb', 'startup'])"

# Random draws sit in the select list of a subquery fenced with OFFSET 0, so each row draws once.
SEED_STATEMENTS = (
    "SELECT setseed(0.7)",
    """INSERT INTO products (name, family) VALUES ('Hub Core', 'platform'), ('Insights', 'analytics'),
        ('Automations', 'platform'), ('Premium Support', NULL), ('Data Lake', 'analytics'), ('Mobile', 'platform')""",
    f"""CREATE TEMP TABLE seed_accounts AS
    SELECT n, id, segment, terms, churned, euro, open_ended, size,
           (now() AT TIME ZONE 'UTC')::date - terms * 365 + floor(drawn_offset * 360)::int
             - CASE WHEN churned THEN 100 + floor(drawn_offset * 600)::int ELSE 0 END AS first_start
    FROM (
        SELECT n, gen_random_uuid() AS id, {SEGMENTS}[1 + floor(random() * 4)::int] AS segment,
               3 + floor(random() * 4)::int AS terms, random() < 0.15 AS churned, random() < 0.04 AS euro,
               random() < 0.3 AS open_ended, random() AS size, random() AS drawn_offset
        FROM generate_series(1, {{accounts}}) AS n
        OFFSET 0
    ) AS drawn""",
    """INSERT INTO accounts (id, name, segment, industry, csm_owner, lifecycle_stage, touch_model)
    SELECT id, 'Bench ' || lpad(n::text, 6, '0'), segment,
           (ARRAY['software', 'retail', 'healthcare', 'finance', NULL])[1 + n % 5],
           (ARRAY['Alex Kim', 'Sam Rivera', 'Priya Nair', 'Jonas Berg'])[1 + n % 4],
           CASE WHEN churned THEN 'churned' ELSE 'adoption' END,
           CASE segment WHEN 'enterprise' THEN 'high' WHEN 'mid_market' THEN 'low' ELSE 'tech' END
    FROM seed_accounts ORDER BY n""",
    """CREATE TEMP TABLE seed_contracts AS
    SELECT gen_random_uuid() AS id, a.id AS account_id, a.n, k, a.size, start_date,
           CASE WHEN k = a.terms AND a.open_ended AND NOT a.churned THEN NULL ELSE end_date END AS end_date,
           CASE WHEN draw < 0.02 THEN 'draft' WHEN draw < 0.04 THEN 'cancelled'
                WHEN end_date <= (now() AT TIME ZONE 'UTC')::date THEN 'ended' ELSE 'active' END AS status,
           CASE WHEN a.euro THEN 'EUR' ELSE 'USD' END AS currency
    FROM seed_accounts a
    CROSS JOIN LATERAL generate_series(1, a.terms) AS k
    CROSS JOIN LATERAL (
        SELECT (a.first_start + make_interval(years => k - 1))::date AS start_date,
               (a.first_start + make_interval(years => k))::date AS end_date, random() AS draw
        OFFSET 0
    ) AS term""",
    """INSERT INTO contracts (id, account_id, status, start_date, end_date, renewal_date, auto_renew, currency)
    SELECT id, account_id, status, start_date, end_date, end_date, true, currency FROM seed_contracts""",
    # Five lines per contract on five of the six products; prices grow with the term; the fifth line is an
    # add-on starting mid-term on about a third of the contracts.
    """INSERT INTO contract_lines (contract_id, account_id, product_id, quantity, unit_price, mrr, start_date, end_date)
    SELECT c.id, c.account_id, p.id, seats, price, seats * price,
           CASE WHEN j = 5 AND addon_draw < 0.35 THEN c.start_date + 60 + floor(addon_draw * 600)::int END, NULL
    FROM seed_contracts c
    CROSS JOIN LATERAL (
        SELECT j, 1 + floor(random() * (5 + c.size * 60))::int AS seats,
               round(((8 + random() * 40) * (1 + 0.08 * c.k))::numeric, 2) AS price, random() AS addon_draw
        FROM generate_series(1, 5) AS j
        OFFSET 0
    ) AS line
    JOIN products p ON p.name = (ARRAY['Hub Core', 'Insights', 'Automations', 'Premium Support', 'Data Lake',
                                       'Mobile'])[1 + (c.n + j) % 6]""",
)


async def seed(dsn: str, accounts: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for statement in SEED_STATEMENTS:
                await conn.execute(statement.replace("{accounts}", str(int(accounts))))
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


DATABASE = BenchDatabase(BENCH_DATABASE, "metrics", SEED_VERSION, SEEDED_TABLES, seed)
SMOKE = {"accounts": 24, "runs": 1}

RETENTION_QUERY = """query Retention($from: Date!, $to: Date!) { metrics {
  revenueRetention(from: $from, to: $to, groupBy: [SEGMENT]) {
    group { value } cohortAccounts churnedAccounts logoChurnRate startMrr endMrr churnedMrr contractionMrr
    expansionMrr nrr grr grossMrrChurnRate
  } } }"""
MOVEMENTS_QUERY = """query Movements($from: Date!, $to: Date!) { metrics {
  mrrMovements(from: $from, to: $to, interval: MONTH, groupBy: [SEGMENT]) {
    group { value } bucketStart bucketEnd startMrr newMrr expansionMrr contractionMrr churnedMrr reactivationMrr
    endMrr newAccounts reactivatedAccounts churnedAccounts
  } } }"""


def positional(sql: str, names: tuple[str, ...]) -> str:
    """The service's ``:name`` parameters as asyncpg's ``$n``."""
    for number, name in enumerate(names, start=1):
        sql = re.sub(rf"(?<![:\w]):{name}\b", f"${number}", sql)
    return sql


def last_twelve_months(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1)
    return end.replace(year=end.year - 1), end


class Metric:
    """One metric in both variants: the GraphQL body, the bare statement and its arguments, and the rows of
    each answer in a comparable shape."""

    def __init__(self, name: str, query: str, sql: str, names: tuple[str, ...], arguments: tuple[Any, ...]) -> None:
        self.name = name
        self.field = "revenueRetention" if name == "revenueRetention" else "mrrMovements"
        self.sql = positional(sql, names)
        self.arguments = arguments
        start, end = arguments[0], arguments[1]
        self.body = json.dumps({"query": query, "variables": {"from": start.isoformat(), "to": end.isoformat()}})

    def api_rows(self, body: dict[str, Any]) -> list[tuple[str, ...]]:
        rows = body["data"]["metrics"][self.field]
        return [
            (str(row["group"][0]["value"]), row.get("bucketStart", ""), row["startMrr"], row["endMrr"]) for row in rows
        ]

    def sql_rows(self, records: list[asyncpg.Record]) -> list[tuple[str, ...]]:
        return [
            (
                str(r["g0"]),
                r["bucket_start"].isoformat() if "bucket_start" in r else "",
                str(r["start_mrr"]),
                str(r["end_mrr"]),
            )
            for r in records
        ]


def metrics(today: dt.date) -> list[Metric]:
    start, end = last_twelve_months(today)
    by_segment = grouping((Dimension.SEGMENT,))
    return [
        Metric(
            "revenueRetention",
            RETENTION_QUERY,
            retention_sql(by_segment),
            ("start", "end", "currency"),
            (start, end, "USD"),
        ),
        Metric(
            "mrrMovements",
            MOVEMENTS_QUERY,
            movements_sql(by_segment),
            ("start", "end", "size", "months", "currency"),
            (start, end, BucketSize.MONTH.value, MONTHS[BucketSize.MONTH], "USD"),
        ),
    ]


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = await call()
    return time.perf_counter() - started, answer


def checked(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise BenchError(f"GraphQL answered {response.status_code}: {response.text[:500]}")
    body: dict[str, Any] = response.json()
    if body.get("errors") or body.get("data") is None:
        raise BenchError(f"GraphQL answered errors: {json.dumps(body.get('errors'))[:1000]}")
    return body


async def measure(metric: Metric, http: httpx.AsyncClient, pg: asyncpg.Connection, runs: int) -> list[str]:
    async def api() -> dict[str, Any]:
        return checked(await http.post("/graphql", content=metric.body))

    async def bare() -> list[asyncpg.Record]:
        return await pg.fetch(metric.sql, *metric.arguments)

    _, api_answer = await timed(api)  # warm-up, and the agreement check
    _, sql_answer = await timed(bare)
    api_rows, sql_rows = metric.api_rows(api_answer), metric.sql_rows(sql_answer)
    if api_rows != sql_rows:
        raise BenchError(f"{metric.name}: GraphQL and SQL disagree:\n{api_rows[:5]}\n{sql_rows[:5]}")
    times: dict[str, list[float]] = {"graphql": [], "sql": []}
    for _ in range(runs):
        times["graphql"].append((await timed(api))[0])
        times["sql"].append((await timed(bare))[0])
    medians = {variant: statistics.median(values) for variant, values in times.items()}
    lines = [f"{metric.name} (12 months, by segment): {len(api_rows)} rows, GraphQL = SQL row for row"]
    for variant, values in times.items():
        lines.append(f"  {variant:8} median {medians[variant] * 1000:8.1f} ms   min {min(values) * 1000:8.1f} ms")
    lines.append(f"  ratio graphql / sql (medians): {medians['graphql'] / medians['sql']:.2f}")
    return lines


async def bench(seeded: Seeded, runs: int, workdir: Path) -> list[str]:
    env = server_env(seeded.url, workdir, ServerOptions(1, None, None))
    key = await create_api_key(seeded.url, Role.BI, "bench-metrics")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    lines = []
    with serving(env=env, workdir=workdir) as server:
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=300) as http:
            # jit off, as the service runs every session (service.db.create_engine).
            session = {"timezone": "UTC", "jit": "off"}
            pg = await asyncpg.connect(asyncpg_dsn(seeded.url), server_settings=session)
            try:
                version = await pg.fetchval("SHOW server_version")
                lines.append(f"PostgreSQL {version}, {os.cpu_count()} CPUs, {runs} timed runs per variant")
                for metric in metrics(dt.datetime.now(dt.UTC).date()):
                    lines += await measure(metric, http, pg, runs)
            finally:
                await pg.close()
    return lines


async def run(server_url: str, args: argparse.Namespace) -> None:
    database = smoke_copy(DATABASE) if args.smoke else DATABASE
    async with bench_data(server_url, database, args.accounts, reseed=args.reseed, drop=args.drop) as seeded:
        took = f" in {seeded.seconds:.1f} s" if seeded.seconds is not None else ""
        print(f"database {seeded.name}: {seeded.reason}{took}")
        print("rows: " + ", ".join(f"{table} {count:,}" for table, count in seeded.counts.items()), flush=True)
        with tempfile.TemporaryDirectory(prefix="cshub-bench-metrics-") as tmp:
            for line in await bench(seeded, args.runs, Path(tmp)):
                print(line, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=50_000, help="accounts in the bench database (default 50000)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per metric and variant (default 7)")
    parser.add_argument("--reseed", action="store_true", help="rebuild the bench database even if it matches")
    parser.add_argument("--drop", action="store_true", help=f"drop {BENCH_DATABASE} at the end")
    add_smoke_option(parser, SMOKE)
    args = parser.parse_args(argv)
    apply_smoke(args, {**SMOKE, "reseed": True, "drop": True})
    if args.accounts < 1 or args.runs < 1:
        parser.error("--accounts and --runs must be at least 1")
    try:
        asyncio.run(run(server_url(), args))
    except BenchError as error:
        raise SystemExit(f"bench: {error}") from None


if __name__ == "__main__":
    main()
