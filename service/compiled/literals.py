"""The constants of a kept statement written into its SQL text, so that only the request's values stay parameters.

A planned statement binds every value it holds: the request's time and late values, but also the plan's own
constants — enum values, page sizes, day counts, dates of the day — a 360 page about 190 of them, each
encoded by asyncpg and parsed by PostgreSQL on every run. Once a statement is kept (``statements.Sent``), a
constant is written into the text instead, as a quoted literal before the cast its placeholder already
carries (``$5::INTEGER`` becomes ``'12'::INTEGER``): the value PostgreSQL gets is the same, parsed from its
text form by the same type.

Only what is exact and cannot carry SQL is written: a ``str`` without a backslash, quotes doubled; an
``int``, a finite ``float`` (Python's ``repr``, which PostgreSQL reads back exactly), a ``date`` in ISO
form, a ``bool`` or a ``UUID`` — each only before a cast to its own type. Anything else stays a parameter,
and so does every value the request gave (its variables' values and its document's string literals): a
request's text is never written into SQL, and values that vary with requests would only make more
statements for PostgreSQL to prepare.
"""

import datetime as dt
import math
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from graphql import FloatValueNode, IntValueNode, Node, StringValueNode, Visitor, visit

# Skipped as they are — quoted strings, escape strings, quoted names, comments — or a placeholder and its cast.
_TOKENS = re.compile(
    r"""(?<![\w$])[Ee]'(?:[^'\\]|\\.|'')*'"""
    r"""|'(?:[^']|'')*'"""
    r'''|"(?:[^"]|"")*"'''
    r"""|--[^\n]*"""
    r"""|(?<![\w$])\$(?P<number>\d+)(?P<cast>::[A-Za-z]+(?:\[\])?)?""",
    re.DOTALL,
)
_CASTS: dict[type, tuple[str, ...]] = {
    str: ("::VARCHAR", "::TEXT"),
    int: ("::INTEGER", "::BIGINT", "::SMALLINT"),
    float: ("::FLOAT", "::DOUBLE"),
    dt.date: ("::DATE",),
    bool: ("::BOOLEAN",),
    uuid.UUID: ("::UUID",),
}


def request_values(values: Iterable[Any]) -> set[Any]:
    """Every scalar in ``values`` (a request's variables, its document's literals), at any depth."""
    found: set[Any] = set()
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, str | int | float | dt.date | uuid.UUID):
            found.add(value)
    return found


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[Any] = []

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.found.append(node.value)

    def enter_int_value(self, node: IntValueNode, *_: Any) -> None:
        self.found.append(int(node.value))

    def enter_float_value(self, node: FloatValueNode, *_: Any) -> None:
        self.found.append(float(node.value))


def document_values(nodes: Iterable[Node]) -> list[Any]:
    """The string and number literals written in ``nodes`` (an operation and its fragments)."""
    literals = _Literals()
    for node in nodes:
        visit(node, literals)
    return literals.found


def literal(value: Any, cast: str) -> str | None:
    """``value`` as a quoted SQL literal for a placeholder cast with ``cast``; None when it is not written."""
    kind = type(value)
    if kind not in _CASTS or cast.upper() not in _CASTS[kind]:
        return None  # an exact type only: a datetime is no date, a bool no int
    if kind is str:
        if "\\" in value or "\x00" in value:
            return None
        return "'" + str(value).replace("'", "''") + "'"
    if kind is float and not math.isfinite(value):
        return None
    if kind is bool:
        return "'true'" if value else "'false'"
    if kind is dt.date:
        return f"'{value.isoformat()}'" if 1 <= value.year <= 9999 else None
    return f"'{value}'" if kind is uuid.UUID else f"'{value!r}'"  # an int, a float: repr reads back exactly


def _placeholders(sql: str) -> Iterator[re.Match[str]]:
    return (match for match in _TOKENS.finditer(sql) if match.group("number") is not None)


def inline_constants(
    sql: str, parameters: tuple[Any, ...], kept: set[int], given: set[Any]
) -> tuple[str, tuple[Any, ...], dict[int, int]] | None:
    """``sql`` with each parameter written as a literal where it can be, except those at the indexes ``kept``
    and those whose value the request ``given``; the parameters left, and each left one's new index by its old
    one. None when the text is not as expected (a placeholder out of range): keep the statement as it is."""
    casts: dict[int, set[str]] = {}
    for match in _placeholders(sql):
        index = int(match.group("number")) - 1
        if not 0 <= index < len(parameters):
            return None
        casts.setdefault(index, set()).add((match.group("cast") or "").upper())
    written: dict[int, str] = {}
    for index, value in enumerate(parameters):
        if index in kept or index not in casts or _given(value, given):
            continue
        texts = {literal(value, cast) for cast in casts[index]}
        if len(texts) == 1 and (text := texts.pop()) is not None:
            written[index] = text
    left = [index for index in range(len(parameters)) if index not in written]
    moved = {old: new for new, old in enumerate(left)}

    def replaced(match: re.Match[str]) -> str:
        if match.group("number") is None:
            return match.group(0)
        index = int(match.group("number")) - 1
        if index in written:
            return written[index] + (match.group("cast") or "")
        return f"${moved[index] + 1}" + (match.group("cast") or "")

    return _TOKENS.sub(replaced, sql), tuple(parameters[index] for index in left), moved


def _given(value: Any, given: set[Any]) -> bool:
    try:
        return value in given
    except TypeError:  # unhashable: a list, kept as a parameter anyway
        return True
