"""The kill -9 / re-send skeleton of the ingest crash tests: a real ``cshub serve`` process killed (SIGKILL) while
two clients send batches, then every batch sent again to a fresh process.

A test brings what is particular to it — how one batch is sent (``Send``), what is sent before the clients start,
and what the database must hold after the kill and after the re-send.
"""

import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.serve_process import run_cshub, serving

Send = Callable[[str, Any], httpx.Response]  # (the server's base URL, one batch) → the answer
Statuses = Callable[[httpx.Response], set[str]]  # a 200 answer → the statuses it gives its records


def record_statuses(response: httpx.Response) -> set[str]:
    """The per-record statuses of an ingest route's answer."""
    return {result["status"] for result in response.json()["results"]}


def ingest_key(env: dict[str, str]) -> str:
    """A new API key of role ``ingest``, made as an operator would (``cshub keys create``)."""
    created = run_cshub("keys", "create", "--role", "ingest", env=env)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


@dataclass(frozen=True, slots=True)
class Resent:
    statuses: set[str]  # the per-record statuses of every answer
    seconds: float


def sigkill_while_sending(
    env: dict[str, str],
    workdir: Path,
    send: Send,
    batches: Sequence[Any],
    *,
    before: Callable[[str], None] | None = None,
    port: int | None = None,
    wait_seconds: float = 60,
    join_seconds: float = 30,
) -> None:
    """Two clients send ``batches`` (alternate ones each) to a served cshub, run ``before`` first with its base
    URL; the process is killed once four batches are answered (or one failed), with both clients still sending.
    Every answer before the kill was 200 and the kill cut requests in flight."""
    answered: list[int] = []
    failed: list[str] = []
    lock = threading.Lock()
    with serving(env=env, workdir=workdir, port=port) as server:
        if before is not None:
            before(server.base_url)

        def client(mine: Sequence[Any]) -> None:
            for batch in mine:
                try:
                    response = send(server.base_url, batch)
                except httpx.TransportError as exc:
                    with lock:
                        failed.append(type(exc).__name__)
                    return
                with lock:
                    answered.append(response.status_code)

        threads = [threading.Thread(target=client, args=(batches[half::2],)) for half in (0, 1)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            with lock:
                if len(answered) >= 4 or failed:
                    break
            time.sleep(0.002)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=join_seconds)

    assert failed, "the kill should have cut requests in flight"
    assert set(answered) == {200}


def send_all_again(
    env: dict[str, str],
    workdir: Path,
    send: Send,
    batches: Sequence[Any],
    *,
    port: int | None = None,
    statuses_of: Statuses = record_statuses,
) -> Resent:
    """Every batch sent again, one after another, to a restarted cshub; each must be answered 200."""
    with serving(env=env, workdir=workdir, port=port) as server:
        statuses: set[str] = set()
        started = time.monotonic()
        for batch in batches:
            response = send(server.base_url, batch)
            assert response.status_code == 200, response.text
            statuses |= statuses_of(response)
        return Resent(statuses, time.monotonic() - started)
