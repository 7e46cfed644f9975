"""``python -m bench.peer_postgraphile``: the command line, and one run: install (or reuse) PostGraphile,
prepare the database, start both servers, check agreement, measure, print."""

import argparse
import asyncio
import tempfile
from pathlib import Path

import asyncpg

from bench import peer_postgraphile
from bench.cli import add_smoke_option, apply_smoke, server_url
from bench.graphql_360.database import BENCH_DATABASE, DATABASE, Seeded, asyncpg_dsn, bench_data, smoke_copy
from bench.graphql_360.errors import BenchError
from bench.graphql_360.measure import Plan
from bench.graphql_360.report import database_lines
from bench.graphql_360.server import ServerOptions, create_api_key, server_env
from bench.graphql_360.workload import rotation
from bench.peer_postgraphile.agreement import check_agreement
from bench.peer_postgraphile.install import Installation, ensure_installed
from bench.peer_postgraphile.measure import CLIENT_COUNTS, CSHUB, PEER, close_sides, measure, open_sides
from bench.peer_postgraphile.peer_server import serving_postgraphile
from bench.peer_postgraphile.queries import Page, account_360_page, portfolio_page
from bench.peer_postgraphile.report import agreement_lines, result_lines, setup_lines
from service.api_keys.roles import Role
from tests.serve_process import serving

SMOKE = {"accounts": 24, "requests": 2, "rounds": 2, "warmup": 1}


async def bench(seeded: Seeded, installation: Installation, plan: Plan, workdir: Path) -> list[str]:
    csms, account_ids = await rotation(seeded.url)
    pages: dict[str, Page] = {"portfolio": portfolio_page(csms), "360": account_360_page(account_ids)}
    env = server_env(seeded.url, workdir, ServerOptions(workers=1, db_pool_size=None, connections_per_request=None))
    key = await create_api_key(seeded.url, Role.CSM, "bench-peer-postgraphile")
    dsn = asyncpg_dsn(seeded.url)
    with (
        serving("--workers", "1", env=env, workdir=workdir) as cshub,
        serving_postgraphile(installation, dsn, workdir) as peer,
    ):
        sides = open_sides(cshub.base_url, key, peer.base_url, max(CLIENT_COUNTS))
        try:
            lines = []
            for page in pages.values():
                rows, sizes = await check_agreement(page, sides.http[CSHUB][0], sides.http[PEER][0])
                lines += agreement_lines(page.name, len(page.cshub), rows, sizes)
            print("\n".join(lines), flush=True)
            cells = await measure(pages, sides, plan)
        finally:
            await close_sides(sides)
    pg_version = await _server_version(dsn)
    return setup_lines(installation, pg_version, plan) + result_lines(cells, list(pages))


async def _server_version(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


async def run(server: str, args: argparse.Namespace, plan: Plan) -> None:
    installation = ensure_installed()  # first: a smoke run without npm fails before seeding anything
    database = smoke_copy(DATABASE) if args.smoke else DATABASE
    async with bench_data(server, database, args.accounts, reseed=args.reseed, drop=args.drop) as seeded:
        print("\n".join(database_lines(seeded)), flush=True)
        with tempfile.TemporaryDirectory(prefix="cshub-bench-peer-") as tmp:
            for line in await bench(seeded, installation, plan, Path(tmp)):
                print(line)


def main(argv: list[str] | None = None) -> None:
    doc = peer_postgraphile.__doc__
    parser = argparse.ArgumentParser(
        prog="python -m bench.peer_postgraphile", description=doc.split("\n\n")[0] if doc else None
    )
    parser.add_argument("--accounts", type=int, default=2000, help="accounts in the bench database (default 2000)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per cell (default 200)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds the requests are split into")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up requests per client and side (default 5)")
    parser.add_argument("--reseed", action="store_true", help="rebuild the bench database even if it matches")
    parser.add_argument("--drop", action="store_true", help=f"drop {BENCH_DATABASE} at the end")
    add_smoke_option(parser, SMOKE)
    args = parser.parse_args(argv)
    apply_smoke(args, {**SMOKE, "reseed": True, "drop": True})
    for name in ("accounts", "requests", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    if args.requests < args.rounds:
        parser.error("--requests must be at least --rounds")
    plan = Plan(requests=args.requests, rounds=args.rounds, warmup=args.warmup)
    try:
        asyncio.run(run(server_url(), args, plan))
    except BenchError as error:
        raise SystemExit(f"bench: {error}") from None


if __name__ == "__main__":
    main()
