"""``python -m bench.smoke``: every bench in smoke size, one after the other, as CI runs them.

A bench that no longer runs is a broken test. Each bench runs with ``--smoke`` (tiny sizes that still seed,
start the server where it uses one, check agreement, measure and print its report) in this process, on
scratch databases of its own that it drops at the end, and prints its figures. Exits 1 when any bench
failed, after running the others.

The server: ``--server URL``, else BENCH_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test.
Usage: .venv/bin/python -m bench.smoke [--server URL] [BENCH ...]   (or: make bench-smoke)
"""

import argparse
import os
import time
import traceback
from collections.abc import Callable

from bench import accounts_page, events, ingest, metrics, page_memory
from bench.cli import server_url
from bench.graphql_360.__main__ import main as graphql_360_main
from bench.health.__main__ import main as health_main
from bench.peer_postgraphile.__main__ import main as peer_postgraphile_main

BENCHES: dict[str, Callable[[list[str] | None], None]] = {
    "graphql_360": graphql_360_main,
    "health": health_main,
    "metrics": metrics.main,
    "ingest": ingest.main,
    "events": events.main,
    "accounts_page": accounts_page.main,
    "page_memory": page_memory.main,
    "peer_postgraphile": peer_postgraphile_main,
}


def run_one(name: str) -> str | None:
    """Run one bench in smoke size; None when it passed, else why it failed."""
    try:
        BENCHES[name](["--smoke"])
    except SystemExit as stop:
        if stop.code not in (0, None):
            return str(stop.code)
    except Exception as error:
        traceback.print_exc()
        return f"{type(error).__name__}: {error}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smoke", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--server", help="PostgreSQL server URL (default: BENCH_DATABASE_URL, else the benches' own)")
    parser.add_argument("benches", nargs="*", metavar="BENCH", help="only these: " + ", ".join(BENCHES))
    args = parser.parse_args()
    if unknown := sorted(set(args.benches) - set(BENCHES)):
        parser.error(f"no bench {', '.join(unknown)}; the benches are {', '.join(BENCHES)}")
    if args.server:
        os.environ["BENCH_DATABASE_URL"] = args.server
    names = args.benches or list(BENCHES)
    print(f"smoke run of {', '.join(names)} on {server_url()}", flush=True)
    results: dict[str, tuple[float, str | None]] = {}
    started = time.perf_counter()
    for name in names:
        print(f"\n== {name} --smoke", flush=True)
        bench_started = time.perf_counter()
        failure = run_one(name)
        results[name] = (time.perf_counter() - bench_started, failure)
        if failure:
            print(failure, flush=True)  # whole: the summary below keeps its first line
        print(f"== {name}: {'FAILED' if failure else 'ok'} in {results[name][0]:.1f} s", flush=True)
    print("\nsmoke summary:")
    for name, (seconds, failure) in results.items():
        print(f"  {name:14} {seconds:5.1f} s  {'FAILED: ' + failure.splitlines()[0] if failure else 'ok'}")
    failed = [name for name, (_, failure) in results.items() if failure]
    took = time.perf_counter() - started
    print(f"{len(names) - len(failed)} of {len(names)} benches ran in {took:.1f} s", flush=True)
    if failed:
        raise SystemExit(f"bench smoke: failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
