"""The connection pool: one async SQLAlchemy engine per process, owned by the app's lifespan.

Faults become ``DatabaseUnavailable`` (503, retry later, nothing written) in ``database_errors``: an
unreachable or restarting server, a connection lost mid-request, a pool with no free connection
within ``pool_timeout``, a transaction aborted by concurrent work, and a statement cancelled by the
statement timeout (``QueryTimeout``). A connection idle for more than ``IDLE_PING_SECONDS`` is pinged on
checkout (one round trip) and replaced if dead; one in use a moment ago is not (a ping per checkout was three
round trips on every request). A statement that finds its connection dead answers ``DatabaseUnavailable``
and makes the pool replace every connection as old as it, so after a database restart the service recovers
without a restart of its own.

While PostgreSQL is down, API clients (unauthenticated ones included) read only "database unavailable":
where the database is and how it is configured goes to the log (and to the command line's error line).
"""

import asyncio
import logging
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_only

from service.db import jsonb
from service.errors import DatabaseUnavailable, QueryTimeout

logger = logging.getLogger("cshub.db")
# The command line prints the detail of its own failures (`cshub: error: ...`) and configures no logging:
# without a handler here, Python's last-resort handler would print every warning a second time.
logger.addHandler(logging.NullHandler())

CONNECT_TIMEOUT_SECONDS = 5
OUTAGE_MESSAGE = "database unavailable"
# serialization_failure, deadlock_detected, lock_not_available
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down)
_RESTARTING_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
_QUERY_CANCELED = "57014"  # statement_timeout (or pg_cancel_backend)
_CONNECTION_EXCEPTION_CLASS = "08"  # e.g. the server closed the connection while it was being opened


def _sqlstate(exc: DBAPIError) -> str | None:
    for candidate in (exc.orig, getattr(exc.orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


class PoolSettings(Protocol):
    """What the pool reads of the settings (``service.settings.Settings`` has it): the database package sits
    below the settings, which read a domain's rule (``accounts.web_domains``), so it names only what it needs."""

    @property
    def db_pool_size(self) -> int: ...
    @property
    def db_max_overflow(self) -> int: ...
    @property
    def db_pool_timeout_seconds(self) -> float: ...


def create_engine(url: str, settings: PoolSettings, *, statement_timeout_seconds: float = 0) -> AsyncEngine:
    """The pool; ``statement_timeout_seconds`` (0: none) bounds every statement its sessions run — the
    app passes ``settings.db_statement_timeout_seconds``, the CLI's operator commands none."""
    server_settings = {"application_name": "cshub", "jit": "off"}
    if statement_timeout_seconds > 0:
        server_settings["statement_timeout"] = str(max(1, round(statement_timeout_seconds * 1000)))  # ms
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # A failed statement's str() (logged with tracebacks) would list its parameters: searched text,
        # e-mail addresses, whole ingested records. The statement itself is enough to debug; its data stays out.
        hide_parameters=True,
        json_serializer=jsonb.dumps,  # json/jsonb parameters (link payloads, audit details…): orjson's text
        # JIT off for every session: the planner's estimates for the set-based statements (health recompute,
        # BI metrics) are far off and compiling cost more than it saved — 1.5 s of a 6 s recompute of 10,000
        # accounts (bench/health), 2.4 s of a 7 s mrrMovements over 1.1M lines (bench/metrics).
        connect_args={
            "timeout": CONNECT_TIMEOUT_SECONDS,
            "server_settings": server_settings,
            # asyncpg keeps statements run straight through it (``service.db.driver``: kept compiled reads, a
            # 360 page's is about 30 KB) prepared per connection only when their text is at most this long.
            "max_cacheable_statement_size": 256 * 1024,
        },
    )
    _ping_when_idle(engine)
    return engine


IDLE_PING_SECONDS = 1.0
_USED_AT = "cshub_used_at"


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection on checkout when it has been idle longer than ``IDLE_PING_SECONDS``; a dead one
    is replaced by the pool (which retries the checkout with a new connection)."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "connect")
    def connected(dbapi_connection: Any, record: Any) -> None:
        record.info[_USED_AT] = time.monotonic()

    @event.listens_for(pool, "checkin")
    def returned(dbapi_connection: Any, record: Any) -> None:
        record.info[_USED_AT] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get(_USED_AT, 0.0) <= IDLE_PING_SECONDS:
            return
        try:
            # Plain ";" on the driver's connection: one round trip (the dialect's ping wraps it in BEGIN/ROLLBACK).
            await_only(record.driver_connection.fetchrow(";"))
        except Exception as dead:
            raise DisconnectionError(f"pooled connection is dead: {dead}") from dead


def describe_url(url: str | URL) -> str:
    """Where a URL points, without credentials: safe to print and log."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "local socket"
    if isinstance(host, tuple):
        host = host[0]
    port = f":{parsed.port}" if parsed.port else ""
    return f"{host}{port}/{parsed.database}"


def unavailable(detail: str) -> DatabaseUnavailable:
    """The outage answer clients get (no host, no hints), with ``detail`` for the operator, logged here."""
    logger.warning("database unavailable: %s", detail)
    return DatabaseUnavailable(OUTAGE_MESSAGE, detail=detail)


@asynccontextmanager
async def database_errors(url: str | URL) -> AsyncIterator[None]:
    """Turn driver-level connection failures into one ``DatabaseUnavailable`` line (``url``, the engine's, is only
    described when one happens: not rendered on every request)."""
    try:
        yield
    except PoolTimeout:  # no pooled connection came free within pool_timeout
        raise DatabaseUnavailable("every database connection of this server is busy; retry in a moment") from None
    except (OSError, socket.gaierror, InterfaceError, OperationalError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise unavailable(
            f"cannot connect to PostgreSQL at {describe_url(url)}: {reason}; "
            "check that the server runs and CSHUB_DATABASE_URL is right, or unset it to use the embedded one"
        ) from None
    except DBAPIError as exc:
        state = _sqlstate(exc) or ""
        if state in _RESTARTING_SQLSTATES:
            raise unavailable(f"PostgreSQL at {describe_url(url)} is restarting or shutting down") from None
        if exc.connection_invalidated or state.startswith(_CONNECTION_EXCEPTION_CLASS):
            raise unavailable(f"lost the connection to PostgreSQL at {describe_url(url)}") from None
        if state == _QUERY_CANCELED:
            raise QueryTimeout(
                "the query ran longer than this server allows and was cancelled; nothing was written. "
                "Ask for less (smaller pages, fewer fields) or retry later"
            ) from None
        if state in _RETRYABLE_SQLSTATES:
            raise DatabaseUnavailable(
                "the database aborted this transaction because of concurrent work; nothing was written, retry it"
            ) from None
        raise


_CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
T = TypeVar("T")


async def in_transaction(
    engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[T]], *, attempts: int = 3
) -> T:
    """Run ``work`` in one transaction and commit; if PostgreSQL aborts it because of concurrent work
    (deadlock, serialization failure), nothing was written, so run it again (a few times, with jitter)."""
    for attempt in range(1, attempts + 1):
        try:
            async with engine.begin() as conn:
                return await work(conn)
        except DBAPIError as exc:
            if attempt == attempts or _sqlstate(exc) not in _CONFLICT_SQLSTATES:
                raise
            await asyncio.sleep(random.uniform(0.005, 0.05) * attempt)
    raise AssertionError("unreachable")


async def check_connection(engine: AsyncEngine) -> None:
    async with (
        database_errors(engine.url),
        engine.connect() as conn,
    ):
        await conn.execute(text("SELECT 1"))


class RequestReads:
    """One request's reads: each gets its own short-lived connection (concurrent resolvers never share one),
    and at most ``limit`` hold a connection at once — the rest queue — so one wide query cannot drain the
    pool (and make it open and discard overflow connections) while other requests wait."""

    def __init__(self, engine: AsyncEngine, limit: int) -> None:
        self.engine = engine
        self._slots = asyncio.Semaphore(limit)
        self._failed: DatabaseUnavailable | None = None

    def fail_with(self, error: DatabaseUnavailable) -> None:
        """Every later read of this request raises ``error`` at once: a statement already met it, and asking
        again (a query answered the usual way after a shortcut failed) would only wait for it again."""
        self._failed = error

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        if self._failed is not None:
            raise self._failed
        async with self._slots, database_errors(self.engine.url), self.engine.connect() as conn:
            yield conn


async def without_statement_timeout(conn: AsyncConnection) -> None:
    """Lift the statement timeout for the rest of ``conn``'s transaction: background work (the health
    recompute) may legitimately run longer than any request should."""
    await conn.execute(text("SET LOCAL statement_timeout = 0"))


async def planned_for_each_run(conn: AsyncConnection) -> None:
    """Plan every statement of the rest of ``conn``'s transaction for the values it is run with, never with a kept
    generic plan. asyncpg keeps prepared statements per connection, and PostgreSQL builds a generic plan for one
    after five runs and keeps it: a plan made while a table was nearly empty (a first import) reads the whole table,
    comparing each row with each of a batch's thousand keys, once it holds thousands of rows — each batch slower
    than the last, until autovacuum happens to analyze the table. A custom plan sees the table's size as it is now."""
    await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


@asynccontextmanager
async def plans_kept_for_checks(conn: AsyncConnection) -> AsyncIterator[None]:
    """Within the block, plans kept as PostgreSQL keeps them (``plan_cache_mode = auto``), then planned for each run
    again: for a statement that writes rows with foreign keys. Each row's check runs a saved plan, which
    ``force_custom_plan`` plans again for every row — about 10 µs a row, two-thirds of the check (an INSERT of 1,000
    usage events: 15 ms of checks instead of 4). The statement itself must read no table by a plan that could go
    stale (an INSERT from its parameters, with a conflict index, reads nothing else)."""
    await conn.execute(text("SET LOCAL plan_cache_mode = auto"))
    yield
    await planned_for_each_run(conn)
