"""What one request reads with: its connections, its clock and its loaders (one per batched query, see ``batching``).

A new request gets all three anew, so nothing is cached across requests. Fields reach a loader through
``Context.batch(fetch, missing)``, naming the domain query itself; this module imports no domain.
"""

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.pool import RequestReads
from service.graphql.batching import Batches


class Loaders:
    """``now`` is the request's clock: every "today" and "last N days" of one request agree. ``batches`` holds
    the request's loaders, each made when a field first names its query."""

    __slots__ = ("batches", "now", "reads", "today")

    def __init__(self, engine: AsyncEngine, now: dt.datetime | None = None, connections: int = 4) -> None:
        self.reads = RequestReads(engine, connections)
        self.now = now or dt.datetime.now(dt.UTC)
        self.today = self.now.date()
        self.batches = Batches(self.reads)
