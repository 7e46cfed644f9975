"""Watching the SQL a block of a test sends."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    """Every SQL statement any engine in this process sends while the block runs. Listening to the statement
    events is also what tracing does: the kept compiled statements then run through SQLAlchemy, not straight on
    the driver (``service.db.driver``)."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    sa.event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(Engine, "before_cursor_execute", record)
