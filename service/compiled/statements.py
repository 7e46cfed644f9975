"""Planned statements, kept: a page asked for again with inputs that shape it the same is not planned again.

A plan depends on the document, the operation, the root's response name, the caller's role (masking and
checks) and the request's day — its *shape* — and on the values of the variables it read
(``service.compiled.bindings``): those are its key. The values of its late parameters (an id, a domain) are
not part of it: they are bound each time the statement runs, so one plan serves every account's page. After
its first run a plan is kept as the SQL text and parameters sent then (``Sent``). A root that could not be
compiled is kept as such for exactly the variables it was asked with. The authorization checks a plan needs
are kept with it and run on every request. Least recently used plans are dropped past ``size``
(CSHUB_GRAPHQL_STATEMENT_CACHE_SIZE).
"""

import datetime as dt
import json
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from service.compiled.bindings import KeyPart, Late

if TYPE_CHECKING:
    from graphql.execution.executor import Executor


@dataclass(frozen=True, slots=True)
class Planned:
    statement: sa.Select[Any] | None  # None: not compiled, for ``refused``
    operations: tuple[str, ...]  # authorization-matrix operations to check first
    refused: str = ""
    key_parts: tuple[KeyPart, ...] = ()  # what of the variables the plan depends on
    late: tuple[Late, ...] = ()  # its late parameters


@dataclass(frozen=True, slots=True)
class Sent:
    """A planned statement as it was sent once: its SQL text and parameters, with the places of the request's
    time and of the late parameters among them. Kept instead of the statement: text and a tuple, not an object
    graph the garbage collector would walk on every collection, and nothing for SQLAlchemy to compile again."""

    sql: str
    parameters: tuple[Any, ...]
    now_at: tuple[int, ...]
    operations: tuple[str, ...]
    late_at: tuple[tuple[int, Late], ...] = ()

    def bound(self, now: dt.datetime, executor: "Executor[Any]") -> tuple[Any, ...]:
        """The parameters for this request: its time and its late parameters' values (InvalidInput: refused)."""
        parameters = list(self.parameters)
        for index in self.now_at:
            parameters[index] = now
        for index, late in self.late_at:
            parameters[index] = late.value(executor)
        return tuple(parameters)


MAX_KEY_PARTS = 16  # different key parts kept per shape (the newest)

# document, operation, root, role, day, and the caller for a root that reads who calls (``viewer``)
Shape = tuple[str, str | None, str, str | None, dt.date, Hashable]


def refusal_key(shape: Shape, variables: dict[str, Any]) -> Hashable:
    """The key of a refusal: the shape and every variable (a refused value says nothing of other values)."""
    return ("refused", shape, json.dumps(variables, sort_keys=True, default=repr))


class Statements:
    def __init__(self, size: int) -> None:
        self.size = size
        self._plans: OrderedDict[Hashable, Any] = OrderedDict()

    def key_parts(self, shape: Shape) -> list[tuple[KeyPart, ...]]:
        """The key parts of the plans kept for ``shape`` (one, unless what a plan reads depends on values)."""
        found: list[tuple[KeyPart, ...]] | None = self.get(("parts", shape))
        return found or []

    def add_key_parts(self, shape: Shape, parts: tuple[KeyPart, ...]) -> None:
        known = self.key_parts(shape)
        if parts not in known:
            self.put(("parts", shape), [*known, parts][-MAX_KEY_PARTS:])

    def get(self, key: Hashable) -> Any:
        found = self._plans.get(key)
        if found is not None:
            self._plans.move_to_end(key)
        return found

    def put(self, key: Hashable, planned: Any) -> None:
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
