"""JSON from clients, decoded with a nesting limit: ``loads`` refuses a value nested deeper than ``MAX_DEPTH``.

``json.loads`` recurses once per level and raises ``RecursionError`` (not a ``ValueError``) somewhere near a
thousand levels; a value just under that still breaks whatever walks it next (the Idempotency-Key digest,
pydantic, PostgreSQL's jsonb). No record, variable or cursor cshub reads needs more than a few levels, so every
place that decodes client JSON (ingest bodies and files, GraphQL bodies and GET parameters, cursors) refuses
deeper values with ``TooDeeplyNested``, a ``ValueError`` each caller turns into its own clear refusal.
"""

import json
from typing import Any

MAX_DEPTH = 64
# A tuple held by the module: ``isinstance`` with a ``dict | list`` union, or a tuple built per test, is slower.
_CONTAINERS = (dict, list)


class TooDeeplyNested(ValueError):
    def __init__(self) -> None:
        super().__init__(f"arrays and objects nested more than {MAX_DEPTH} levels deep")


def depth(value: Any) -> int:
    """How many arrays and objects deep ``value`` is (0 for a scalar), walked level by level without recursion (one
    list per level, not a tuple per value: a batch of a thousand records is walked in about half a millisecond)."""
    level, items = 0, [value]
    while True:
        containers = [item for item in items if isinstance(item, _CONTAINERS)]
        if not containers:
            return level
        level += 1
        if level > MAX_DEPTH:
            return level  # deep enough to refuse: the rest need not be walked
        items = []
        for container in containers:
            items.extend(container.values() if isinstance(container, dict) else container)


def loads(text: str | bytes, **options: Any) -> Any:
    """``json.loads(text, **options)``, or ``TooDeeplyNested`` when the value nests deeper than ``MAX_DEPTH``."""
    try:
        value = json.loads(text, **options)
    except RecursionError:
        raise TooDeeplyNested() from None
    if depth(value) > MAX_DEPTH:
        raise TooDeeplyNested()
    return value
