"""Measurement, A/B in one run: per page and client count, cshub and PostGraphile rounds alternate (both see
the same machine noise); each concurrent client has its own keep-alive HTTP connection to each side. The
closed loop, the cell (latencies, requests/s per round) and the request timing (I/O only; the answer is
checked after the clock stops) are ``bench.graphql_360``'s.
"""

import statistics
from dataclasses import dataclass

from bench.graphql_360.clients import Call, api_fetch
from bench.graphql_360.measure import Cell, Plan, run_requests
from bench.lean_http import LeanClient
from bench.peer_postgraphile.queries import Page

CLIENT_COUNTS = (1, 4)
CSHUB, PEER = "cshub", "postgraphile"
SIDES = (CSHUB, PEER)

Key = tuple[str, str, int]  # page, side, clients


@dataclass
class Sides:
    """Per side, one HTTP client per concurrent client."""

    http: dict[str, list[LeanClient]]


def open_sides(cshub_url: str, key: str, peer_url: str, count: int) -> Sides:
    json_type = {"Content-Type": "application/json"}

    def clients(url: str, headers: dict[str, str]) -> list[LeanClient]:
        # the same lean client on both sides (bench.lean_http): what it adds is the HTTP exchange
        return [LeanClient(url, headers) for _ in range(count)]

    return Sides(
        {
            CSHUB: clients(cshub_url, {"Authorization": f"Bearer {key}", **json_type}),
            PEER: clients(peer_url, json_type),
        }
    )


async def close_sides(sides: Sides) -> None:
    for clients in sides.http.values():
        for client in clients:
            await client.aclose()


def caller(page: Page, side: str, sides: Sides) -> Call:
    bodies = page.cshub if side == CSHUB else page.peer
    http = sides.http[side]

    async def call(client: int, number: int) -> float:
        return (await api_fetch(http[client], bodies[number % len(bodies)]))[0]

    return call


async def measure(pages: dict[str, Page], sides: Sides, plan: Plan) -> dict[Key, Cell]:
    cells: dict[Key, Cell] = {}
    most = max(CLIENT_COUNTS)
    for page in pages.values():
        for side in SIDES:
            await run_requests(caller(page, side, sides), most, plan.warmup * most, 0)
    per_round = max(1, plan.requests // plan.rounds)
    for round_number in range(plan.rounds):
        # Which side goes first alternates too, so neither always runs right after the other's burst.
        order = SIDES if round_number % 2 == 0 else SIDES[::-1]
        for page in pages.values():
            for count in CLIENT_COUNTS:
                for side in order:
                    run = await run_requests(caller(page, side, sides), count, per_round, round_number * per_round)
                    cell = cells.setdefault((page.name, side, count), Cell())
                    cell.latencies.extend(run.latencies)
                    cell.rates.append(len(run.latencies) / run.wall)
    return cells


def p90_ms(cell: Cell) -> float:
    if len(cell.latencies) < 2:
        return cell.latencies[0] * 1000
    return statistics.quantiles(cell.latencies, n=10)[8] * 1000
