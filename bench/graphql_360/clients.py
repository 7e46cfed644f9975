"""The two ways the bench asks for a page, one of each per concurrent client: *ours* POSTs the GraphQL body
over its own keep-alive HTTP connection to the server (``bench.lean_http``: parsed in C, like asyncpg's answers);
*baseline* runs the page's SQL statement on its own asyncpg connection. A fetch returns the seconds spent
waiting for the answer; its checks (200, no ``errors``, a row) run after the clock stops.
"""

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.graphql_360.errors import BenchError
from bench.graphql_360.workload import Page
from bench.lean_http import LeanClient

OURS, BASELINE = "ours", "baseline"


def checked_graphql(status: int, content: bytes) -> dict[str, Any]:
    if status != 200:
        raise BenchError(f"GraphQL answered {status}: {content[:500].decode(errors='replace')}")
    body: dict[str, Any] = json.loads(content)
    if body.get("errors") or body.get("data") is None:
        raise BenchError(f"GraphQL answered errors: {json.dumps(body.get('errors'))[:1000]}")
    data: dict[str, Any] = body["data"]
    return data


def checked_baseline(text: str | None) -> dict[str, Any]:
    if text is None:
        raise BenchError("the baseline statement returned no row")
    answer: dict[str, Any] = json.loads(text)
    return answer


@dataclass
class Clients:
    """One HTTP client (its own keep-alive connection) and one PostgreSQL connection per concurrent client."""

    http: list[LeanClient]
    pg: list[asyncpg.Connection]


async def api_fetch(http: LeanClient, body: bytes) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    answer = await http.post("/graphql", body)
    elapsed = time.perf_counter() - started
    return elapsed, checked_graphql(answer.status, answer.body)


async def baseline_fetch(
    conn: asyncpg.Connection, sql: str, arguments: tuple[Any, ...]
) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    text = await conn.fetchval(sql, *arguments)
    elapsed = time.perf_counter() - started
    return elapsed, checked_baseline(text)


Call = Callable[[int, int], Awaitable[float]]  # (client, request number) -> seconds


def caller(page: Page, variant: str, clients: Clients) -> Call:
    async def ours(client: int, number: int) -> float:
        return (await api_fetch(clients.http[client], page.bodies[number % len(page.bodies)]))[0]

    async def baseline(client: int, number: int) -> float:
        arguments = page.arguments[number % len(page.arguments)]
        return (await baseline_fetch(clients.pg[client], page.sql, arguments))[0]

    return ours if variant == OURS else baseline


async def open_clients(base_url: str, key: str, dsn: str, count: int) -> Clients:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    http = [LeanClient(base_url, headers) for _ in range(count)]
    session = {"timezone": "UTC", "application_name": "bench-baseline"}
    pg = [await asyncpg.connect(dsn, server_settings=session) for _ in range(count)]
    return Clients(http, pg)


async def close_clients(clients: Clients) -> None:
    for http in clients.http:
        await http.aclose()
    for conn in clients.pg:
        await conn.close()
