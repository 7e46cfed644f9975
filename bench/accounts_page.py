"""Benchmark: authenticated `accounts` pages over the in-process ASGI stack, and the auth overhead.

Prints medians (ms) and the ratio of a full GraphQL page to a bare authenticated request, so runs
on a noisy machine compare variants measured in the same run. Uses the embedded PostgreSQL unless
BENCH_DATABASE_URL is set. Usage: .venv/bin/python -m bench.accounts_page [--accounts N] [--rounds R]
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from service.accounts.tables import accounts
from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from service.app import create_app
from service.embedded_db import EmbeddedPostgres
from service.settings import Settings, normalize_database_url
from tests.conftest import LifespanApp
from tests.databases import scratch_database

QUERY = "query($first: Int) { accounts(first: $first) { edges { node { id name segment csmOwner } } } }"


async def _timed(call: "object", rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def run(server_url: str, account_count: int, rounds: int) -> None:
    async with scratch_database(server_url) as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(accounts), [{"name": f"Account {i:06d}", "segment": "smb"} for i in range(account_count)]
            )
            secret = (await api_keys.create_key(conn, role=Role.CSM, name="bench")).secret
        await engine.dispose()
        app = create_app(Settings(database_url=url, data_dir=Path(tempfile.mkdtemp()), migrate_on_start=False))
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

                for warm in (health, typename, page(20)):
                    await _timed(warm, 20)
                results = {
                    "GET /healthz (no auth, no db)": await _timed(health, rounds),
                    "POST { __typename } (auth only)": await _timed(typename, rounds),
                    "accounts(first: 20)": await _timed(page(20), rounds),
                    "accounts(first: 100)": await _timed(page(100), rounds),
                }
    base = statistics.median(results["POST { __typename } (auth only)"])
    print(f"accounts in table: {account_count}, rounds: {rounds}")
    for name, samples in results.items():
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1]
        print(f"{name:34} median {median:7.2f} ms   p90 {p90:7.2f} ms   x{median / base:5.2f} of auth-only")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    external = os.environ.get("BENCH_DATABASE_URL")
    if external:
        asyncio.run(run(normalize_database_url(external), args.accounts, args.rounds))
        return
    embedded = EmbeddedPostgres(Path(tempfile.mkdtemp()))
    try:
        asyncio.run(run(embedded.start(), args.accounts, args.rounds))
    finally:
        embedded.stop()


if __name__ == "__main__":
    main()
