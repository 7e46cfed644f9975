"""The listening socket the workers share hands asyncio TCP connections with TCP_NODELAY (no ~40 ms
Nagle/delayed-ACK stall per keep-alive request — uvicorn's own multi-worker socket loses it)."""

import asyncio
import socket

import uvicorn

from service.http_server import _TcpConfig


async def nodelay_of_accepted_connection(listener: socket.socket) -> int:
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(on_connect, sock=listener)
    async with server:
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        result = await asyncio.wait_for(accepted, 5)
        writer.close()
    return result


async def test_worker_listener_gives_tcp_nodelay_connections() -> None:
    listener = _TcpConfig("service.app:create_app", host="127.0.0.1", port=0).bind_socket()
    assert listener.proto == socket.IPPROTO_TCP
    assert await nodelay_of_accepted_connection(listener) != 0


async def test_plain_uvicorn_listener_does_not_which_is_why_we_relabel_it() -> None:
    # If uvicorn fixes this upstream, this test fails and _TcpConfig can go.
    listener = uvicorn.Config("service.app:create_app", host="127.0.0.1", port=0).bind_socket()
    assert await nodelay_of_accepted_connection(listener) == 0
