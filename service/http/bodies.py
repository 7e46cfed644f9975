"""Request bodies of the REST routes: read up to a limit (413 beyond), and parsed as strict JSON (400)."""

import json
from typing import Any

from starlette.requests import Request

from service import json_input
from service.errors import BadRequest, PayloadTooLarge


async def read_limited(request: Request, limit: int, too_large: PayloadTooLarge) -> bytes:
    """The body, refused with ``too_large`` by its Content-Length before reading, or as it streams past ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def refuse_constant(name: str) -> Any:
    """``parse_constant`` for strict JSON: NaN and Infinity are not numbers JSON has."""
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    """UTF-8 JSON without NUL characters, NaN/Infinity or deep nesting; BadRequest saying what is wrong."""
    try:
        text = raw.decode("utf-8")
        if "\\u0000" in text or "\x00" in text:
            raise BadRequest("the body contains NUL characters (\\u0000), which cannot be stored")
        return json_input.loads(text, parse_constant=refuse_constant)
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except json_input.TooDeeplyNested as exc:
        raise BadRequest(f"the body has {exc}; flatten the records") from None
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
