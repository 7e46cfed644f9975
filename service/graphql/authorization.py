"""The matrix of ``service.authorization``, enforced on the schema: one ``Authorize`` extension per field.

``protect(...)`` runs when the schema is built: it gives every root field (and every ``Type.field`` the
matrix names) an ``Authorize`` extension that awaits the check before the resolver runs. A refused call is
a GraphQL error with ``extensions.code`` FORBIDDEN and ``null`` for that field — the resolver never runs,
so no data and no write. A root field the matrix does not name makes the build fail: nothing is open by
default.
"""

import inspect
from typing import Any

import strawberry
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from service.authorization import Check, authorize, graphql_operations, role_in_matrix
from service.graphql.context import Context

ROOT_TYPES = ("Query", "Mutation", "Subscription")


class Authorize(FieldExtension):
    """Refuses the field unless the caller's role may call ``operation`` (async only: the check awaits)."""

    def __init__(self, operation: str, check: Check = role_in_matrix) -> None:
        self.operation = operation
        self.check = check

    # Positional-only: a field's own argument may be called `source` (unmatchedRecords(source:)) or `info`.
    async def resolve_async(  # type: ignore[override]
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info[Context], /, **kwargs: Any
    ) -> Any:
        await authorize(info.context.principal, self.operation, self.check)
        result = next_(source, info, **kwargs)
        return await result if inspect.isawaitable(result) else result  # a subscription's async generator is not


def graphql_name(field: Any) -> str:
    name: str = field.graphql_name or to_camel_case(field.python_name)
    return name


def protect(*types: type) -> None:
    """Attach ``Authorize`` to every root field of ``types`` and to the nested fields the matrix names.

    Idempotent (a field keeps one ``Authorize``); raises when a root field or a matrix entry is left over."""
    operations = graphql_operations()
    attached: set[str] = set()
    for cls in types:
        definition = get_object_definition(cls, strict=True)
        for field in definition.fields:
            operation = f"{definition.name}.{graphql_name(field)}"
            if operation not in operations:
                if definition.name in ROOT_TYPES:
                    raise LookupError(f"{operation} has no entry in service.authorization: say who may call it")
                continue
            attached.add(operation)
            if not any(isinstance(extension, Authorize) for extension in field.extensions):
                field.extensions.append(Authorize(operation))  # the last extension runs first (outermost)
    unknown = set(operations) - attached
    if unknown:
        raise LookupError(f"service.authorization names fields not found in {types}: {sorted(unknown)}")
