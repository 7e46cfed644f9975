"""API key changes (create, revoke) with their audit entry, in one transaction. The command line makes them:
its entries have no key id and the actor ``cli``."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.api_keys.queries import ApiKeyRow
from service.audit.service import CLI, AuditedWrite, Who, outcome_of
from service.errors import CshubError

T = TypeVar("T")
# A change on the caller's connection, answering its result and the key row it changed.
KeyChange = Callable[[AsyncConnection], Awaitable[tuple[T, ApiKeyRow]]]


async def audited_key_change(engine: AsyncEngine, action: str, change: KeyChange[T], who: Who = CLI) -> T:
    """Run ``change`` and record ``action`` on the key (its id; its role and name in details — never the secret)."""
    write = AuditedWrite(who, action)

    async def work(conn: AsyncConnection) -> T:
        result, row = await change(conn)
        write.target = str(row.id)
        write.details = {"role": row.role.value, "name": row.name}
        if row.sources is not None:
            write.details["sources"] = list(row.sources)
        return result

    try:
        return await write.run(engine, work)
    except Exception as error:
        await write.settle(engine, outcome_of(error), error.code if isinstance(error, CshubError) else None)
        raise
