"""Running the ASGI app under uvicorn: one process, or several workers sharing one listening socket.

Accepted connections must have ``TCP_NODELAY``: without it every keep-alive request after the first waits
~40 ms for the client's delayed ACK (measured: ``/healthz`` p50 0.7 ms against 44 ms). asyncio sets it only
on sockets made with ``IPPROTO_TCP``; uvicorn binds its listener that way since 0.55 (the lowest version
cshub accepts), and ``tests/test_serve_process.py`` checks the accepted sockets of a multi-worker server.
"""

import uvicorn
from uvicorn.supervisors import Multiprocess

STARTUP_FAILURE = 3  # uvicorn's exit status when the server could not start


def run_server(app_factory: str, *, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve ``app_factory`` ("module:function") until stopped; ``workers`` processes when more than one."""
    config = uvicorn.Config(
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
