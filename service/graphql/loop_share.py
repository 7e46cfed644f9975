"""Sharing the event loop with CPU-heavy work: slices of at most ``SLICE_SECONDS``, each followed by a pause
until the loop has polled for I/O again, so /healthz and other requests wait one slice, not the whole job.

A response's work runs in many tasks at once (sibling fields, list items); if each yielded on its own clock,
one loop iteration would run every ready task's slice back to back. So the clock is shared: once the slice
is spent, every task of the job that checks it waits for the same pause, which ends in the loop's next
iteration (a ``call_soon`` callback runs only after the loop has polled for I/O).

Threads would not help: the JSON encoder and graphql-core's completion hold the GIL throughout.
"""

import asyncio
import time

SLICE_SECONDS = 0.005


class LoopShare:
    """The shared clock of one job (one GraphQL response)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.pause: asyncio.Future[None] | None = None

    def spent(self) -> bool:
        return time.perf_counter() - self.started > SLICE_SECONDS

    async def breathe(self) -> None:
        """Wait until the loop has served everything else that was ready; then a new slice starts."""
        if self.pause is None:
            loop = asyncio.get_running_loop()
            self.pause = loop.create_future()
            loop.call_soon(self._resume)
        await asyncio.shield(self.pause)  # a waiter cancelled must not cancel the others' pause

    def _resume(self) -> None:
        pause, self.pause = self.pause, None
        self.started = time.perf_counter()
        if pause is not None and not pause.done():
            pause.set_result(None)
