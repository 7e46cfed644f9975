"""Per-request DataLoaders: nested fields batch into one ``= ANY($1)`` query per level, not one per row."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from service.db import read_connection
from service.sources import queries as source_queries
from service.sources.queries import AccountSourceRow


class Loaders:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.account_sources = DataLoader[uuid.UUID, list[AccountSourceRow]](load_fn=self._account_sources)

    async def _account_sources(self, account_ids: Sequence[uuid.UUID]) -> list[list[AccountSourceRow]]:
        async with read_connection(self.engine) as conn:
            grouped = await source_queries.account_sources(conn, account_ids)
        return [grouped.get(account_id, []) for account_id in account_ids]
