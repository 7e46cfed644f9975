"""The one long-running task a component of the app runs beside the requests (sweeper, refresher, delivery, hub):
started once by the lifespan, cancelled and awaited when the app stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any


class BackgroundTask:
    def __init__(self, name: str) -> None:
        self.name = name
        self._task: asyncio.Task[None] | None = None

    def start(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``work()`` as this component's task; a second start while it runs does nothing."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(work(), name=self.name)

    async def stop(self) -> None:
        """Cancel the task and wait until it has finished; nothing when it was never started."""
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
