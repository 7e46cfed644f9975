"""A Segment ``batch`` body read as ``parse_json`` reads it, with how long each of its calls is in the body.

Why: Segment's limit of 32 KB per call is checked on each call's compact JSON, and encoding every call again to
measure it cost more than reading it; from its length in the body, ``service.segment.calls`` knows that most calls
cannot be over the limit without encoding them.

The top-level object and the ``batch`` array are walked here, each key and value in them decoded by the ``json``
module's own scanner. Whatever this walk does not take as it is — text that is not ASCII (where characters are not
bytes), a ``\\u0000`` escape, anything but an object, invalid or too deeply nested JSON — is read by
``parse_json`` instead, which answers the same value, or the same refusal, as for any other body.
"""

import json
import re
from json.scanner import make_scanner
from typing import Any, cast

from service import json_input
from service.http.bodies import parse_json, refuse_constant

# What json.loads decodes each value with (the decoder's own scanner; typeshed types its argument too narrowly).
_scan = make_scanner(cast(Any, json.JSONDecoder(parse_constant=refuse_constant)))
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _NotTaken(Exception):
    """Text this walk leaves to ``parse_json``."""


def parse_batch(raw: bytes) -> tuple[Any, list[int] | None]:
    """The body as ``parse_json`` reads it (or its refusal), and the length in bytes of each call of its ``batch``
    array (None when that was not measured: read them all again)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return parse_json(raw), None
    if not text.isascii() or "\\u0000" in text:
        return parse_json(raw), None
    try:
        body, lengths = _object(text)
    except (_NotTaken, ValueError, StopIteration, IndexError, RecursionError):
        return parse_json(raw), None
    if json_input.depth(body) > json_input.MAX_DEPTH:
        return parse_json(raw), None
    return body, lengths


def _object(text: str) -> tuple[dict[str, Any], list[int] | None]:
    """The top-level object (a repeated key: the last wins, as in ``json.loads``) and its batch's call lengths."""
    body: dict[str, Any] = {}
    lengths: list[int] | None = None
    at = _expect(text, _skip(text, 0), "{")
    if text[at] == "}":
        return body, _end(text, at + 1, lengths)
    while True:
        if text[at] != '"':
            raise _NotTaken
        key, at = _scan(text, at)
        at = _expect(text, _skip(text, at), ":")
        if key == "batch" and text[at] == "[":
            body[key], lengths, at = _array(text, at + 1)
        else:
            body[key], at = _scan(text, at)
            lengths = None if key == "batch" else lengths
        at = _skip(text, at)
        if text[at] == "}":
            return body, _end(text, at + 1, lengths)
        at = _expect(text, at, ",")


def _array(text: str, at: int) -> tuple[list[Any], list[int], int]:
    items: list[Any] = []
    lengths: list[int] = []
    at = _skip(text, at)
    if text[at] == "]":
        return items, lengths, at + 1
    while True:
        item, end = _scan(text, at)
        items.append(item)
        lengths.append(end - at)
        at = _skip(text, end)
        if text[at] == "]":
            return items, lengths, at + 1
        at = _expect(text, at, ",")


def _expect(text: str, at: int, char: str) -> int:
    """Past ``char`` at ``at`` and the whitespace after it."""
    if text[at] != char:
        raise _NotTaken
    return _skip(text, at + 1)


def _end(text: str, at: int, lengths: list[int] | None) -> list[int] | None:
    if _skip(text, at) != len(text):
        raise _NotTaken
    return lengths


def _skip(text: str, at: int) -> int:
    """Past the whitespace at ``at`` (JSON's four characters, as the ``json`` module skips them)."""
    found = _WHITESPACE.match(text, at)
    assert found is not None  # the pattern matches the empty text too
    return found.end()
