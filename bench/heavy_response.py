"""Benchmark: the heaviest GraphQL requests against a real ``cshub serve``: time, response size, server memory,
and how long /healthz waits meanwhile.

Requests. *usage-aliases*: 30 aliases of ``accounts(first: 100)`` each asking every account's daily usage
series over 1,000 days (3 values a bucket) — 9 million values, which the list-size-10 estimate once priced
at 99,060 and let through. *accepted*: the largest such pull the cost estimate accepts (33 accounts);
*accepted-rows*: the most list items a response may hold (49 accounts, one value a bucket); *capped-rows*:
priced within the limit, but past the response's list items. Each is POSTed to a ``cshub serve`` process
(one worker, default settings) with an admin key.

Measured. The request's round trip and status, the response's size, the server's resident memory before
and its peak (VmHWM) after, and /healthz polled every 20 ms on another connection meanwhile: its median and
maximum latency.

Data. A database ``cshub_bench_heavy`` recreated each run: the demo company with ``--accounts`` accounts (a
usage series has a bucket per day whether or not anything happened, so the data's size does not matter).
BENCH_DATABASE_URL names the server (default postgresql://postgres@127.0.0.1:5432/test).

Usage: .venv/bin/python -m bench.heavy_response [--request usage-aliases|accepted] [--accounts N]
"""

import argparse
import asyncio
import datetime as dt
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import httpx

from bench.graphql_360.server import cshub
from bench.reused_database import asyncpg_dsn, drop_database
from service.settings import normalize_database_url
from tests.databases import with_database
from tests.serve_process import cshub_env, serving

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = "cshub_bench_heavy"
USAGE_TO = dt.date(2026, 1, 1)


def usage_aliases(aliases: int, accounts: int, days: int, fields: str = "periodStart events activeUsers") -> str:
    start = USAGE_TO - dt.timedelta(days=days)
    usage = f'usage(from: "{start}", to: "{USAGE_TO}", interval: DAY) {{ {fields} }}'
    fields = " ".join(f"a{i}: accounts(first: {accounts}) {{ edges {{ node {{ {usage} }} }} }}" for i in range(aliases))
    return "{ " + fields + " }"


REQUESTS = {
    "usage-aliases": usage_aliases(30, 100, 1000),
    "accepted": usage_aliases(1, 33, 1000),  # priced 99,068 of 100,000
    "accepted-rows": usage_aliases(1, 49, 1000, "events"),  # 49,049 list items of 50,000
    "capped-rows": usage_aliases(1, 99, 1000, "events"),  # priced 99,200; 99,099 list items: RESPONSE_TOO_LARGE
}


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _poll_healthz(base_url: str, stop: threading.Event, latencies: list[float]) -> None:
    with httpx.Client(base_url=base_url, timeout=120) as http:
        while not stop.is_set():
            started = time.perf_counter()
            http.get("/healthz").raise_for_status()
            latencies.append(time.perf_counter() - started)
            stop.wait(0.02)


async def _prepare(server_url: str) -> None:
    await drop_database(server_url, DATABASE)
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--request", choices=sorted(REQUESTS), default="usage-aliases")
    parser.add_argument("--accounts", type=int, default=100)
    args = parser.parse_args()
    server_url = normalize_database_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER))
    asyncio.run(_prepare(server_url))
    with tempfile.TemporaryDirectory(prefix="cshub-bench-heavy-") as tmp:
        workdir = Path(tmp)
        env = cshub_env(CSHUB_DATABASE_URL=with_database(server_url, DATABASE), CSHUB_DATA_DIR=str(workdir / "data"))
        cshub("migrate", env=env)
        cshub("seed", "--demo", "--accounts", str(args.accounts), env=env)
        key = cshub("keys", "create", "--role", "admin", "--name", "bench-heavy", env=env).strip().splitlines()[-1]
        with serving("--no-migrate", env=env, workdir=workdir) as server:
            pid = server.process.pid
            rss_before = _status_kib(pid, "VmRSS")
            stop, latencies = threading.Event(), []
            poller = threading.Thread(target=_poll_healthz, args=(server.base_url, stop, latencies))
            poller.start()
            time.sleep(0.5)
            started = time.perf_counter()
            with httpx.Client(base_url=server.base_url, timeout=600) as http:
                response = http.post(
                    "/graphql", json={"query": REQUESTS[args.request]}, headers={"Authorization": f"Bearer {key}"}
                )
            elapsed = time.perf_counter() - started
            time.sleep(0.5)
            stop.set()
            poller.join()
            peak = _status_kib(pid, "VmHWM")
    asyncio.run(drop_database(server_url, DATABASE))
    codes = [error.get("extensions", {}).get("code") for error in response.json().get("errors", [])][:3]
    print(f"request {args.request}: HTTP {response.status_code} in {elapsed:.2f} s, {len(response.content):,} bytes")
    print(f"  error codes: {codes or 'none'}")
    print(f"  server RSS {rss_before / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB")
    print(
        f"  /healthz meanwhile: {len(latencies)} polls, median {statistics.median(latencies) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
