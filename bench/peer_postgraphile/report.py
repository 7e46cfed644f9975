"""What the bench prints: the setup (versions, rows and bytes each page returned on both sides), and per page
and client count each side's requests/s (median of the rounds), p50/p90 latency (over every request of the
rounds) and the ratio cshub/PostGraphile of requests/s."""

import os
import platform
from collections import Counter

from bench.graphql_360.measure import Cell, Plan
from bench.peer_postgraphile.install import Installation
from bench.peer_postgraphile.measure import CLIENT_COUNTS, CSHUB, PEER, SIDES, Key, p90_ms


def setup_lines(installation: Installation, pg_version: str, plan: Plan) -> list[str]:
    versions = ", ".join(f"{package} {version}" for package, version in installation.versions.items())
    where = "installed now" if installation.installed_now else "cached"
    return [
        f"PostGraphile: {versions} ({where} in {installation.folder})",
        f"python {platform.python_version()}, PostgreSQL {pg_version}, {os.cpu_count()} CPUs, cshub serve 1 worker, "
        f"{plan.rounds} rounds of {max(1, plan.requests // plan.rounds)} requests per cell, "
        f"warm-up {plan.warmup} requests per client and side",
    ]


def agreement_lines(page: str, entries: int, rows: Counter[str], sizes: dict[str, int]) -> list[str]:
    shown = ", ".join(f"{kind} {count}" for kind, count in sorted(rows.items()))
    per_entry = ", ".join(f"{side} {sizes[side] / entries / 1024:.1f} KiB" for side in SIDES)
    return [
        f"{page}: both sides agree on all {entries} rotation entries; rows (same on both sides): {shown}",
        f"{page}: response size per request: {per_entry}",
    ]


def result_lines(cells: dict[Key, Cell], pages: list[str]) -> list[str]:
    lines = [
        "",
        f"{'page':10} {'side':13} {'clients':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8}",
    ]
    for page in pages:
        for count in CLIENT_COUNTS:
            for side in SIDES:
                cell = cells[(page, side, count)]
                lines.append(
                    f"{page:10} {side:13} {count:7d} {len(cell.latencies):8d} {cell.rate():8.1f} "
                    f"{cell.p50_ms():8.2f} {p90_ms(cell):8.2f}"
                )
    lines.append("")
    for page in pages:
        ratios = ", ".join(
            f"x{cells[(page, CSHUB, c)].rate() / cells[(page, PEER, c)].rate():.2f} ({c} client{'s' if c > 1 else ''})"
            for c in CLIENT_COUNTS
        )
        lines.append(f"{page}: cshub/PostGraphile requests/s {ratios}")
    return lines
