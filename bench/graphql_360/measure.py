"""Measurement: closed-loop clients, warm-up, interleaved rounds of ours and baseline, and per cell the
latencies (p50/p99), requests/s (median of the rounds) and the bench process's CPU per request."""

import asyncio
import itertools
import statistics
import time
from dataclasses import dataclass, field

from bench.graphql_360.clients import BASELINE, OURS, Call, Clients, caller
from bench.graphql_360.errors import BenchError
from bench.graphql_360.workload import Page
from bench.lean_http import LeanClient

CLIENT_COUNTS = (1, 4)


@dataclass(frozen=True, slots=True)
class Run:
    latencies: list[float]  # seconds
    wall: float


async def run_requests(call: Call, clients: int, requests: int, first_number: int) -> Run:
    """``requests`` calls from ``clients`` concurrent clients sharing one counter (closed loop)."""
    numbers = itertools.count(first_number)
    last = first_number + requests
    latencies: list[float] = []

    async def client(index: int) -> None:
        while (number := next(numbers)) < last:
            latencies.append(await call(index, number))

    started = time.perf_counter()
    await asyncio.gather(*(client(index) for index in range(clients)))
    return Run(latencies, time.perf_counter() - started)


@dataclass
class Cell:
    latencies: list[float] = field(default_factory=list)  # seconds, every request of every round
    rates: list[float] = field(default_factory=list)  # requests/s, one per round
    client_cpu: list[float] = field(default_factory=list)  # the bench process's CPU seconds per request, per round

    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98] * 1000

    def rate(self) -> float:
        return statistics.median(self.rates)

    def client_cpu_ms(self) -> float:
        return statistics.median(self.client_cpu) * 1000


Key = tuple[str, str, int]  # page, variant, clients


@dataclass(frozen=True, slots=True)
class Plan:
    requests: int  # measured requests per cell, over all rounds
    rounds: int
    warmup: int  # requests per client before measuring


async def measure(pages: dict[str, Page], clients: Clients, plan: Plan) -> dict[Key, Cell]:
    cells: dict[Key, Cell] = {}
    for page in pages.values():
        for variant in (OURS, BASELINE):
            most = max(CLIENT_COUNTS)
            await run_requests(caller(page, variant, clients), most, plan.warmup * most, 0)
    per_round = max(1, plan.requests // plan.rounds)
    for round_number in range(plan.rounds):
        for page in pages.values():
            for count in CLIENT_COUNTS:
                for variant in (OURS, BASELINE):  # interleaved: both see the same machine noise
                    cpu = time.process_time()
                    run = await run_requests(caller(page, variant, clients), count, per_round, round_number * per_round)
                    cell = cells.setdefault((page.name, variant, count), Cell())
                    cell.latencies.extend(run.latencies)
                    cell.rates.append(len(run.latencies) / run.wall)
                    cell.client_cpu.append((time.process_time() - cpu) / len(run.latencies))
    return cells


async def health_floor(http: LeanClient, requests: int) -> float:
    """p50 ms of GET /healthz: the HTTP and client overhead every GraphQL request also pays."""
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        if (status := (await http.get("/healthz")).status) != 200:
            raise BenchError(f"/healthz answered {status}")
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000
