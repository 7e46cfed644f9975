"""The real ``cshub serve`` process, over real HTTP: the two paths a user meets first."""

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.serve_process import START_TIMEOUT_SECONDS, RunningServer, cshub_env, free_port, run_cshub, serving
from tests.socket_options import server_side_option

QUERY = {"query": "{ accounts(first: 50) { edges { node { name domain } } } }"}


def _post(base_url: str, key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{base_url}/graphql", json=QUERY, headers=headers, timeout=10)


def _accepted_connection_nodelay(server: RunningServer) -> int:
    """TCP_NODELAY of the server's side of a fresh keep-alive connection, after one request was answered."""
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: cshub.test\r\n\r\n")
        assert client.recv(65536).startswith(b"HTTP/1.1 200")
        return server_side_option(server.process.pid, client, socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_serve_against_a_database_url(database_url: str, engine: object, tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    created = run_cshub("keys", "create", "--role", "bi", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    with serving("--workers", "2", env=env, workdir=tmp_path) as server:
        assert httpx.get(f"{server.base_url}/readyz", timeout=5).status_code == 200
        unauthenticated = _post(server.base_url, None)
        assert unauthenticated.status_code == 401
        assert unauthenticated.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        for _ in range(4):  # reaches both workers
            response = _post(server.base_url, key)
            assert response.status_code == 200
            assert response.json() == {"data": {"accounts": {"edges": []}}}
            assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
        # Without TCP_NODELAY every keep-alive request after the first waits ~40 ms for a delayed ACK.
        for _ in range(4):  # connections are spread over the workers
            assert _accepted_connection_nodelay(server) != 0
    assert server.process.returncode == 0
    logs = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    requests = [entry for entry in logs if entry["msg"] == "request"]
    assert {entry["status"] for entry in requests} >= {200, 401}
    assert key not in server.output()


def _banner(server: RunningServer) -> str:
    """The output once the server said where it serves (it says so once it answers, a moment after)."""
    deadline = time.monotonic() + 10
    while "cshub: serving" not in server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.output()


def test_serve_demo_on_the_embedded_database(tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATA_DIR=str(tmp_path / "data"), CSHUB_DEMO_ACCOUNTS="12")
    with serving("--demo", env=env, workdir=tmp_path) as server:
        banner = _banner(server)
        assert "demo company seeded" in banner, banner
        assert (
            banner.index("seeding the demo company")
            < banner.index("cshub:   accounts:")
            < banner.index("cshub: serving")
        )
        key = re.search(r"demo admin key: (\S+)", banner)
        assert key, banner
        (graphiql,) = [line for line in banner.splitlines() if "GraphiQL" in line]
        assert key.group(1) not in graphiql, "the key never goes into a URL"
        assert httpx.get(f"{server.base_url}/readyz", timeout=5).status_code == 200
        page = httpx.get(f"{server.base_url}/graphql", headers={"Accept": "text/html"}, timeout=5)
        assert page.status_code == 200
        assert "/graphiql/assets/graphiql.min.js" in page.text
        response = _post(server.base_url, key.group(1))
        names = [edge["node"]["name"] for edge in response.json()["data"]["accounts"]["edges"]]
        assert len(names) == 12, names  # the generated demo company, one account per customer
        assert _post(server.base_url, None).status_code == 401
        # A key made beside the running server, on its data dir (`docker exec <container> cshub keys create`),
        # works at once, and the command's exit leaves the server's database running.
        created = run_cshub("keys", "create", "--role", "admin", "--name", "first admin", env=env)
        assert created.returncode == 0, created.stderr
        admin = created.stdout.strip().splitlines()[-1]
        assert _post(server.base_url, admin).status_code == 200
        assert len(_post(server.base_url, admin).json()["data"]["accounts"]["edges"]) == 12
    assert server.process.returncode == 0
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists(), "embedded PostgreSQL left running"

    # A second start reuses the data and prints the same key; the demo data is not duplicated.
    with serving("--demo", env=env, workdir=tmp_path) as again:
        assert f"demo admin key: {key.group(1)}" in _banner(again)
        assert "demo company not seeded again" in again.output()
        names_again = [
            e["node"]["name"] for e in _post(again.base_url, key.group(1)).json()["data"]["accounts"]["edges"]
        ]
        assert sorted(names_again) == sorted(names)


def test_the_serving_line_comes_once_the_server_answers(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port)], env=env, stdout=log, stderr=log, text=True
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while "cshub: serving" not in server.output():
            assert process.poll() is None, server.output()
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.01)
        # No retry: when the line is there, the server answers.
        assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
        assert server.output().index("cshub: database: PostgreSQL at") < server.output().index("cshub: serving")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _one_line_failure(result: "object") -> str:
    import subprocess

    assert isinstance(result, subprocess.CompletedProcess)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    line: str = lines[0]
    return line


def test_unreachable_database_fails_with_one_clear_line(tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=f"postgresql://cshub@127.0.0.1:{free_port()}/cshub")
    line = _one_line_failure(run_cshub("serve", "--port", str(free_port()), env=env))
    assert "cannot connect to PostgreSQL at 127.0.0.1" in line


def test_bad_configuration_fails_with_one_clear_line() -> None:
    result = run_cshub("serve", env=cshub_env(CSHUB_ENVIRONMENT="staging"))
    assert result.returncode == 2
    assert "CSHUB_ENVIRONMENT" in _one_line_failure(result)


def test_unusable_data_dir_fails_with_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = cshub_env(CSHUB_DATA_DIR=str(blocker / "data"))
    line = _one_line_failure(run_cshub("serve", "--port", str(free_port()), env=env))
    assert "cannot use data dir" in line
    assert "CSHUB_DATA_DIR" in line


def test_port_in_use_fails_with_one_clear_line(database_url: str, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cshub("serve", "--port", str(port), env=cshub_env(CSHUB_DATABASE_URL=database_url))
    assert f"cannot listen on 127.0.0.1:{port}" in _one_line_failure(result)
