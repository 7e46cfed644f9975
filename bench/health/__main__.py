"""``python -m bench.health``: the command line, and one run of the bench: prepare the database, reset the
score history, check agreement, measure, explain, print."""

import argparse
import asyncio
import datetime as dt
import os
import platform

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bench import health
from bench.cli import add_smoke_option, apply_smoke, server_url
from bench.graphql_360.errors import BenchError
from bench.health.agreement import agreement_lines, check_agreement
from bench.health.baseline import check_default_config
from bench.health.database import BENCH_DATABASE, DATABASE, Seeded, bench_data, reset_history, smoke_copy, vacuum
from bench.health.explain import explain_lines
from bench.health.timing import measure, timing_lines
from service.health_scores.service import recompute_health

SMOKE = {"accounts": 24, "rounds": 1}
SETTINGS = ("server_version", "jit", "work_mem", "shared_buffers", "max_parallel_workers_per_gather")


def database_lines(seeded: Seeded) -> list[str]:
    took = f" in {seeded.seconds:.1f} s (create, migrate, seed, VACUUM ANALYZE)" if seeded.seconds is not None else ""
    usage = seeded.counts["usage_daily"] + seeded.counts["usage_daily_users"]
    return [
        f"database {seeded.name}: {seeded.reason}{took}",
        "rows: " + ", ".join(f"{table} {count}" for table, count in seeded.counts.items()),
        f"usage rows (usage_daily + usage_daily_users): {usage}",
    ]


async def setup_lines(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        values = [(await conn.execute(sa.text(f"SHOW {name}"))).scalar_one() for name in SETTINGS]
    shown = ", ".join(f"{name} {value}" for name, value in zip(SETTINGS[1:], values[1:], strict=True))
    return f"python {platform.python_version()}, PostgreSQL {values[0]} ({shown}), {os.cpu_count()} CPUs"


async def agreement(engine: AsyncEngine, now: dt.datetime, accounts: int) -> tuple[list[str], bool]:
    """Recompute as of ``now`` and compare with the baseline, in one transaction rolled back afterwards."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            result = await recompute_health(conn, now)
            await check_default_config(conn)
            checked = await check_agreement(conn, now)
        finally:
            await transaction.rollback()
    await vacuum(engine)
    done = f"{result.accounts} accounts, {result.scored} scored, {result.alerts_opened} alerts opened"
    return [f"recompute_health as of now: {done}", *agreement_lines(checked, accounts)], checked.ok


async def bench(seeded: Seeded, args: argparse.Namespace) -> bool:
    settings = dict(setting.split("=", 1) for setting in args.set)
    engine = create_async_engine(seeded.url, poolclass=NullPool, connect_args={"server_settings": settings})
    try:
        print(await setup_lines(engine), flush=True)
        now = dt.datetime.now(dt.UTC)
        history = await reset_history(engine, now - dt.timedelta(days=1))
        print(
            f"history: {history.scores} scores committed as of 24 h ago (the previous score of every measured run), "
            f"{history.alerts} alerts opened; that first, committed recompute took {history.seconds:.2f} s",
            flush=True,
        )
        lines, agreed = await agreement(engine, now, args.accounts)
        print("\n".join(lines), flush=True)
        timings = await measure(engine, now, args.accounts, args.rounds)
        print("\n" + "\n".join(timing_lines(timings, args.rounds)), flush=True)
        if args.explain:
            print("\n" + "\n".join(await explain_lines(engine, now)), flush=True)
        if not agreed:
            print("\nAGREEMENT FAILED: see above; the timings compare statements that do not compute the same thing")
    finally:
        await engine.dispose()
    return agreed


async def run(server_url: str, args: argparse.Namespace) -> bool:
    database = smoke_copy(DATABASE) if args.smoke else DATABASE
    async with bench_data(server_url, database, args.accounts, reseed=args.reseed, drop=args.drop) as seeded:
        print("\n".join(database_lines(seeded)), flush=True)
        return await bench(seeded, args)


def main(argv: list[str] | None = None) -> None:
    doc = health.__doc__
    parser = argparse.ArgumentParser(prog="python -m bench.health", description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument("--accounts", type=int, default=10_000, help="accounts in the bench database (default 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument("--reseed", action="store_true", help="rebuild the bench database even if it matches")
    parser.add_argument("--drop", action="store_true", help=f"drop {BENCH_DATABASE} at the end")
    parser.add_argument("--no-explain", dest="explain", action="store_false", help="skip EXPLAIN ANALYZE")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting for the bench's sessions, e.g. jit=off or work_mem=64MB (repeatable)",
    )
    add_smoke_option(parser, SMOKE)
    args = parser.parse_args(argv)
    apply_smoke(args, {**SMOKE, "reseed": True, "drop": True})
    if args.accounts < 1 or args.rounds < 1:
        parser.error("--accounts and --rounds must be at least 1")
    if any("=" not in setting for setting in args.set):
        parser.error("--set takes NAME=VALUE")
    try:
        agreed = asyncio.run(run(server_url(), args))
    except BenchError as error:
        raise SystemExit(f"bench: {error}") from None
    if not agreed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
