"""What the bench prints: the bench database, the run's setup, and the results table with the ratios
ours/baseline per page."""

import os
import platform

from bench.graphql_360.clients import BASELINE, OURS
from bench.graphql_360.database import Seeded
from bench.graphql_360.measure import CLIENT_COUNTS, Cell, Key, Plan
from bench.graphql_360.server import ServerOptions
from bench.graphql_360.workload import Page


def database_lines(seeded: Seeded) -> list[str]:
    took = f" in {seeded.seconds:.1f} s" if seeded.seconds is not None else ""
    return [
        f"database {seeded.name}: {seeded.reason}{took}",
        "rows: " + ", ".join(f"{table} {count}" for table, count in seeded.counts.items()),
    ]


def setup_lines(
    floor_ms: float, sizes: dict[str, int], pg_version: str, server: ServerOptions, plan: Plan
) -> list[str]:
    return [
        f"floor: GET /healthz p50 {floor_ms:.2f} ms (HTTP + client overhead in every 'ours' request)",
        "response sizes: " + ", ".join(f"{name} {size / 1024:.0f} KiB" for name, size in sizes.items()),
        f"python {platform.python_version()}, PostgreSQL {pg_version}, {os.cpu_count()} CPUs, "
        f"server workers {server.workers}, db pool size {server.db_pool_size or 'default'}, "
        f"connections per request {server.connections_per_request or 'default'}, {plan.rounds} rounds, "
        f"warm-up {plan.warmup} requests per client",
        "",
    ]


def result_lines(cells: dict[Key, Cell], pages: dict[str, Page]) -> list[str]:
    lines = [
        f"{'page':10} {'variant':9} {'clients':>7} {'requests':>8} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>9}"
        f" {'client CPU ms/req':>18}"
    ]
    for page in pages:
        for count in CLIENT_COUNTS:
            for variant in (OURS, BASELINE):
                cell = cells[(page, variant, count)]
                lines.append(
                    f"{page:10} {variant:9} {count:7d} {len(cell.latencies):8d} {cell.p50_ms():9.2f} "
                    f"{cell.p99_ms():9.2f} {cell.rate():9.1f} {cell.client_cpu_ms():18.2f}"
                )
    lines.append("")
    for page in pages:
        p50 = ", ".join(
            f"x{cells[(page, OURS, c)].p50_ms() / cells[(page, BASELINE, c)].p50_ms():.1f} ({clients_label(c)})"
            for c in CLIENT_COUNTS
        )
        rate = ", ".join(
            f"x{cells[(page, OURS, c)].rate() / cells[(page, BASELINE, c)].rate():.2f} ({clients_label(c)})"
            for c in CLIENT_COUNTS
        )
        lines.append(f"{page}: ours/baseline p50 latency {p50}; requests/s {rate}")
    return lines


def clients_label(count: int) -> str:
    return f"{count} client" if count == 1 else f"{count} clients"
