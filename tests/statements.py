"""Watching the SQL a block of a test sends."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@contextmanager
def _listening(record: Callable[..., None]) -> Iterator[None]:
    """``record(conn, cursor, statement, parameters, context, executemany)`` for every SQL statement any engine in
    this process sends while the block runs. Listening to the statement events is also what tracing does: the
    kept compiled statements then run through SQLAlchemy, not straight on the driver (``service.db.driver``)."""
    sa.event.listen(Engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        sa.event.remove(Engine, "before_cursor_execute", record)


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    """The text of every SQL statement sent while the block runs."""
    seen: list[str] = []
    with _listening(lambda conn, cursor, statement, *rest: seen.append(statement)):
        yield seen


@contextmanager
def sent_statements() -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement sent while the block runs, with its parameters as the driver gets them."""
    seen: list[tuple[str, Any]] = []
    with _listening(lambda conn, cursor, statement, parameters, *rest: seen.append((statement, parameters))):
        yield seen
