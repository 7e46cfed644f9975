"""Running the real ``cshub`` command as a subprocess and talking to it over HTTP."""

import asyncio
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import create_async_engine

from service.api_keys import service as api_keys
from service.api_keys.roles import Role

START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cshub_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSHUB_") and k != "DATABASE_URL"}
    env.update(overrides)
    return env


def run_cshub(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def new_key(database_url: str, role: Role) -> str:
    """A new API key's secret, made in this process: what ``cshub keys create --role ROLE`` does (tests/test_cli_keys.py
    runs the command), without importing the service in another Python for a key (1-2 s of CPU)."""

    async def create() -> str:
        engine = create_async_engine(database_url)
        try:
            async with engine.begin() as connection:
                return (await api_keys.create_key(connection, role=role, name="test")).secret
        finally:
            await engine.dispose()

    return asyncio.run(create())


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    base_url: str
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text()


def launch(*args: str, env: dict[str, str], workdir: Path, port: int | None = None) -> RunningServer:
    """Start ``cshub serve`` on ``port``, else a free one (not waiting for it: see ``serving``)."""
    port = port or free_port()
    log_path = workdir / f"serve-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=workdir,
        )
    return RunningServer(process, f"http://127.0.0.1:{port}", log_path)


@contextmanager
def serving(*args: str, env: dict[str, str], workdir: Path, port: int | None = None) -> Iterator[RunningServer]:
    """Start ``cshub serve`` (on ``port``, else a free one) and wait until /healthz answers; stop it with SIGTERM
    afterwards."""
    with serving_together(1, *args, env=env, workdir=workdir, port=port) as (server,):
        yield server


@contextmanager
def serving_together(
    count: int, *args: str, env: dict[str, str], workdir: Path, port: int | None = None
) -> Iterator[list[RunningServer]]:
    """``count`` processes of ``cshub serve`` started at once (they come up side by side), each stopped after;
    the first on ``port`` when given."""
    servers = [launch(*args, env=env, workdir=workdir, port=port if i == 0 else None) for i in range(count)]
    with ExitStack() as stack:
        for server in servers:  # also those not yet waited for, should one fail to come up
            stack.callback(stop, server.process)
        for server in servers:
            stack.enter_context(supervised(server, _healthy, "cshub serve", START_TIMEOUT_SECONDS, AssertionError))
        yield servers


def _healthy(base_url: str) -> bool:
    """Whether /healthz answers 200 (plain http.client: polled every 0.05 s, an httpx client each time would cost
    tens of ms of CPU, its TLS context, per poll)."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=1)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):  # refused while it starts, cut off
        return False
    finally:
        connection.close()


@contextmanager
def supervised(
    server: RunningServer, ready: Callable[[str], bool], name: str, timeout: float, failure: type[Exception]
) -> Iterator[None]:
    """Wait until ``ready(base_url)`` (``failure`` if the process exits or ``timeout`` passes first), then
    stop the process with SIGTERM when the block ends (SIGKILL after 30 s)."""
    process = server.process
    try:
        deadline = time.monotonic() + timeout
        while not ready(server.base_url):
            if process.poll() is not None:
                raise failure(f"{name} exited with {process.returncode}:\n{server.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise failure(f"{name} did not come up in {timeout} s:\n{server.output()[-3000:]}")
            time.sleep(0.05)
        yield
    finally:
        stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM (SIGKILL after 30 s), unless it has already exited."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
