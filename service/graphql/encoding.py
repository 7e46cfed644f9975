"""Encoding a GraphQL response as JSON without holding the event loop, and within CSHUB_GRAPHQL_MAX_RESPONSE_BYTES.

``json.dumps`` of a big response runs in C for as long as it takes, holding the loop (and the GIL, so a
thread would not free the loop either). Here the response is encoded piece by piece: every object or list
holding no other object or list is one ``json.dumps`` call (a row of a list, a list of scalars), the
containers around them are joined in Python, and the work pauses whenever its slice of the loop is spent
(``service.graphql.loop_share``). The bytes are exactly those of ``json.dumps(data, separators=(",", ":"))``;
the encoding stops as soon as they pass the cap.
"""

import json
from collections.abc import Iterator
from typing import Any

from service.graphql.loop_share import LoopShare

_encode = json.JSONEncoder(separators=(",", ":")).encode


class RawJson:
    """JSON text made elsewhere (PostgreSQL, by a compiled read), spliced into the response as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class EncodedTooLarge(Exception):
    """The encoded response passed the byte cap."""


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list | RawJson)


def _pieces(value: Any) -> Iterator[str]:
    if isinstance(value, RawJson):
        yield value.text
    elif isinstance(value, dict):
        if not any(_is_container(item) for item in value.values()) or not all(isinstance(k, str) for k in value):
            yield _encode(value)
            return
        separator = "{"
        for key, item in value.items():
            yield separator + _encode(key) + ":"
            yield from _pieces(item)
            separator = ","
        yield "}"
    elif isinstance(value, list):
        if not any(_is_container(item) for item in value):
            yield _encode(value)
            return
        separator = "["
        for item in value:
            yield separator
            yield from _pieces(item)
            separator = ","
        yield "]"
    else:
        yield _encode(value)


async def encode_json(data: Any, max_bytes: int) -> bytes:
    """``data`` as compact JSON; ``EncodedTooLarge`` past ``max_bytes``. What Python encodes is ASCII (a
    character is a byte); spliced ``RawJson`` text is UTF-8 and counted in bytes."""
    share = LoopShare()
    parts: list[str] = []
    size = 0
    for piece in _pieces(data):
        parts.append(piece)
        size += len(piece) if piece.isascii() else len(piece.encode())
        if size > max_bytes:
            raise EncodedTooLarge
        if share.spent():
            await share.breathe()
    return "".join(parts).encode()
