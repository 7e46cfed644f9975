"""JSON text for PostgreSQL's ``json``/``jsonb`` parameters: orjson's where it can write the value, ``json``'s where
it cannot.

An ingest batch sends a thousand link payloads: ``json`` spends ~1.6 ms encoding a thousand small records, orjson
~0.1. PostgreSQL parses the text, so only the value matters, not its spelling (spaces, escapes, ``1e16`` for
``1e+16``). What orjson refuses — keys that are not text, integers beyond 64 bits — ``json`` writes as it always did.
Reading stays with ``json``: orjson reads an integer beyond 64 bits as a float. Digests of records
(``ingest.identity``) are not made here: their text must stay the same from one version to the next.
"""

import json
from typing import Any

import orjson


def dumps(value: Any) -> str:
    """``value`` as JSON text for a json/jsonb parameter."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value)
