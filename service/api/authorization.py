"""The matrix of ``service.authorization``, enforced on the schema: ``protect(...)`` runs when the schema is built.

It gives every root field (and every ``Type.field`` the matrix names) an ``Authorize`` extension
(``service.graphql.authorization``) that awaits the check before the resolver runs. A root field the matrix does
not name makes the build fail: nothing is open by default.
"""

from strawberry.types.base import get_object_definition

from service.authorization import authorize, graphql_operations
from service.graphql.authorization import Authorize, graphql_name

ROOT_TYPES = ("Query", "Mutation", "Subscription")


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
                field.extensions.append(Authorize(operation, authorize))  # the last extension runs first (outermost)
    unknown = set(operations) - attached
    if unknown:
        raise LookupError(f"service.authorization names fields not found in {types}: {sorted(unknown)}")
