"""Subscriptions in tests: the app under a real uvicorn on loopback, and a graphql-transport-ws client over a real
WebSocket (the ``websockets`` package)."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from service.app import create_app
from service.settings import Settings
from service.subscriptions.hub import APPLICATION_NAME, EventHub
from tests.serve_process import free_port

PROTOCOL = "graphql-transport-ws"
WAIT_SECONDS = 10


@dataclass(frozen=True)
class Served:
    http_url: str
    ws_url: str
    hub: EventHub

    async def following(self, count: int = 1) -> None:
        """Wait until ``count`` subscriptions receive every event committed from now on: a subscribe message is
        taken up while the test goes on, and an event committed before that is not sent (but with ``after``)."""
        for _ in range(round(WAIT_SECONDS / 0.01)):
            if self.hub.following() >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{self.hub.following()} subscriptions follow the hub after {WAIT_SECONDS} s, not {count}")


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[Served]:
    """The app (its own lifespan, so its own event listener) under uvicorn on a free loopback port."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        hub = server.lifespan.state["event_hub"]  # what the app's lifespan handed to its requests
        yield Served(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/graphql", hub)
    finally:
        server.should_exit = True
        await task


class Client:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), seconds))
        return message

    async def init(self, key: str | None) -> None:
        await self.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"} if key else {}})

    async def subscribe(self, operation_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self.send({"id": operation_id, "type": "subscribe", "payload": {"query": query, "variables": variables}})

    async def next_data(self, operation_id: str) -> dict[str, Any]:
        message = await self.receive()
        assert message.get("id") == operation_id, message
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def closed(self, seconds: float = WAIT_SECONDS) -> tuple[int | None, str]:
        """The close code and reason once the server closes (messages before it are skipped)."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), seconds)
        except ConnectionClosed as closed:
            return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, "")

    async def nothing_within(self, seconds: float) -> None:
        try:
            message = await asyncio.wait_for(self.ws.recv(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected nothing, got {message!r}")


@asynccontextmanager
async def client(ws_url: str, key: str | None = None) -> AsyncIterator[Client]:
    """A WebSocket speaking graphql-transport-ws; with ``key``, already initialised (acknowledged)."""
    async with connect(ws_url, subprotocols=[PROTOCOL], open_timeout=WAIT_SECONDS) as ws:  # type: ignore[list-item]
        speaking = Client(ws)
        if key is not None:
            await speaking.init(key)
            ack = await speaking.receive()
            assert ack["type"] == "connection_ack", ack
        yield speaking


async def kill_listener(engine: AsyncEngine) -> int:
    """End the hub's LISTEN connection (as a failover or an idle-session kill would); the number of backends ended."""
    async with engine.begin() as conn:
        killed = await conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"
                " AND datname = current_database()"
            ),
            {"name": APPLICATION_NAME},
        )
        return sum(1 for ended in killed.scalars() if ended)
