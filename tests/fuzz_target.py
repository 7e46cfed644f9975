"""The fuzz suites' target: a real ``cshub serve`` process on the test database, seeded, with one key per role.

The fuzz tests (tests/test_fuzz_rest.py, tests/test_fuzz_graphql.py) are bounded in time for CI; set
``CSHUB_FUZZ_EXAMPLES`` to a multiplier (e.g. ``10``) for a longer, randomised run on a laptop.
"""

import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, settings
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.seed.loader import seed_demo
from service.settings import Settings
from tests.conftest import make_key
from tests.databases import empty_all_tables
from tests.serve_process import RunningServer, cshub_env, serving

FUZZ_SCALE_VARIABLE = "CSHUB_FUZZ_EXAMPLES"


def fuzz_scale() -> int:
    """How many times the default number of examples to run (1 in CI)."""
    raw = os.environ.get(FUZZ_SCALE_VARIABLE, "").strip()
    return max(1, int(raw)) if raw else 1


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for one fuzzed operation: ``examples`` × the scale, deterministic in CI.

    A scaled-up run is randomised (new examples every time); the default run is derandomised so a CI
    failure is reproducible and a green run stays green.
    """
    scale = fuzz_scale()
    return settings(
        max_examples=examples * scale,
        deadline=None,
        database=None,
        derandomize=scale == 1,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


def rate_limits_off() -> dict[str, Any]:
    """Per-key rate limits would throttle the fuzzers: every ``rate_limit_*_per_minute`` setting at 0 (no limit)."""
    return {
        name: 0 for name in Settings.model_fields if name.startswith("rate_limit_") and name.endswith("_per_minute")
    }


@dataclass
class FuzzTarget:
    """A running server and a key per role, plus the tally of what the fuzzers sent and got back."""

    server: RunningServer
    keys: dict[Role, str]
    statuses: Counter[int] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    ids: dict[str, str] = field(default_factory=dict)  # a real global id per type, for generators to draw from

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def server_errors_logged(self) -> list[dict[str, Any]]:
        """Error-level log lines of the server (unhandled exceptions, unexpected GraphQL errors)."""
        lines = [json.loads(line) for line in self.server.output().splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("level") in {"error", "critical"}]


# A table per type of global id, to find real ids the fuzzers can use.
ID_TABLES = {
    "Account": "accounts",
    "Contact": "contacts",
    "Contract": "contracts",
    "Ticket": "tickets",
    "Goal": "goals",
    "ActionItem": "action_items",
    "Handoff": "handoffs",
    "Alert": "alerts",
    "Scorecard": "scorecards",
    "HealthOverride": "health_overrides",
}


async def real_ids(engine: AsyncEngine) -> dict[str, str]:
    """One existing global id per type name (types without rows are left out)."""
    found: dict[str, str] = {}
    async with engine.connect() as conn:
        for type_name, table in ID_TABLES.items():
            row = (await conn.execute(sa.text(f"SELECT id FROM {table} ORDER BY id LIMIT 1"))).first()
            if row is not None:
                found[type_name] = encode_global_id(type_name, row[0])
    return found


async def prepare_database(engine: AsyncEngine, accounts: int = 6) -> dict[Role, str]:
    """Empty the test database, load a small demo company (so ids resolve), make a key per role."""
    await empty_all_tables(engine)
    await seed_demo(engine, accounts=accounts, seed=8)
    return {role: await make_key(engine, role, f"fuzz {role.value}") for role in Role}


@contextmanager
def fuzz_server(database_url: str, keys: dict[Role, str], workdir: Path, **settings: str) -> Iterator[FuzzTarget]:
    """A server for the fuzzers; ``settings``: more CSHUB_ variables for it."""
    env = cshub_env(
        CSHUB_DATABASE_URL=database_url,
        CSHUB_DATA_DIR=str(workdir / "data"),
        CSHUB_MIGRATE_ON_START="false",
        CSHUB_HEALTH_RECOMPUTE_INTERVAL_SECONDS="0",
        CSHUB_HEALTH_RECOMPUTE_AFTER_INGEST_SECONDS="0",
        CSHUB_LOG_LEVEL="warning",
        **{f"CSHUB_{name.upper()}": str(value) for name, value in rate_limits_off().items()},
        **settings,
    )
    with serving(env=env, workdir=workdir) as server:
        yield FuzzTarget(server, keys)
