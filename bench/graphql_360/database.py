"""The bench database ``cshub_bench_360``, kept between runs (see ``bench.reused_database``)."""

from bench.graphql_360.seed import SEED_VERSION, SEEDED_TABLES, seed
from bench.reused_database import BenchDatabase, Seeded, asyncpg_dsn
from bench.reused_database import drop_database as _drop
from bench.reused_database import prepare_data as _prepare

BENCH_DATABASE = "cshub_bench_360"
DATABASE = BenchDatabase(BENCH_DATABASE, "graphql_360", SEED_VERSION, SEEDED_TABLES, seed)

__all__ = ["BENCH_DATABASE", "Seeded", "asyncpg_dsn", "drop_database", "prepare_data"]


async def prepare_data(server_url: str, accounts: int, reseed: bool) -> Seeded:
    return await _prepare(server_url, DATABASE, accounts, reseed)


async def drop_database(server_url: str) -> None:
    await _drop(server_url, BENCH_DATABASE)
