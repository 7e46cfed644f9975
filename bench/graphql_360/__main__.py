"""``python -m bench.graphql_360``: the command line, and one run of the bench: prepare the database, start
the server, check agreement, measure, print."""

import argparse
import asyncio
import datetime as dt
import tempfile
from pathlib import Path

from bench import graphql_360
from bench.cli import add_smoke_option, apply_smoke, server_url
from bench.graphql_360.agreement import CHECKED_ACCOUNTS, check_agreement
from bench.graphql_360.clients import Clients, close_clients, open_clients
from bench.graphql_360.database import BENCH_DATABASE, DATABASE, Seeded, asyncpg_dsn, bench_data, smoke_copy
from bench.graphql_360.errors import BenchError
from bench.graphql_360.measure import CLIENT_COUNTS, Plan, health_floor, measure
from bench.graphql_360.report import database_lines, result_lines, setup_lines
from bench.graphql_360.server import ServerOptions, create_api_key, server_env
from bench.graphql_360.workload import Page, bench_pages
from service.api_keys.roles import Role
from tests.serve_process import serving

# A handful of accounts (one or more per CSM), a few requests per cell: every step, in seconds.
SMOKE = {"accounts": 24, "requests": 2, "rounds": 1, "warmup": 1, "checked_accounts": 5}


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _agreed(
    url: str, clients: Clients, checked_accounts: int, today: dt.date
) -> tuple[dict[str, Page], list[str]]:
    """The pages for ``today`` and the agreement check's report. The server dates each request by its own clock:
    when the UTC day turns during the check, the pages are made again for the new day and checked once more."""
    pages = await bench_pages(url, today)
    try:
        return pages, await check_agreement(pages, clients, checked_accounts)
    except BenchError:
        if _utc_today() == today:
            raise
    pages = await bench_pages(url, _utc_today())
    return pages, await check_agreement(pages, clients, checked_accounts)


async def bench(seeded: Seeded, plan: Plan, options: ServerOptions, workdir: Path, checked_accounts: int) -> list[str]:
    today = _utc_today()
    env = server_env(seeded.url, workdir, options)
    key = await create_api_key(seeded.url, Role.CSM, "bench-360")
    with serving("--workers", str(options.workers), env=env, workdir=workdir) as server:
        clients = await open_clients(server.base_url, key, asyncpg_dsn(seeded.url), max(CLIENT_COUNTS))
        try:
            pages, lines = await _agreed(seeded.url, clients, checked_accounts, today)
            floor = await health_floor(clients.http[0], 200)
            sizes = {
                name: len((await clients.http[0].post("/graphql", page.bodies[0])).body) for name, page in pages.items()
            }
            cells = await measure(pages, clients, plan)
            pg_version = await clients.pg[0].fetchval("SHOW server_version")
        finally:
            await close_clients(clients)
    return lines + setup_lines(floor, sizes, pg_version, options, plan) + result_lines(cells, pages)


async def run(server_url: str, args: argparse.Namespace, plan: Plan, options: ServerOptions) -> None:
    database = smoke_copy(DATABASE) if args.smoke else DATABASE
    async with bench_data(server_url, database, args.accounts, reseed=args.reseed, drop=args.drop) as seeded:
        print("\n".join(database_lines(seeded)), flush=True)
        with tempfile.TemporaryDirectory(prefix="cshub-bench-360-") as tmp:
            for line in await bench(seeded, plan, options, Path(tmp), args.checked_accounts):
                print(line)


def main(argv: list[str] | None = None) -> None:
    doc = graphql_360.__doc__
    parser = argparse.ArgumentParser(
        prog="python -m bench.graphql_360", description=doc.split("\n\n")[0] if doc else None
    )
    parser.add_argument("--accounts", type=int, default=2000, help="accounts in the bench database (default 2000)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per cell (default 200)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds the requests are split into")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up requests per client and variant (default 5)")
    parser.add_argument(
        "--checked-accounts",
        type=int,
        default=CHECKED_ACCOUNTS,
        help=f"accounts whose 360 page and whole timeline the agreement check compares (default {CHECKED_ACCOUNTS})",
    )
    parser.add_argument("--workers", type=int, default=1, help="cshub serve worker processes (default 1)")
    parser.add_argument("--db-pool-size", type=int, help="CSHUB_DB_POOL_SIZE of the server (default: its own)")
    parser.add_argument(
        "--connections-per-request",
        type=int,
        help="CSHUB_DB_CONNECTIONS_PER_REQUEST of the server (default: its own)",
    )
    parser.add_argument("--reseed", action="store_true", help="rebuild the bench database even if it matches")
    parser.add_argument("--drop", action="store_true", help=f"drop {BENCH_DATABASE} at the end")
    add_smoke_option(parser, SMOKE)
    args = parser.parse_args(argv)
    apply_smoke(args, {**SMOKE, "reseed": True, "drop": True})
    sizes = ("accounts", "requests", "rounds", "checked_accounts", "workers", "db_pool_size", "connections_per_request")
    for name in sizes:
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    if args.requests < args.rounds * 2:
        parser.error("--requests must be at least twice --rounds (p99 needs two samples per cell)")
    plan = Plan(requests=args.requests, rounds=args.rounds, warmup=args.warmup)
    options = ServerOptions(args.workers, args.db_pool_size, args.connections_per_request)
    try:
        asyncio.run(run(server_url(), args, plan, options))
    except BenchError as error:
        raise SystemExit(f"bench: {error}") from None


if __name__ == "__main__":
    main()
