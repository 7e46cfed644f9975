"""One subscription WebSocket (graphql-transport-ws): who it is, what it may hold, and why it is closed.

The HTTP authentication middleware lets the upgrade through; the caller authenticates in ``connection_init``'s
payload, ``{"Authorization": "Bearer <API key or OIDC token>"}`` — the same keys, tokens and roles as over
HTTP. Close codes (the protocol's, and cshub's in its 4000–4999 range):

    4401  no or malformed Authorization, an unknown or revoked key, a token that does not verify
    4403  the role may subscribe to nothing (ingest)
    4429  the key already holds CSHUB_SUBSCRIPTION_CONNECTIONS_PER_KEY WebSockets in this process; or a
          subscriber fell CSHUB_SUBSCRIPTION_QUEUE_SIZE events behind ("slow consumer"): resume with `after`
    4408  idle: no subscription and no message for CSHUB_SUBSCRIPTION_IDLE_SECONDS (and the protocol's own
          "Connection initialisation timeout")

A role that may subscribe but not to a given field gets that operation's ``error`` message (FORBIDDEN), like
a refused field over HTTP; the WebSocket stays open.
"""

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections import Counter
from typing import Any, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, Message

from service.api_keys import service as api_keys
from service.api_keys.service import Principal
from service.authorization import SUBSCRIBERS
from service.errors import AuthenticationRequired, CshubError
from service.graphql.context import Context
from service.oidc.people import TokenAuthority
from service.oidc.tokens import looks_like_a_token
from service.settings import Settings

logger = logging.getLogger("cshub.subscriptions")

UNAUTHORIZED = 4401
FORBIDDEN = 4403
TOO_MANY = 4429
IDLE = 4408
_MAX_REASON = 120  # a close reason is at most 123 bytes


class ConnectionGate:
    """Authenticates ``connection_init`` and counts each caller's open WebSockets (per process)."""

    def __init__(self, settings: Settings, tokens: TokenAuthority | None) -> None:
        self.settings = settings
        self.tokens = tokens
        self.open: Counter[uuid.UUID] = Counter()

    async def authenticate(self, engine: AsyncEngine, payload: dict[str, Any]) -> Principal:
        header = payload.get("Authorization", payload.get("authorization"))
        if not isinstance(header, str) or not header:
            raise AuthenticationRequired('send {"Authorization": "Bearer <key>"} as the connection_init payload')
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise AuthenticationRequired('malformed Authorization: expected "Bearer <key>"')
        if looks_like_a_token(secret):
            return await self._person(engine, secret)
        cache_seconds = self.settings.api_key_cache_seconds
        if cache_seconds > 0 and (cached := api_keys.cached_principal(secret)) is not None:
            return cached
        async with engine.begin() as conn:
            principal = await api_keys.authenticate(conn, secret, cache_seconds=cache_seconds)
        if principal is None:
            raise AuthenticationRequired("the API key is not valid or has been revoked")
        return principal

    async def _person(self, engine: AsyncEngine, token: str) -> Principal:
        if self.tokens is None:
            raise AuthenticationRequired("this server takes API keys only (no CSHUB_OIDC_ISSUER)")
        if (cached := self.tokens.cached(token)) is not None:
            return cached
        identity = await self.tokens.verify(token)
        async with engine.begin() as conn:
            return await self.tokens.principal(conn, token, identity)

    def admit(self, principal: Principal) -> bool:
        if self.open[principal.caller_id] >= self.settings.subscription_connections_per_key:
            return False
        self.open[principal.caller_id] += 1
        return True

    def leave(self, principal: Principal) -> None:
        self.open[principal.caller_id] -= 1
        if self.open[principal.caller_id] <= 0:
            del self.open[principal.caller_id]


class _GatedView(Protocol):
    gate: ConnectionGate


class SubscriptionConnection(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler, with cshub's authentication, limits and idle timeout."""

    admitted: Principal | None = None
    last_activity: float = 0.0
    idle_task: "asyncio.Task[None] | None" = None

    @property
    def gate(self) -> ConnectionGate:
        return cast(_GatedView, self.view).gate

    async def handle_message(self, message: Message) -> None:
        self.last_activity = time.monotonic()
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(code=TOO_MANY, reason="Too many initialisation requests")
            return
        self.connection_init_received = True
        try:
            principal = await self.gate.authenticate(self.context.engine, payload)
        except AuthenticationRequired as refused:
            await self.websocket.close(code=UNAUTHORIZED, reason=refused.message[:_MAX_REASON])
            return
        except CshubError as failed:  # the database or the issuer did not answer
            logger.warning("subscription connection not authenticated", exc_info=failed)
            await self.websocket.close(code=1011, reason=failed.message[:_MAX_REASON])
            return
        if principal.role not in SUBSCRIBERS:
            await self.websocket.close(code=FORBIDDEN, reason=f"role {principal.role.value!r} may not subscribe")
            return
        if not self.gate.admit(principal):
            limit = self.gate.settings.subscription_connections_per_key
            await self.websocket.close(code=TOO_MANY, reason=f"this key already holds {limit} subscription connections")
            return
        self.admitted = principal
        self.context = dataclasses.replace(
            self.context, principal=principal, live=dataclasses.replace(self.context.live, slow_consumer=self._slow)
        )
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        self.idle_task = asyncio.create_task(self._close_when_idle())

    async def _slow(self) -> None:
        size = self.gate.settings.subscription_queue_size
        await self.websocket.close(code=TOO_MANY, reason=f"slow consumer: over {size} events behind; resume with after")

    async def _close_when_idle(self) -> None:
        idle = self.gate.settings.subscription_idle_seconds
        while True:
            await asyncio.sleep(min(idle, 1.0))
            if not self.operations and time.monotonic() - self.last_activity >= idle:
                await self.websocket.close(code=IDLE, reason=f"idle for {idle:g} s with no subscription")
                return

    async def shutdown(self) -> None:
        if self.idle_task is not None:
            self.idle_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.idle_task
        if self.admitted is not None:
            self.gate.leave(self.admitted)
            self.admitted = None
        await super().shutdown()
