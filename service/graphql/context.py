"""The typed per-request context every resolver receives as ``info.context``."""

import uuid
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from strawberry.dataloader import DataLoader

from service.api_keys.service import Principal
from service.audit.service import current_write
from service.db.pool import database_errors, in_transaction
from service.graphql.batching import Fetch
from service.graphql.loaders import Loaders
from service.settings import Settings

A = TypeVar("A", bound=Hashable)
E = TypeVar("E")
T = TypeVar("T")
V = TypeVar("V")


def _none() -> None:
    return None


@dataclass(frozen=True, slots=True)
class Context:
    engine: AsyncEngine
    settings: Settings
    principal: Principal | None
    request_id: str
    loaders: Loaders
    compiled_reads: bool = False  # query roots may run as one compiled statement (service.compiled)
    # On a subscription WebSocket: the process's event hub and this connection (service.subscriptions.hub.Live);
    # typed loosely because the toolkit sits below the domains. None over HTTP.
    live: Any = None

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection of this request's own for one read (see ``RequestReads``)."""
        return self.loaders.reads.connection()

    @overload
    def batch(self, fetch: Fetch[A, V]) -> DataLoader[tuple[uuid.UUID, A], V | None]: ...
    @overload
    def batch(self, fetch: Fetch[A, list[E]], missing: type[list[Any]]) -> DataLoader[tuple[uuid.UUID, A], list[E]]: ...
    @overload
    def batch(self, fetch: Fetch[A, V], missing: Callable[[], V]) -> DataLoader[tuple[uuid.UUID, A], V]: ...
    def batch(
        self, fetch: Fetch[A, Any], missing: Callable[[], object] = _none
    ) -> DataLoader[tuple[uuid.UUID, A], Any]:
        """This request's loader of ``fetch(conn, ids, argument)``, a domain's batched query: keys are ``(id,
        argument)``, every key of one tick with the same argument is one call, and an id the query did not
        find gets ``missing()`` (default None; ``list``: an empty list). Every field naming ``fetch`` shares the
        one loader (``Batches``)."""
        return self.loaders.batches.batch(fetch, missing)

    async def write(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run a mutation's ``work`` in one transaction (committed when it returns, rolled back when it
        raises); an unreachable database becomes DATABASE_UNAVAILABLE, not an internal error.

        The mutation's audit row (``service.api.audit``) is written in the same transaction."""
        audited = current_write()
        async with database_errors(self.engine.url.render_as_string(hide_password=False)):
            if audited is None:  # not inside an audited mutation (a test calling a resolver directly)
                return await in_transaction(self.engine, work)
            return await audited.run(self.engine, work)
