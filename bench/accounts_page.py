"""Benchmark: authenticated `accounts` pages over the in-process ASGI stack, and the auth overhead.

Prints medians (ms) and the ratio of a full GraphQL page to a bare authenticated request, so runs
on a noisy machine compare variants measured in the same run. The app logs warnings only: a log line
per request would be written inside the timed calls. Runs on a scratch database (dropped) on
BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test), or on an embedded PostgreSQL of
its own with ``--embedded``.
Usage: .venv/bin/python -m bench.accounts_page [--accounts N] [--rounds R] [--warmup W] [--embedded] [--smoke]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench.cli import add_smoke_option, apply_smoke, server_url
from service.accounts.tables import accounts
from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from service.app import create_app
from service.db.embedded import EmbeddedPostgres
from service.settings import LogLevel, Settings
from tests.conftest import LifespanApp
from tests.databases import scratch_database

QUERY = "query($first: Int) { accounts(first: $first) { edges { node { id name segment csmOwner } } } }"
SMOKE = {"accounts": 24, "rounds": 3, "warmup": 1}


async def _timed(call: "object", rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def run(server_url: str, account_count: int, rounds: int, warmup: int) -> None:
    failure: BaseException | None = None
    async with scratch_database(server_url) as url:
        try:
            results = await measure(url, account_count, rounds, warmup)
        except (Exception, SystemExit) as exc:  # leave the block normally so the scratch database is dropped
            failure = exc
    if failure is not None:
        raise failure
    base = statistics.median(results["POST { __typename } (auth only)"])
    print(f"accounts in table: {account_count}, rounds: {rounds}")
    for name, samples in results.items():
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1]
        print(f"{name:34} median {median:7.2f} ms   p90 {p90:7.2f} ms   x{median / base:5.2f} of auth-only")


async def measure(url: str, account_count: int, rounds: int, warmup: int) -> dict[str, list[float]]:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(accounts), [{"name": f"Account {i:06d}", "segment": "smb"} for i in range(account_count)]
        )
        secret = (await api_keys.create_key(conn, role=Role.CSM, name="bench")).secret
    await engine.dispose()
    settings = Settings(
        database_url=url, data_dir=Path(tempfile.mkdtemp()), migrate_on_start=False, log_level=LogLevel.WARNING
    )
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {secret}"}
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=LifespanApp(app, dict(state or {})))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

            async def health() -> None:
                (await http.get("/healthz")).raise_for_status()

            async def typename() -> None:
                (await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)).raise_for_status()

            def page(first: int) -> "object":
                async def call() -> None:
                    body = {"query": QUERY, "variables": {"first": first}}
                    (await http.post("/graphql", json=body, headers=headers)).raise_for_status()

                return call

            for first in (20, 100):  # the answers are checked once, outside the timings
                body = {"query": QUERY, "variables": {"first": first}}
                answer = (await http.post("/graphql", json=body, headers=headers)).json()
                edges = (answer.get("data") or {}).get("accounts", {}).get("edges")
                if answer.get("errors") or edges is None or len(edges) != min(first, account_count):
                    raise SystemExit(f"bench: accounts(first: {first}) answered {str(answer)[:500]}")
            for warm in (health, typename, page(20)):
                await _timed(warm, warmup)
            results = {
                "GET /healthz (no auth, no db)": await _timed(health, rounds),
                "POST { __typename } (auth only)": await _timed(typename, rounds),
                "accounts(first: 20)": await _timed(page(20), rounds),
                "accounts(first: 100)": await _timed(page(100), rounds),
            }
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.accounts_page", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=5000, help="accounts in the table (default 5000)")
    parser.add_argument("--rounds", type=int, default=200, help="timed requests per variant (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per variant (default 20)")
    parser.add_argument("--embedded", action="store_true", help="an embedded PostgreSQL of its own, not the server")
    add_smoke_option(parser, SMOKE)
    args = parser.parse_args(argv)
    apply_smoke(args, SMOKE)
    if args.accounts < 1 or args.rounds < 2 or args.warmup < 0:
        parser.error("--accounts must be at least 1, --rounds at least 2 (for p90), --warmup not negative")
    if not args.embedded:
        asyncio.run(run(server_url(), args.accounts, args.rounds, args.warmup))
        return
    embedded = EmbeddedPostgres(Path(tempfile.mkdtemp()))
    try:
        asyncio.run(run(embedded.start(), args.accounts, args.rounds, args.warmup))
    finally:
        embedded.stop()


if __name__ == "__main__":
    main()
