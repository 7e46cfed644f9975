"""``python -m bench.graphql_360``: the command line, and one run of the bench: prepare the database, start
the server, check agreement, measure, print."""

import argparse
import asyncio
import datetime as dt
import os
import tempfile
from pathlib import Path

from bench import graphql_360
from bench.graphql_360.agreement import check_agreement
from bench.graphql_360.clients import close_clients, open_clients
from bench.graphql_360.database import BENCH_DATABASE, Seeded, asyncpg_dsn, drop_database, prepare_data
from bench.graphql_360.errors import BenchError
from bench.graphql_360.measure import CLIENT_COUNTS, Plan, health_floor, measure
from bench.graphql_360.report import database_lines, result_lines, setup_lines
from bench.graphql_360.server import ServerOptions, create_api_key, server_env
from bench.graphql_360.workload import bench_pages
from service.settings import normalize_database_url
from tests.serve_process import serving

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


async def bench(seeded: Seeded, plan: Plan, options: ServerOptions, workdir: Path) -> list[str]:
    pages = await bench_pages(seeded.url, dt.datetime.now(dt.UTC).date())
    env = server_env(seeded.url, workdir, options)
    key = create_api_key(env)
    with serving("--workers", str(options.workers), env=env, workdir=workdir) as server:
        clients = await open_clients(server.base_url, key, asyncpg_dsn(seeded.url), max(CLIENT_COUNTS))
        try:
            lines = await check_agreement(pages, clients)
            floor = await health_floor(clients.http[0], 200)
            sizes = {
                name: len((await clients.http[0].post("/graphql", content=page.bodies[0])).content)
                for name, page in pages.items()
            }
            cells = await measure(pages, clients, plan)
            pg_version = await clients.pg[0].fetchval("SHOW server_version")
        finally:
            await close_clients(clients)
    return lines + setup_lines(floor, sizes, pg_version, options, plan) + result_lines(cells, pages)


async def run(server_url: str, args: argparse.Namespace, plan: Plan, options: ServerOptions) -> None:
    seeded = await prepare_data(server_url, args.accounts, args.reseed)
    print("\n".join(database_lines(seeded)), flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="cshub-bench-360-") as tmp:
            for line in await bench(seeded, plan, options, Path(tmp)):
                print(line)
    finally:
        if args.drop:
            await drop_database(server_url)
            print(f"database {BENCH_DATABASE} dropped")


def main() -> None:
    doc = graphql_360.__doc__
    parser = argparse.ArgumentParser(
        prog="python -m bench.graphql_360", description=doc.split("\n\n")[0] if doc else None
    )
    parser.add_argument("--accounts", type=int, default=2000, help="accounts in the bench database (default 2000)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per cell (default 200)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds the requests are split into")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up requests per client and variant (default 5)")
    parser.add_argument("--workers", type=int, default=1, help="cshub serve worker processes (default 1)")
    parser.add_argument("--db-pool-size", type=int, help="CSHUB_DB_POOL_SIZE of the server (default: its own)")
    parser.add_argument(
        "--connections-per-request",
        type=int,
        help="CSHUB_DB_CONNECTIONS_PER_REQUEST of the server (default: its own)",
    )
    parser.add_argument("--reseed", action="store_true", help="rebuild the bench database even if it matches")
    parser.add_argument("--drop", action="store_true", help=f"drop {BENCH_DATABASE} at the end")
    args = parser.parse_args()
    for name in ("accounts", "requests", "rounds", "workers", "db_pool_size", "connections_per_request"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    if args.requests < args.rounds * 2:
        parser.error("--requests must be at least twice --rounds (p99 needs two samples per cell)")
    server_url = normalize_database_url(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_SERVER)
    plan = Plan(requests=args.requests, rounds=args.rounds, warmup=args.warmup)
    options = ServerOptions(args.workers, args.db_pool_size, args.connections_per_request)
    try:
        asyncio.run(run(server_url, args, plan, options))
    except BenchError as error:
        raise SystemExit(f"bench: {error}") from None


if __name__ == "__main__":
    main()
