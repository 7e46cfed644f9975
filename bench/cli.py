"""What every bench's command line shares: the PostgreSQL server it runs on, and ``--smoke``.

The server is BENCH_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test; each bench makes its own
databases there. ``--smoke`` is the run CI makes of every bench (``python -m bench.smoke``): tiny sizes
that still go through every step (seed, server, agreement check, measurement, report) in seconds, on
databases of the run's own that are dropped at the end, whatever happens.
"""

import argparse
import os
from typing import Any

from service.settings import normalize_database_url

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def server_url() -> str:
    return normalize_database_url(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_SERVER)


def add_smoke_option(parser: argparse.ArgumentParser, sizes: dict[str, Any]) -> None:
    shown = ", ".join(f"--{name.replace('_', '-')} {value}" for name, value in sizes.items())
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"a smoke run: tiny sizes ({shown}; overriding those), on databases of its own, dropped at the end",
    )


def apply_smoke(args: argparse.Namespace, sizes: dict[str, Any]) -> None:
    """Under ``--smoke``, the smoke sizes replace whatever sizes were given."""
    if args.smoke:
        vars(args).update(sizes)
