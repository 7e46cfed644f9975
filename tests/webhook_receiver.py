"""A real HTTP receiver on loopback for webhook tests: answers with a script of statuses and keeps every request.

A request is kept as it arrives; its answer waits while the receiver is ``hold()``-ing (a slow receiver, or one
that never answers before the sender dies) and goes out once it is ``release()``-d. With ``identify``, each
request also records which sender it came from (called with the sender's port while its connection is open).
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOLD_SECONDS = 60  # a held answer goes out after this long at the latest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    sender: object = None  # what ``identify`` said of the sender's port


@dataclass
class Receiver:
    url: str
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # popped per request; then 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    identify: Callable[[int], object] | None = None
    answering: threading.Event = field(default_factory=threading.Event)  # cleared: answers are held

    def answer(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        self.answers.extend((status, headers or {}) for status in statuses)

    def hold(self) -> None:
        self.answering.clear()

    def release(self) -> None:
        self.answering.set()

    def arrived(self) -> int:
        with self.lock:
            return len(self.received)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a held answer to a sender that died meanwhile: nobody to tell


@contextmanager
def receiver() -> Iterator[Receiver]:
    """A server on 127.0.0.1 at a free port (port 0), stopped on exit."""
    state = Receiver(url="")
    state.release()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            sender = state.identify(self.client_address[1]) if state.identify is not None else None
            with state.lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.received.append(Received(self.path, headers, body, sender))
                status, extra = state.answers.pop(0) if state.answers else (200, {})
            state.answering.wait(HOLD_SECONDS)
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

    server = _QuietServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/cshub"
    # shutdown() waits for serve_forever to look again: every 0.5 s by default, 0.05 s here (per test, it adds up)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
