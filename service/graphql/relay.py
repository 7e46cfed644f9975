"""Relay conventions: the ``Node`` interface, opaque global ids, cursors and page-size rules.

A global id is base64url("<TypeName>:<uuid>"); a cursor is base64url(JSON of the sort key of the
row it points at), so pagination is keyset-based and stable while rows are added or removed.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import strawberry

from service import json_input
from service.errors import InvalidInput
from service.input_bounds import outside_calendar

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def _b64encode(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _b64decode(value: str) -> str:
    padded = value + "=" * (-len(value) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii")).decode()


def encode_global_id(type_name: str, entity_id: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(_b64encode(f"{type_name}:{entity_id}"))


def decode_global_id(value: str) -> tuple[str, uuid.UUID]:
    """Split a global id into (type name, uuid); a malformed id is a BAD_USER_INPUT error."""
    try:
        type_name, _, raw_id = _b64decode(value).partition(":")
        return type_name, uuid.UUID(raw_id)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidInput(f"{value!r} is not a valid cshub id") from None


def decode_typed_id(value: str, expected_type: str) -> uuid.UUID:
    type_name, entity_id = decode_global_id(value)
    if type_name != expected_type:
        raise InvalidInput(f"id {value!r} is a {type_name} id, not a {expected_type} id")
    return entity_id


def typed_input_id(value: str, type_name: str, field: str) -> uuid.UUID:
    """The uuid of a global id given in the input ``field``; a malformed or foreign id is a BAD_USER_INPUT
    error naming the field."""
    try:
        return decode_typed_id(value, type_name)
    except InvalidInput as refused:
        raise InvalidInput(f"{field}: {refused.message}", field=field) from None


def encode_cursor(sort_key: Sequence[Any]) -> str:
    # Non-ASCII stays UTF-8 (not \u escapes), as PostgreSQL's to_json writes it: compiled reads make the same cursors.
    return _b64encode(json.dumps([str(part) for part in sort_key], separators=(",", ":"), ensure_ascii=False))


def decode_cursor(value: str, length: int) -> list[str]:
    try:
        parts = json_input.loads(_b64decode(value))  # a deeply nested one is refused like any other
    except (ValueError, UnicodeError, binascii.Error):
        parts = None
    if not isinstance(parts, list) or len(parts) != length or not all(isinstance(p, str) for p in parts):
        raise InvalidInput(f"{value!r} is not a cursor returned by this connection")
    return parts


def page_size(first: int | None) -> int:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"first must be between 0 and {MAX_PAGE_SIZE}, got {size}")
    return size


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Global, opaque and stable identifier of the object.")


class OfAccount(Protocol):
    """The root a field on ``Account`` reads: the account's id. Domains type their ``Account`` fields' root with
    it, so they need not import ``Account`` (which imports them)."""

    @property
    def account_id(self) -> uuid.UUID: ...


@strawberry.type(description="Where a page sits in a connection (Relay cursor pagination).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="True when items precede this page (i.e. the page was requested with `after`)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first item of the page, if any.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item of the page; pass it as `after` for the next page."
    )


def decode_time_cursor(value: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (timestamp, id) sort key of a newest-first connection's cursor; None for the first page."""
    if value is None:
        return None
    moment, raw_id = decode_cursor(value, 2)
    try:
        after = datetime.fromisoformat(moment), uuid.UUID(raw_id)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a cursor returned by this connection") from None
    reason = outside_calendar(after[0])
    if reason:  # rows' times are in the calendar, so no cursor this connection returned holds one outside it
        raise InvalidInput(f"after: {value!r} is not a cursor returned by this connection ({reason})", field="after")
    return after


class Edge(Protocol):
    cursor: str


E = TypeVar("E", bound=Edge)
R = TypeVar("R")


def paged(rows: Sequence[R], limit: int, edge: Callable[[R], E], after: str | None) -> tuple[list[E], PageInfo]:
    """The edges and page info of a page fetched with ``limit + 1`` rows (the extra row only says "more")."""
    edges = [edge(row) for row in rows[:limit]]
    return edges, PageInfo(
        has_next_page=len(rows) > limit,
        has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
