"""Masking by class (``service.privacy``), enforced on the schema: one ``Masked`` extension per masked field.

``mask_by_class(Query, Mutation)`` runs before the schema is built: it walks every object type the roots reach
and gives each field whose class some role sees masked (``PERSON``, ``FREE_TEXT`` for ``bi``) a ``Masked``
extension, and says so at the end of the field's description. ``check_classified(schema)`` runs after the
build: a String, [String] or JSON field without a class, an entry naming no field, or a masked entry that got no
extension makes the build fail — nothing ships unclassified.

Masking is per field, so it holds on every path that reaches the field (an account's contacts, a contact by id
or by ``node``, ``handoffContext``, a mutation's answer…). A masked value reads ``•••`` (``MASK``): a string is
replaced, a list keeps its length with every item replaced, a JSON value becomes the string ``•••``. A null
stays null (there is nothing to hide, and "unknown" stays visible). Masking happens after the resolver, on the
value only; the rows read, and every aggregate, are the same for every role.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import strawberry
from graphql import GraphQLInterfaceType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLOutputType
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension, SyncExtensionResolver
from strawberry.types.base import StrawberryContainer, StrawberryObjectDefinition, get_object_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.union import StrawberryUnion

from service.api_keys.roles import Role
from service.graphql.authorization import graphql_name
from service.graphql.context import Context
from service.privacy import FIELD_CLASSES, MASK_NOTES, DataClass, masked_for

MASK = "•••"
CLASSIFIED_SCALARS = frozenset({"String", "JSON"})


class Masked(FieldExtension):
    """Replaces the field's value with ``MASK`` for the roles that see its class masked."""

    def __init__(self, data_class: DataClass, roles: frozenset[Role]) -> None:
        self.data_class = data_class
        self.roles = roles

    def _masked(self, value: Any, info: strawberry.Info[Context]) -> Any:
        principal = info.context.principal
        if value is None or principal is None or principal.role not in self.roles:
            return value
        if isinstance(value, list):
            return [None if item is None else MASK for item in value]
        return MASK

    def resolve(  # type: ignore[override]
        self, next_: SyncExtensionResolver, source: Any, info: strawberry.Info[Context], /, **kwargs: Any
    ) -> Any:
        return self._masked(next_(source, info, **kwargs), info)

    # Positional-only: a field's own argument may be called `source` (unmatchedRecords(source:)) or `info`.
    async def resolve_async(  # type: ignore[override]
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info[Context], /, **kwargs: Any
    ) -> Any:
        return self._masked(await next_(source, info, **kwargs), info)


def mask_note(data_class: DataClass, roles: frozenset[Role]) -> str:
    names = ", ".join(sorted(role.value for role in roles))
    return f"Masked (`{MASK}`) for role {names}: {MASK_NOTES[data_class]}."


def object_definitions(*roots: type) -> dict[str, StrawberryObjectDefinition]:
    """Every object type reachable from ``roots`` through field types (lists, optionals, unions, lazy types)."""
    found: dict[str, StrawberryObjectDefinition] = {}
    pending: list[Any] = list(roots)
    while pending:
        kind = pending.pop()
        if isinstance(kind, LazyType):
            pending.append(kind.resolve_type())
        elif isinstance(kind, StrawberryContainer):
            pending.append(kind.of_type)
        elif isinstance(kind, StrawberryUnion):
            pending.extend(kind.types)
        elif (definition := get_object_definition(kind)) is not None and definition.name not in found:
            found[definition.name] = definition
            pending.extend(field.type for field in definition.fields)
    return found


def mask_by_class(*roots: type, classes: Mapping[str, DataClass] = FIELD_CLASSES) -> set[str]:
    """Attach ``Masked`` to every field reachable from ``roots`` whose class some role sees masked; return
    those fields (``Type.field``). Idempotent: a field keeps one ``Masked`` and one note."""
    attached: set[str] = set()
    for type_name, definition in object_definitions(*roots).items():
        for field in definition.fields:
            name = f"{type_name}.{graphql_name(field)}"
            data_class = classes.get(name)
            if data_class is None or not (roles := masked_for(data_class)):
                continue  # not text, or read as stored by every role (an unclassified field fails the build later)
            attached.add(name)
            if not any(isinstance(extension, Masked) for extension in field.extensions):
                field.extensions.append(Masked(data_class, roles))
                note = mask_note(data_class, roles)
                field.description = f"{field.description} {note}" if field.description else note
    return attached


def classified_fields(schema: strawberry.Schema) -> Iterator[str]:
    """Every output field of the built schema whose values are text (String, [String], JSON): ``Type.field``."""
    for type_name, graphql_type in schema._schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        for field_name, field in graphql_type.fields.items():
            if _named(field.type) in CLASSIFIED_SCALARS:
                yield f"{type_name}.{field_name}"


def _named(kind: GraphQLOutputType) -> str:
    while isinstance(kind, (GraphQLNonNull, GraphQLList)):
        kind = kind.of_type
    return str(kind)


def classification_errors(
    schema: strawberry.Schema, masked: set[str], classes: Mapping[str, DataClass] = FIELD_CLASSES
) -> list[str]:
    """What is wrong with the classification of ``schema``'s fields; empty when every text field has a class,
    every class names a field and every masked field got its ``Masked`` (``masked``: from ``mask_by_class``)."""
    text_fields = set(classified_fields(schema))
    errors = [f"{name} has no class in service.privacy.FIELD_CLASSES" for name in sorted(text_fields - set(classes))]
    errors += [
        f"service.privacy.FIELD_CLASSES names {name}, not a text field" for name in sorted(set(classes) - text_fields)
    ]
    missed = {name for name, data_class in classes.items() if masked_for(data_class)} - masked
    errors += [f"{name} is not masked: its type is not reachable from the roots given" for name in sorted(missed)]
    return errors


def check_classified(schema: strawberry.Schema, masked: set[str]) -> None:
    errors = classification_errors(schema, masked)
    if errors:
        raise LookupError("; ".join(errors))
