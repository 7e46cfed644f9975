"""CPU time a bench step cost the server process and the database's backends, for figures that machine noise
(another process on the same cores) moves far less than wall time.

The bench's own process (its HTTP clients, or the COPY) is counted apart. Read from ``/proc/<pid>/stat``
(Linux; elsewhere every figure is 0): the server process (all its threads) with its worker processes
(``--workers N``), and every backend connected to the bench's database (``pg_stat_activity``), the bench's own
connection included, so a COPY step is counted too. The database must run on this machine, as the benches'
default server does.
"""

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
BACKENDS = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when it cannot be read)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15 of stat


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (its workers), as far as they can be read."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def tree_seconds(pid: int) -> float:
    """``cpu_seconds`` of ``pid`` and of its children."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in children(pid))


@dataclass(slots=True)
class CpuMeter:
    """Per named step: CPU milliseconds per 1000 units of work (events, records) of the server and of the database."""

    server_pid: int
    conn: asyncpg.Connection
    server: dict[str, list[float]] = field(default_factory=dict)
    database: dict[str, list[float]] = field(default_factory=dict)
    client: dict[str, list[float]] = field(default_factory=dict)  # this process: the bench's HTTP clients or COPY

    async def _backends(self) -> dict[int, float]:
        return {row["pid"]: cpu_seconds(row["pid"]) for row in await self.conn.fetch(BACKENDS)}

    @asynccontextmanager
    async def step(self, name: str, units: int) -> AsyncIterator[None]:
        backends, server, client = await self._backends(), tree_seconds(self.server_pid), time.process_time()
        yield
        server, client = tree_seconds(self.server_pid) - server, time.process_time() - client
        after = await self._backends()
        # A backend that left during the step is not counted; one that came counts from 0.
        database = sum(seconds - backends.get(pid, 0.0) for pid, seconds in after.items())
        self.server.setdefault(name, []).append(1e6 * server / units)
        self.database.setdefault(name, []).append(1e6 * database / units)
        self.client.setdefault(name, []).append(1e6 * client / units)
