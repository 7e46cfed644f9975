"""Running the ASGI app under uvicorn: one process, or several workers sharing one listening socket.

uvicorn's multi-worker path binds the listening socket without ``IPPROTO_TCP``; accepted connections
inherit that, asyncio then leaves Nagle's algorithm on, and every keep-alive request after the first
waits ~40 ms for the client's delayed ACK (uvicorn issue #3149; measured here: ``/healthz`` p50 0.7 ms
with one worker, 44 ms with two). ``_TcpConfig`` labels the listener as TCP so workers get ``TCP_NODELAY``.
"""

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

STARTUP_FAILURE = 3  # uvicorn's exit status when the server could not start


class _TcpConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto == socket.IPPROTO_TCP:
            return sock
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.set_inheritable(True)
        return tcp


def run_server(app_factory: str, *, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve ``app_factory`` ("module:function") until stopped; ``workers`` processes when more than one."""
    config = _TcpConfig(
        app_factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        log_level=log_level,
    )
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)
