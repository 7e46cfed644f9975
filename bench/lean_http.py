"""A lean HTTP/1.1 client for measuring: one keep-alive connection, one request at a time, the response parsed by
httptools (C, the parser uvicorn itself uses).

The benches run the client on the machine the server runs on. httpx parses responses in pure Python (h11):
about 2 ms of the client's CPU per 20 KiB response, 6–7 ms per 180 KiB, taken from the cores the server and
PostgreSQL need and added to every measured latency — while the one-SQL baseline reads its answer with asyncpg,
whose protocol is C. This client keeps the measuring side as lean on both: what it adds is the HTTP exchange.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

# Idle connections are dropped before the server's 5 s keep-alive timeout: reusing one the server is closing at
# that moment would fail (a client would retry; a bench should not race it).
IDLE_EXPIRY_SECONDS = 3.0
READ_SIZE = 256 * 1024


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes


@dataclass
class _Message:
    """httptools' callbacks for one response: its body, and whether it is complete."""

    chunks: list[bytes] = field(default_factory=list)
    complete: bool = False

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class LeanClient:
    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.hostname is None:
            raise ValueError(f"not an http URL: {base_url}")
        self.host, self.port = parts.hostname, parts.port or 80
        fixed = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        self._head = "".join(f"{name}: {value}\r\n" for name, value in fixed.items())
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._used = 0.0

    async def get(self, path: str) -> Answer:
        return await self.request("GET", path)

    async def post(self, path: str, body: bytes) -> Answer:
        return await self.request("POST", path, body)

    async def request(self, method: str, path: str, body: bytes = b"") -> Answer:
        reader, writer = await self._connection()
        writer.write(f"{method} {path} HTTP/1.1\r\n{self._head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        message = _Message()
        parser = httptools.HttpResponseParser(message)
        while not message.complete:
            data = await reader.read(READ_SIZE)
            if not data:
                await self.aclose()
                raise ConnectionError(f"{method} {path}: the server closed the connection before answering")
            parser.feed_data(data)
        self._used = time.monotonic()
        if not parser.should_keep_alive():
            await self.aclose()
        return Answer(parser.get_status_code(), b"".join(message.chunks))

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._streams is None or time.monotonic() - self._used > IDLE_EXPIRY_SECONDS:
            await self.aclose()
            self._streams = await asyncio.open_connection(self.host, self.port)
        return self._streams

    async def aclose(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
