"""One statement run straight through asyncpg on a pooled connection, for the hot read path.

A kept compiled statement (``service.compiled.statements``) is SQL text already: SQLAlchemy's execution around it
— an execution context, a cursor, result metadata, the isolation level set to AUTOCOMMIT and reset on return —
costs about 0.1 ms of CPU per request for nothing it needs. Here the text goes to the connection's asyncpg
connection as it is, outside any transaction (asyncpg runs it alone, as AUTOCOMMIT would), and asyncpg keeps it
prepared (``max_cacheable_statement_size`` in ``service.db.pool`` lets it keep statements that large).

While anyone listens to SQLAlchemy's statement events (``before_cursor_execute``…: tracing, tests counting
statements), the statement runs through SQLAlchemy as before, so that they see it. Failures are what
SQLAlchemy would raise had it run the statement: the driver's error translated by the
dialect into a ``DBAPIError`` with the same ``orig`` (so ``database_errors`` reads the same SQLSTATE), and a
connection found closed invalidated with every connection pooled before it, and one left in the middle of a
statement (the request cancelled) dropped, so that the pool does not hand them out again.
"""

import asyncio
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection


async def fetch_value(conn: AsyncConnection, sql: str, parameters: tuple[Any, ...]) -> Any:
    """The first column of the first row of ``sql`` run with ``parameters`` (``$1``…) on ``conn``."""
    events = conn.sync_engine.dispatch
    if events.before_cursor_execute or events.after_cursor_execute:
        # Someone watches statements (tracing, a test counting them): run it where they look, as before.
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        return (await conn.exec_driver_sql(sql, parameters)).scalar_one()
    fairy = await conn.get_raw_connection()
    driver: Any = fairy.driver_connection
    try:
        return await driver.fetchval(sql, *parameters)
    except (asyncio.CancelledError, TimeoutError):
        # Left in the middle of a statement: SQLAlchemy drops such a connection rather than pool it again.
        await conn.invalidate()
        raise
    except Exception as error:
        failure = await _as_sqlalchemy_raises(conn, fairy, sql, parameters, error)
        if failure is None:
            raise
        raise failure from failure.orig


async def _as_sqlalchemy_raises(
    conn: AsyncConnection, fairy: Any, sql: str, parameters: tuple[Any, ...], error: Exception
) -> DBAPIError | None:
    """The ``DBAPIError`` SQLAlchemy raises for the driver's ``error`` (the connection invalidated when it is
    lost); None for an error that is not the driver's (raised as it is)."""
    dialect = conn.dialect
    adapted = fairy.dbapi_connection
    try:
        adapted._handle_exception(error)  # raises the DBAPI exception the dialect makes of the driver's
    except Exception as translated:
        if not isinstance(translated, dialect.loaded_dbapi.Error):
            return None
        lost = dialect.is_disconnect(translated, adapted, None)
        wrapped = DBAPIError.instance(
            sql,
            parameters,
            translated,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            dialect=dialect,
            connection_invalidated=lost,
        )
        if lost:  # as SQLAlchemy does: every connection pooled before now is replaced, this one dropped
            conn.sync_engine.pool._invalidate(fairy, wrapped, _checkin=False)
            await conn.invalidate(wrapped)
        return wrapped if isinstance(wrapped, DBAPIError) else None
    return None
