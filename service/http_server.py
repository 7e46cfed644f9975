"""Running the ASGI app under uvicorn: one process, or several workers sharing one listening socket.

Accepted connections must have ``TCP_NODELAY``: without it every keep-alive request after the first waits
~40 ms for the client's delayed ACK (measured: ``/healthz`` p50 0.7 ms against 44 ms). asyncio sets it only
on sockets made with ``IPPROTO_TCP``; uvicorn binds its listener that way since 0.55 (the lowest version
cshub accepts), and ``tests/test_serve_process.py`` checks the accepted sockets of a multi-worker server.
"""

import http.client
import threading
import time
from collections.abc import Sequence

import uvicorn
from uvicorn.supervisors import Multiprocess

STARTUP_FAILURE = 3  # uvicorn's exit status when the server could not start
ANNOUNCE_WITHIN_SECONDS = 300.0  # a server that does not answer by then has failed, and says so itself


def run_server(
    app_factory: str, *, host: str, port: int, workers: int, log_level: str, when_serving: Sequence[str] = ()
) -> None:
    """Serve ``app_factory`` ("module:function") until stopped; ``workers`` processes when more than one.

    ``when_serving`` is printed once the server answers HTTP on ``host:port`` — not when it is about to.
    """
    if when_serving:
        threading.Thread(target=_announce, args=(host, port, when_serving), daemon=True).start()
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


def _announce(host: str, port: int, lines: Sequence[str]) -> None:
    """Print ``lines`` as soon as ``GET /healthz`` gets an answer (whatever its status)."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104 - a wildcard bind
    deadline = time.monotonic() + ANNOUNCE_WITHIN_SECONDS
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection(target, port, timeout=1)
        try:
            connection.request("GET", "/healthz")
            connection.getresponse().read()
        except OSError:
            time.sleep(0.05)
            continue
        finally:
            connection.close()
        print("\n".join(lines), flush=True)
        return
