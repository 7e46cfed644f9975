"""ASGI middleware: request ids and request logs, then authentication.

``RequestContextMiddleware`` gives every request an id (a sane incoming ``X-Request-ID`` is kept),
echoes it in the response and logs one line when the request ends. ``AuthenticationMiddleware``
requires ``Authorization: Bearer <key>`` everywhere except the public paths and puts the caller's
``Principal`` in the request state.
"""

import logging
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api_keys import service as api_keys
from service.db import database_errors
from service.errors import AuthenticationRequired, CshubError
from service.http.problems import GRAPHQL_PATH, error_response
from service.settings import Environment, Settings

logger = logging.getLogger("cshub.request")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})


def _state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state = _state(scope)
        state["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if REQUEST_ID_HEADER not in headers:
                    headers[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            principal = state.get("principal")
            logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],  # never the query string: it may carry data
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "key_id": str(principal.key_id) if principal else None,
                },
            )


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        state = _state(scope)
        settings: Settings = state["settings"]
        if _is_graphql_ide_page(scope, settings):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            secret = _bearer_secret(headers.get("authorization"))
            state["principal"] = await _authenticate(state["engine"], secret)
        except CshubError as error:
            response = error_response(error, state.get("request_id"), scope["path"], headers.get("accept", ""))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _is_graphql_ide_page(scope: Scope, settings: Settings) -> bool:
    """GraphiQL's HTML page (no data) loads without a key in development; its queries need one."""
    return (
        settings.environment == Environment.DEVELOPMENT
        and scope["path"] == GRAPHQL_PATH
        and scope["method"] == "GET"
        and "query" not in parse_qs(scope.get("query_string", b"").decode("latin-1"))
        and "text/html" in Headers(scope=scope).get("accept", "")
    )


def _bearer_secret(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationRequired("missing API key: send the header 'Authorization: Bearer <key>'")
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationRequired("malformed Authorization header: expected 'Authorization: Bearer <key>'")
    return secret.strip()


async def _authenticate(engine: AsyncEngine, secret: str) -> api_keys.Principal:
    async with database_errors(engine.url.render_as_string(hide_password=False)), engine.begin() as conn:
        principal = await api_keys.authenticate(conn, secret)
    if principal is None:
        raise AuthenticationRequired("the API key is not valid or has been revoked")
    return principal
