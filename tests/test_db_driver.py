"""A statement run straight through asyncpg (``service.db.driver``) answers, and fails, as through SQLAlchemy."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.driver import fetch_value
from service.db.pool import _sqlstate
from tests.statements import counting_statements


async def test_the_value_of_a_statement(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await fetch_value(conn, "SELECT $1::INTEGER + 1", (41,)) == 42
        assert await fetch_value(conn, "SELECT NULL::TEXT", ()) is None
        assert not conn.in_transaction()  # asyncpg ran it alone: nothing to roll back
    with counting_statements() as seen:
        async with engine.connect() as conn:
            assert await fetch_value(conn, "SELECT $1::INTEGER + 2", (40,)) == 42
    assert seen == ["SELECT $1::INTEGER + 2"]


async def test_an_error_is_the_one_sqlalchemy_raises(engine: AsyncEngine) -> None:
    raised: list[DBAPIError] = []
    for listening in (_nothing(), counting_statements()):
        with listening, pytest.raises(DBAPIError) as error:
            async with engine.connect() as conn:
                await fetch_value(conn, "SELECT 1 / $1::INTEGER", (0,))
        raised.append(error.value)
    straight, through_sqlalchemy = raised
    assert type(straight) is type(through_sqlalchemy)
    assert type(straight.orig) is type(through_sqlalchemy.orig)
    assert _sqlstate(straight) == _sqlstate(through_sqlalchemy) == "22012"  # where database_errors reads it
    assert not straight.connection_invalidated
    assert "(0,)" not in str(straight)  # parameters hidden, as the engine hides them


async def test_a_lost_connection_is_invalidated(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        pid = await fetch_value(conn, "SELECT pg_backend_pid()", ())
        async with engine.connect() as other:
            await other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await other.commit()
        with pytest.raises(DBAPIError) as raised:
            await fetch_value(conn, "SELECT 1", ())
        assert raised.value.connection_invalidated
        assert conn.invalidated
    async with engine.connect() as conn:  # the pool hands out a live connection again
        assert await fetch_value(conn, "SELECT 1", ()) == 1


@contextmanager
def _nothing() -> Iterator[None]:
    yield


async def test_a_connection_left_in_the_middle_of_a_statement_is_dropped(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        running = asyncio.create_task(fetch_value(conn, "SELECT pg_sleep(5)", ()))
        await asyncio.sleep(0.3)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert conn.invalidated
    async with engine.connect() as conn:
        assert await fetch_value(conn, "SELECT 1", ()) == 1
