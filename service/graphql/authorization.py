"""Role checks on fields: one ``Authorize`` extension per field the matrix names.

The toolkit holds the mechanism only: ``Authorize`` awaits the check it was given (the caller, or
UNAUTHENTICATED/FORBIDDEN) before the resolver runs. A refused call is a GraphQL error with ``extensions.code``
FORBIDDEN and ``null`` for that field — the resolver never runs, so no data and no write. Which field needs which
role is ``service.authorization``'s matrix; the assembly attaches the extensions when the schema is built
(``service.api.authorization.protect``).
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.utils.str_converters import to_camel_case

from service.api_keys.service import Principal
from service.graphql.context import Context

# The caller when it may call the operation; raises AuthenticationRequired or PermissionDenied otherwise.
Authorizer = Callable[[Principal | None, str], Awaitable[Principal]]


class Authorize(FieldExtension):
    """Refuses the field unless ``authorize`` lets the caller call ``operation`` (async only: the check awaits)."""

    def __init__(self, operation: str, authorize: Authorizer) -> None:
        self.operation = operation
        self.authorize = authorize

    # Positional-only: a field's own argument may be called `source` (unmatchedRecords(source:)) or `info`.
    async def resolve_async(  # type: ignore[override]
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info[Context], /, **kwargs: Any
    ) -> Any:
        await self.authorize(info.context.principal, self.operation)
        result = next_(source, info, **kwargs)
        return await result if inspect.isawaitable(result) else result  # a subscription's async generator is not


def graphql_name(field: Any) -> str:
    name: str = field.graphql_name or to_camel_case(field.python_name)
    return name
