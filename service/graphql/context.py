"""The typed per-request context every resolver receives as ``info.context``."""

import uuid
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from strawberry.dataloader import DataLoader

from service.api_keys.service import Principal
from service.db.pool import database_errors, in_transaction
from service.errors import CshubError
from service.graphql.batching import Fetch
from service.graphql.loaders import Loaders
from service.graphql.mutation_errors import MutationError
from service.graphql.write_scope import current_scope
from service.settings import Settings

A = TypeVar("A", bound=Hashable)
E = TypeVar("E")
R = TypeVar("R")
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

        Inside a mutation it runs in the mutation's write scope (``write_scope``: its audit row is written in the
        same transaction, ``service.api.audit``)."""
        scope = current_scope()
        async with database_errors(self.engine.url):
            if scope is None:  # not inside an audited mutation (a test calling a resolver directly)
                return await in_transaction(self.engine, work)
            return await scope.run(self.engine, work)

    @overload
    async def mutate(self, change: Callable[[], Awaitable[R]]) -> R | MutationError: ...
    @overload
    async def mutate(self, change: Callable[[], Awaitable[R]], refuse: Callable[[CshubError], E]) -> R | E: ...
    async def mutate(
        self, change: Callable[[], Awaitable[R]], refuse: Callable[[CshubError], object] = MutationError.from_error
    ) -> object:
        """A mutation's answer: what ``change`` returns (it reads its input, writes through ``write`` and maps
        the row), or — when it raised an expected failure (a ``CshubError``: bad input, a domain rule, a
        conflict, the database unavailable) — ``refuse(error)``, the typed refusal of the mutation's result union
        (default ``MutationError``): data, not a GraphQL error, and nothing was written. Anything else
        propagates (logged and masked by ``ErrorPolicy``)."""
        try:
            return await change()
        except CshubError as error:
            return refuse(error)
