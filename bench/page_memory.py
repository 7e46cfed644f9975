"""Benchmark: the server's memory for a 100-account page with 30-day usage series, compiled and resolved.

One ``cshub serve`` process (one worker) per variant on the graphql_360 bench database: *compiled*
(CSHUB_GRAPHQL_COMPILED_READS on, the default) and *resolvers* (off). Each gets the same page — the first 100
accounts by name with their profile, revenue figures, active contracts with lines, open tickets and a daily
usage series over the last 30 days — ``--requests`` times, one after the other, after one warm-up request.
Printed per variant: the resident memory before the page, its peak (VmHWM) after, the median time of a
request and the response's size; and whether both variants answered the same data.

Usage: .venv/bin/python -m bench.page_memory [--accounts N] [--requests N] [--smoke]
"""

import argparse
import asyncio
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.cli import add_smoke_option, apply_smoke, server_url
from bench.graphql_360.database import DATABASE, bench_data, smoke_copy
from bench.graphql_360.pages import usage_range
from bench.graphql_360.server import ServerOptions, create_api_key, server_env
from service.api_keys.roles import Role
from tests.serve_process import serving

SMOKE = {"accounts": 24, "requests": 2}
PAGE = """
query Page($from: Date!, $to: Date!) {
  accounts(first: 100) {
    edges { node {
      id name segment lifecycleStage csmOwner renewalDate licensedSeats activeUsers licenseUtilization
      mrr { amount currency } arr { amount currency }
      contracts(status: [ACTIVE]) { id startDate endDate lines { product { name } quantity mrr { amount } } }
      tickets(filter: {open: true}, first: 5) { edges { node { id subject status priority openedAt } } }
      usage(from: $from, to: $to, interval: DAY) { periodStart events activeUsers }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
VARIANTS = {"compiled": "true", "resolvers": "false"}


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def measure(url: str, key: str, variant: str, requests: int, workdir: Path) -> tuple[list[str], object]:
    env = server_env(url, workdir, ServerOptions(workers=1, db_pool_size=None, connections_per_request=None))
    env["CSHUB_GRAPHQL_COMPILED_READS"] = VARIANTS[variant]
    start, end = usage_range(dt.datetime.now(dt.UTC).date())
    body = {"query": PAGE, "variables": {"from": start.isoformat(), "to": end.isoformat()}}
    headers = {"authorization": f"Bearer {key}"}
    with serving(env=env, workdir=workdir) as server, httpx.Client(base_url=server.base_url, timeout=120) as http:
        pid = server.process.pid
        http.get("/healthz")
        rss_before = _status_kib(pid, "VmRSS")
        response = http.post("/graphql", json=body, headers=headers)  # warm-up
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = http.post("/graphql", json=body, headers=headers)
            times.append(time.perf_counter() - started)
        peak = _status_kib(pid, "VmHWM")
    answer = response.json()
    if "errors" in answer:
        raise SystemExit(f"{variant}: the page failed: {answer['errors'][:2]}")
    line = (
        f"{variant:<10} RSS before {rss_before / 1024:6.0f} MiB, peak {peak / 1024:6.0f} MiB, "
        f"p50 {statistics.median(times) * 1000:7.1f} ms, {len(response.content):,} bytes, "
        f"{len(answer['data']['accounts']['edges'])} accounts"
    )
    return [line], answer["data"]


async def _key(url: str) -> str:
    return await create_api_key(url, Role.ADMIN, "bench-page-memory")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.page_memory", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=2000, help="accounts in the bench database (default 2000)")
    parser.add_argument("--requests", type=int, default=10, help="measured requests per variant (default 10)")
    add_smoke_option(parser, SMOKE)
    args = parser.parse_args(argv)
    apply_smoke(args, SMOKE)
    asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> None:
    database = smoke_copy(DATABASE) if args.smoke else DATABASE
    async with bench_data(server_url(), database, args.accounts, reseed=False, drop=args.smoke) as seeded:
        key = await _key(seeded.url)
        answers = {}
        with tempfile.TemporaryDirectory(prefix="cshub-bench-memory-") as tmp:
            for variant in VARIANTS:
                lines, answers[variant] = await asyncio.to_thread(
                    measure, seeded.url, key, variant, args.requests, Path(tmp)
                )
                print("\n".join(lines), flush=True)
        same = json.dumps(answers["compiled"], sort_keys=True) == json.dumps(answers["resolvers"], sort_keys=True)
        print(f"both variants answered the same data: {same}")
        if not same:
            raise SystemExit("the compiled page and the resolvers' page differ")


if __name__ == "__main__":
    main()
