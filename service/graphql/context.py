"""The typed per-request context every resolver receives as ``info.context``."""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.api_keys.service import Principal
from service.audit.service import current_write
from service.db.pool import database_errors, in_transaction
from service.graphql.loaders import Loaders
from service.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Context:
    engine: AsyncEngine
    settings: Settings
    principal: Principal | None
    request_id: str
    loaders: Loaders
    compiled_reads: bool = False  # query roots may run as one compiled statement (service.compiled)

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection of this request's own for one read (see ``RequestReads``)."""
        return self.loaders.reads.connection()

    async def write(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run a mutation's ``work`` in one transaction (committed when it returns, rolled back when it
        raises); an unreachable database becomes DATABASE_UNAVAILABLE, not an internal error.

        The mutation's audit row (``service.graphql.audit``) is written in the same transaction."""
        audited = current_write()
        async with database_errors(self.engine.url.render_as_string(hide_password=False)):
            if audited is None:  # not inside an audited mutation (a test calling a resolver directly)
                return await in_transaction(self.engine, work)
            return await audited.run(self.engine, work)
