"""Shared fixtures: a real PostgreSQL with the migrated schema, a clean database per test, app clients."""

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from hypothesis import settings as hypothesis_settings
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from starlette.types import Receive, Scope, Send

from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from service.app import create_app
from service.db.embedded import EmbeddedPostgres
from service.settings import Settings
from service.subscriptions.hub import PUMP_TASK_NAME
from tests.databases import assert_no_sequences, empty_all_tables, external_server_url, scratch_database

# Property tests draw the same examples on every run by default, so CI is repeatable (a red CI blocks landing);
# CSHUB_HYPOTHESIS=explore draws new ones each run, to hunt for cases the fixed draw misses.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile("explore" if os.environ.get("CSHUB_HYPOTHESIS") == "explore" else "repeatable")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Give every run a temporary directory of its own unless ``--basetemp`` names one.

    pytest's default numbered directories are pruned by later runs, and two runs given the same ``--basetemp``
    wipe each other's: either way one run could delete the embedded PostgreSQL another is still using. A fresh
    ``mkdtemp`` per run is never touched by another run; it is removed when the run passes and kept (for the
    logs) when it fails. xdist workers inherit their own subdirectory of it from the controller.
    """
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        config.option.basetemp = tempfile.mkdtemp(prefix="cshub-tests-")
        config.stash[_OWN_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    own = config.stash.get(_OWN_BASETEMP, None)
    if own is not None and config.stash.get(_PASSED, False):
        shutil.rmtree(own, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_PASSED] = exitstatus == 0


# Tests that take seconds each (server processes, fuzzers, crash recovery), started first so that parallel
# workers (pytest-xdist) end together on short tests instead of one worker finishing a long one alone.
RUN_FIRST = (
    "tests/test_fuzz_graphql.py::",
    "tests/test_compiled_differential.py::",
    "tests/test_compiled_handoff_context.py::",
    "tests/test_compiled_handoffs.py::",
    "tests/test_compiled_timeline.py::",
    "tests/test_compiled_health.py::",
    "tests/test_fuzz_rest.py::",
    "tests/test_serve_process.py::",
    "tests/test_ingest_crash.py::",
    "tests/test_rate_limits.py::test_two_server_processes",
    "tests/test_seed_generator.py::test_seeding_goes_through_ingest",
    "tests/test_graphql_handoff_context.py::",
    "tests/test_health.py::test_readyz_is_503_when_schema_is_not_migrated",
    "tests/test_faults.py::",
    "tests/test_health_refresher.py::",
    "tests/test_malformed_inputs.py::",
    "tests/test_edge_inputs.py::",
    "tests/test_graphql_response_limits.py::test_healthz_answers_promptly",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(RUN_FIRST))  # stable: order within each part kept


_OWN_BASETEMP = pytest.StashKey[str]()
_PASSED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the PostgreSQL server the suite runs on (its maintenance database)."""
    external = external_server_url()
    if external is not None:
        yield external
        return
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("embedded-pg"))
    try:
        yield embedded.start()
    finally:
        embedded.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """The suite's database, built by the migrations once per run."""
    async with scratch_database(server_url) as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def session_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    await assert_no_sequences(engine)  # empty_all_tables relies on it
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def engine(session_engine: AsyncEngine) -> AsyncEngine:
    """The suite's engine, with every table emptied before the test runs."""
    await empty_all_tables(session_engine)
    return session_engine


@pytest_asyncio.fixture
async def conn(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction that the test may commit or leave to roll back."""
    async with engine.connect() as connection:
        yield connection


@pytest.fixture(scope="session")
def suite_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The suite's settings, read (environment included) once per test process: building Settings reads and
    validates every source, ~15 ms, and most tests ask for them."""
    # No background health recomputes in tests unless a test asks for them (tests/test_health_refresher.py).
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("settings") / "data",
        migrate_on_start=False,
        health_recompute_interval_seconds=0,
        health_recompute_after_ingest_seconds=0,
        ingest_analyze=False,  # no ANALYZE in the background (tests/test_statistics_keeper.py turns it on)
        webhooks_deliver=False,  # tests of delivery run their own workers (tests/test_webhooks.py)
        clock_sweep=False,  # tests of the clock sweep at the times they choose (tests/test_clock_events.py)
        webhook_allow_loopback=True,  # receivers in tests listen on 127.0.0.1
    )


@pytest.fixture
def settings(suite_settings: Settings, tmp_path: Path) -> Settings:
    """The suite's settings with a data directory of the test's own."""
    return suite_settings.model_copy(update={"data_dir": tmp_path / "data"})


class LifespanApp:
    """Runs the app's lifespan and hands its state to every request, as uvicorn does."""

    def __init__(self, app: object, state: dict[str, object]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = dict(self.state)
        await self.app(scope, receive, send)  # type: ignore[operator]


async def make_key(engine: AsyncEngine, role: Role = Role.ADMIN, name: str = "test") -> str:
    async with engine.begin() as connection:
        return (await api_keys.create_key(connection, role=role, name=name)).secret


@pytest_asyncio.fixture
async def admin_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.ADMIN, "test admin")


@pytest_asyncio.fixture
async def client(engine: AsyncEngine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, lifespan included."""
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=LifespanApp(app, dict(state or {})), raise_app_exceptions=False)
        async with requests_settle(), httpx.AsyncClient(transport=transport, base_url="http://cshub.test") as http:
            yield http


@asynccontextmanager
async def requests_settle() -> AsyncIterator[None]:
    """On exit, wait (5 s at most) for the tasks started inside — work a request left running after its answer
    (a load a cancelled field had started, finishing as it would in a server) — so that it returns its
    connection before the app closes its pool."""
    before = asyncio.all_tasks()
    try:
        yield
    finally:
        started = {
            task
            for task in asyncio.all_tasks() - before - {asyncio.current_task()}
            if task.get_name() != PUMP_TASK_NAME  # the app's own event reader runs until the app stops
        }
        if started:
            await asyncio.wait(started, timeout=5)
