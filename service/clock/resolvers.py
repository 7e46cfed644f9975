"""``runClockSweep`` (admin): the sweep now, at the request's time, after any sweep another process is running."""

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from service.clock.sweep import locked_sweep
from service.clock.sweeper import sweep_config
from service.clock.types import ClockSweep
from service.graphql.context import Context
from service.graphql.mutation_errors import MutationError

ClockSweepResult = Annotated[
    ClockSweep | MutationError,
    strawberry.union("ClockSweepResult", description="What the sweep announced, or why it could not run."),
]


async def run_clock_sweep(info: strawberry.Info[Context]) -> ClockSweepResult:
    config = sweep_config(info.context.settings)

    async def work(conn: AsyncConnection) -> ClockSweep:
        result = await locked_sweep(conn, config, now=info.context.loaders.now, wait=True)
        assert result is not None  # waiting for the lock always sweeps
        return ClockSweep.from_result(result)

    async def change() -> ClockSweep:
        return await info.context.write(work)

    return await info.context.mutate(change)
