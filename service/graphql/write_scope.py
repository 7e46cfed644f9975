"""The scope a mutation's write runs in, filled by the assembly: ``Context.write`` runs its work through it.

The toolkit does not know what wraps a write (the audit of mutations, ``service.api.audit``, sets an
``AuditedWrite`` here while a mutation resolves); it only asks for the current scope. None outside one (a
test calling a resolver directly): the work then runs in a plain transaction.
"""

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

T = TypeVar("T")


class WriteScope(Protocol):
    async def run(self, engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction, with whatever the scope adds to it."""
        ...


_current: ContextVar[WriteScope | None] = ContextVar("cshub_write_scope", default=None)


def current_scope() -> WriteScope | None:
    """The scope the running operation (a GraphQL mutation) writes in; None outside one."""
    return _current.get()


def enter(scope: WriteScope) -> Callable[[], None]:
    """Make ``scope`` the current one until the returned function is called."""
    token = _current.set(scope)
    return lambda: _current.reset(token)
