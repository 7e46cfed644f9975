"""ASGI middleware: request ids and request logs, the GraphQL body limit, then authentication and rate limits.

``RequestContextMiddleware`` gives every request an id (a sane incoming ``X-Request-ID`` is kept),
echoes it in the response and logs one line when the request ends. ``GraphQLBodyLimitMiddleware``
refuses a /graphql body over ``CSHUB_GRAPHQL_MAX_BODY_BYTES`` (413) — by its Content-Length before
reading it, else as it streams in. ``AuthenticationMiddleware`` requires
``Authorization: Bearer <key>`` (on ``/segment/`` also HTTP Basic with the key as user name, as Segment's clients
send a write key) everywhere except the public paths, puts the caller's ``Principal``
in the request state and, in the same transaction, takes a token from the key's bucket for the
route's scope (``service.rate_limits``): an empty bucket answers 429 with ``Retry-After``, and every
rate-limited response carries ``RateLimit-Limit``/``-Remaining``/``-Reset`` (draft-ietf-httpapi-ratelimit-headers).
A valid key is remembered for ``CSHUB_API_KEY_CACHE_SECONDS`` (``service.api_keys.cache``); a request without
one spends a token of its client address's bucket (``service.rate_limits.addresses``), and an address whose
bucket is empty gets 429 without its key being looked up.
"""

import base64
import binascii
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
from service.db.pool import database_errors
from service.errors import AuthenticationRequired, CshubError, PayloadTooLarge, RateLimited
from service.http.problems import GRAPHQL_PATH, error_response
from service.oidc.people import TokenAuthority
from service.oidc.tokens import looks_like_a_token
from service.rate_limits import policy as rate_limits
from service.rate_limits.addresses import AddressBuckets
from service.rate_limits.buckets import take_token
from service.settings import Environment, Settings

logger = logging.getLogger("cshub.request")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# No key needed: health checks, the landing page, the published contracts and GraphiQL's assets (no data).
PUBLIC_PATHS = frozenset({"/", "/healthz", "/readyz", "/schema.graphql", "/openapi.yaml", "/events/catalogue"})
PUBLIC_PREFIX = "/graphiql/assets/"
INGEST_PREFIX = "/v1/ingest/"
SEGMENT_PREFIX = "/segment/"  # Segment's clients send the write key as HTTP Basic (service.http.segment_routes)
ZENDESK_PREFIX = "/zendesk/"  # Zendesk payloads (service.http.zendesk_routes): the ingest rate-limit scope
HUBSPOT_PREFIX = "/hubspot/"  # HubSpot payloads (service.http.hubspot_routes): the ingest rate-limit scope
# HubSpot's webhooks carry no key: the route authenticates them by their signature (service.http.hubspot_routes).
HUBSPOT_WEBHOOK_PATH = "/hubspot/v1/webhook"
SALESFORCE_PREFIX = "/salesforce/"  # Salesforce payloads (service.http.salesforce_routes): likewise


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
                    "key_id": str(principal.key_id) if principal and principal.key_id else None,
                    "person_id": str(principal.person.id) if principal and principal.person else None,
                },
            )


class GraphQLBodyLimitMiddleware:
    """Reads a POST /graphql body up to the limit before anything else does, then hands it on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != GRAPHQL_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        state = _state(scope)
        limit = state["settings"].graphql_max_body_bytes
        headers = Headers(scope=scope)
        too_large = PayloadTooLarge(f"the GraphQL request body is over the limit of {limit} bytes")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(too_large, scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more_body = True
        while more_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left; nobody to answer
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(too_large, scope, receive, send)
                return
            chunks.append(chunk)
            more_body = message.get("more_body", False)
        body: Message | None = {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        async def replay() -> Message:
            nonlocal body
            if body is None:
                return await receive()  # after the body: wait for the disconnect, as the server would
            message, body = body, None
            return message

        await self.app(scope, replay, send)


class AuthenticationMiddleware:
    def __init__(
        self, app: ASGIApp, unauthenticated: AddressBuckets | None = None, tokens: TokenAuthority | None = None
    ) -> None:
        self.app = app
        self.unauthenticated = unauthenticated  # None: requests without a valid key are not limited
        self.tokens = tokens  # None: API keys only (no CSHUB_OIDC_ISSUER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS or scope["path"].startswith(PUBLIC_PREFIX):
            await self.app(scope, receive, send)
            return
        if scope["path"] == HUBSPOT_WEBHOOK_PATH:
            await self.app(scope, receive, send)  # signed, not keyed: verified by its route
            return
        state = _state(scope)
        settings: Settings = state["settings"]
        if _is_graphql_ide_page(scope, settings):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit_scope = _rate_limit_scope(scope["path"])
        limit = rate_limits.limits_from(settings).get(limit_scope) if limit_scope else None
        decision: rate_limits.Decision | None = None
        address = _client_address(scope)
        try:
            try:
                secret = _bearer_secret(headers.get("authorization"), basic=scope["path"].startswith(SEGMENT_PREFIX))
                if looks_like_a_token(secret):
                    state["principal"], decision = await self._person(
                        state["engine"], secret, address, limit_scope, limit
                    )
                else:
                    cached = api_keys.cached_principal(secret) if settings.api_key_cache_seconds > 0 else None
                    if cached is None:
                        self._before_lookup(address)
                    state["principal"], decision = await _authenticate(
                        state["engine"], secret, limit_scope, limit, settings.api_key_cache_seconds, cached
                    )
            except AuthenticationRequired:
                self._without_valid_key(address)
                raise
            if limit is not None and decision is not None and not decision.allowed:
                raise _over_the_limit(limit_scope, limit, decision)
        except CshubError as error:
            response = error_response(error, state.get("request_id"), scope["path"], headers.get("accept", ""))
            await response(scope, receive, _with_rate_limit_headers(send, decision))
            return
        await self.app(scope, receive, _with_rate_limit_headers(send, decision))

    async def _person(
        self, engine: AsyncEngine, token: str, address: str, scope: str | None, limit: rate_limits.RateLimit | None
    ) -> tuple[api_keys.Principal, rate_limits.Decision | None]:
        """A person's bearer token: verified (or found among those verified lately), the person remembered."""
        if self.tokens is None:
            raise AuthenticationRequired(
                "this server takes API keys only: bearer tokens need CSHUB_OIDC_ISSUER and CSHUB_OIDC_AUDIENCE set"
            )
        cached = self.tokens.cached(token)
        if cached is not None and (scope is None or limit is None):
            return cached, None
        identity = None
        if cached is None:
            self._before_lookup(address)
            identity = await self.tokens.verify(token)  # no transaction held while the issuer's keys are read
        decision = None
        async with database_errors(engine.url), engine.begin() as conn:
            if identity is not None:
                cached = await self.tokens.principal(conn, token, identity)
            assert cached is not None
            if scope is not None and limit is not None:
                decision = await take_token(conn, cached.caller_id, scope, limit)
        return cached, decision

    def _before_lookup(self, address: str) -> None:
        """An address out of tokens is refused before its key costs a lookup (a valid key too, until cached)."""
        if self.unauthenticated is None:
            return
        decision = self.unauthenticated.peek(address)
        if not decision.allowed:
            raise _unauthenticated_over_the_limit(self.unauthenticated.limit, decision)

    def _without_valid_key(self, address: str) -> None:
        """A request without a valid key spends a token of its address; with none left it is a 429, not a 401."""
        if self.unauthenticated is None:
            return
        decision = self.unauthenticated.take(address)
        if not decision.allowed:
            raise _unauthenticated_over_the_limit(self.unauthenticated.limit, decision)


def _client_address(scope: Scope) -> str:
    """The caller's address as the server reports it (uvicorn applies X-Forwarded-For from trusted proxies)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _unauthenticated_over_the_limit(limit: rate_limits.RateLimit, decision: rate_limits.Decision) -> RateLimited:
    return RateLimited(
        f"too many requests without a valid API key from this address ({limit.burst} at once, "
        f"{limit.per_minute:g} a minute); retry in {decision.retry_after_seconds} s with a valid key",
        retry_after=decision.retry_after_seconds,
    )


async def _refuse(error: CshubError, scope: Scope, receive: Receive, send: Send) -> None:
    accept = Headers(scope=scope).get("accept", "")
    await error_response(error, _state(scope).get("request_id"), scope["path"], accept)(scope, receive, send)


def _over_the_limit(scope: str | None, limit: rate_limits.RateLimit, decision: rate_limits.Decision) -> RateLimited:
    return RateLimited(
        f"this API key is over its {scope} rate limit ({limit.burst} at once, {limit.per_minute:g} a minute); "
        f"retry in {decision.retry_after_seconds} s",
        retry_after=decision.retry_after_seconds,
    )


def _rate_limit_scope(path: str) -> str | None:
    if path == GRAPHQL_PATH:
        return rate_limits.GRAPHQL
    if path.startswith((INGEST_PREFIX, SEGMENT_PREFIX, ZENDESK_PREFIX, HUBSPOT_PREFIX, SALESFORCE_PREFIX)):
        return rate_limits.INGEST
    return None


def _with_rate_limit_headers(send: Send, decision: rate_limits.Decision | None) -> Send:
    if decision is None:
        return send

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["RateLimit-Limit"] = str(decision.limit)
            headers["RateLimit-Remaining"] = str(decision.remaining)
            headers["RateLimit-Reset"] = str(decision.reset_seconds)
        await send(message)

    return send_with_headers


def _is_graphql_ide_page(scope: Scope, settings: Settings) -> bool:
    """GraphiQL's HTML page (no data) loads without a key in development; its queries need one."""
    return (
        settings.environment == Environment.DEVELOPMENT
        and scope["path"] == GRAPHQL_PATH
        and scope["method"] == "GET"
        and "query" not in parse_qs(scope.get("query_string", b"").decode("latin-1"))
        and "text/html" in Headers(scope=scope).get("accept", "")
    )


def _bearer_secret(authorization: str | None, *, basic: bool = False) -> str:
    """The key of ``Authorization: Bearer <key>`` — or, where ``basic`` (Segment's routes), of HTTP Basic with the
    key as user name and an empty password, as Segment's clients send their write key."""
    expected = "'Authorization: Bearer <key>'" + (" or HTTP Basic with the key as user name" if basic else "")
    if not authorization:
        raise AuthenticationRequired(f"missing API key: send the header {expected}")
    scheme, _, secret = authorization.partition(" ")
    if basic and scheme.lower() == "basic":
        return _basic_user(secret.strip(), expected)
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationRequired(f"malformed Authorization header: expected {expected}")
    return secret.strip()


def _basic_user(credentials: str, expected: str) -> str:
    try:
        user, _, _password = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationRequired(f"malformed Basic credentials: expected {expected}") from None
    if not user.strip():
        raise AuthenticationRequired(f"the Basic credentials name no key: expected {expected}")
    return user.strip()


async def _authenticate(
    engine: AsyncEngine,
    secret: str,
    scope: str | None,
    limit: rate_limits.RateLimit | None,
    cache_seconds: float,
    cached: api_keys.Principal | None,
) -> tuple[api_keys.Principal, rate_limits.Decision | None]:
    """The caller, and its rate-limit decision taken in the same transaction (no extra round trip to the pool)."""
    decision = None
    if cached is not None and (scope is None or limit is None):
        return cached, None  # nothing to ask PostgreSQL
    async with database_errors(engine.url), engine.begin() as conn:
        principal = cached or await api_keys.authenticate(conn, secret, cache_seconds=cache_seconds)
        if principal is not None and scope is not None and limit is not None:
            decision = await take_token(conn, principal.caller_id, scope, limit)
    if principal is None:
        raise AuthenticationRequired("the API key is not valid or has been revoked")
    return principal, decision
