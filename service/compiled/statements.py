"""Planned statements, kept: a page asked for again with the same inputs is not planned again.

The plan of a root depends only on the document, the operation, the root's response name, the caller's role
(masking and checks), the request's day and the variables; with those as the key, the statement (or the
reason it could not be compiled) is reused: after its first run, as the SQL text and parameters sent then.
The authorization checks it needs are kept with it and run on every request. Least recently used plans are dropped past
``size`` (CSHUB_GRAPHQL_STATEMENT_CACHE_SIZE).
"""

import datetime as dt
import json
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True, slots=True)
class Planned:
    statement: sa.Select[Any] | None  # None: not compiled, for ``refused``
    operations: tuple[str, ...]  # authorization-matrix operations to check first
    refused: str = ""


@dataclass(frozen=True, slots=True)
class Sent:
    """A planned statement as it was sent once: its SQL text and parameters, with the places of the request's
    time among them. Kept instead of the statement: text and a tuple, not an object graph the garbage
    collector would walk on every collection, and nothing for SQLAlchemy to key or compile again."""

    sql: str
    parameters: tuple[Any, ...]
    now_at: tuple[int, ...]
    operations: tuple[str, ...]

    def with_now(self, now: dt.datetime) -> tuple[Any, ...]:
        parameters = list(self.parameters)
        for index in self.now_at:
            parameters[index] = now
        return tuple(parameters)


def plan_key(
    query: str, operation: str | None, root: str, role: str | None, today: dt.date, variables: dict[str, Any]
) -> Hashable:
    return (query, operation, root, role, today, json.dumps(variables, sort_keys=True, default=repr))


class Statements:
    def __init__(self, size: int) -> None:
        self.size = size
        self._plans: OrderedDict[Hashable, Planned | Sent] = OrderedDict()

    def get(self, key: Hashable) -> Planned | Sent | None:
        found = self._plans.get(key)
        if found is not None:
            self._plans.move_to_end(key)
        return found

    def put(self, key: Hashable, planned: Planned | Sent) -> None:
        if self.size <= 0:
            return
        self._plans[key] = planned
        self._plans.move_to_end(key)
        while len(self._plans) > self.size:
            self._plans.popitem(last=False)


_by_size: dict[int, Statements] = {}


def statements(size: int) -> Statements:
    """The process's cache of the given size (one per setting value, shared by every request)."""
    if size not in _by_size:
        _by_size[size] = Statements(size)
    return _by_size[size]
