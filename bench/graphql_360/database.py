"""The bench database ``cshub_bench_360``, kept between runs (see ``bench.reused_database``)."""

from bench.graphql_360.seed import SEED_VERSION, SEEDED_TABLES, seed
from bench.reused_database import BenchDatabase, Seeded, asyncpg_dsn, bench_data, smoke_copy

BENCH_DATABASE = "cshub_bench_360"
DATABASE = BenchDatabase(BENCH_DATABASE, "graphql_360", SEED_VERSION, SEEDED_TABLES, seed)

__all__ = ["BENCH_DATABASE", "DATABASE", "Seeded", "asyncpg_dsn", "bench_data", "smoke_copy"]
