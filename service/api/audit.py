"""Every mutation is audited: ``Audited`` wraps each ``Mutation`` field (outside the role check).

While the resolver runs, its ``AuditedWrite`` is the current one, so ``Context.write`` records the ``ok`` row in
the mutation's own transaction. When the mutation answers without committing — refused by the role check, by
validation or a domain rule (a typed error in its result union), or failing — the refusal or failure is
recorded afterwards in a short transaction of its own. Details name the arguments given, never their values.
"""

from typing import Any

import strawberry
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from service.audit.service import AuditedWrite, Outcome, Who, outcome_of
from service.errors import CshubError
from service.graphql.authorization import graphql_name
from service.graphql.context import Context
from service.graphql.write_scope import enter

# Arguments (or fields of the `input` argument) that name the object a mutation acts on, most specific first.
_TARGET_NAMES = ("id", "goal_id", "merged_account_id", "account_id")


class Audited(FieldExtension):
    def __init__(self, action: str) -> None:
        self.action = action

    # Positional-only: a field's own argument may be called `source` (unmatchedRecords(source:)) or `info`.
    async def resolve_async(  # type: ignore[override]
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info[Context], /, **kwargs: Any
    ) -> Any:
        context = info.context
        if context.principal is None:  # refused as unauthenticated before anything could be written
            return await next_(source, info, **kwargs)
        write = AuditedWrite(
            who=Who.of(context.principal),
            action=self.action,
            target=_target(kwargs),
            details={"arguments": _arguments(kwargs)},
            request_id=context.request_id,
        )
        end = enter(write)
        try:
            result = await next_(source, info, **kwargs)
        except BaseException as error:
            code = error.code if isinstance(error, CshubError) else None
            await write.settle(context.engine, outcome_of(error), code)
            raise
        finally:
            end()
        if not write.recorded:
            code = getattr(result, "code", None)  # the typed refusals of result unions carry a code
            if write.error is not None:
                await write.settle(context.engine, outcome_of(write.error), code)
            elif isinstance(code, str):
                await write.settle(context.engine, Outcome.REFUSED, code)
            else:  # answered without writing anything: still on record
                await write.settle(context.engine, Outcome.OK, None)
        return result


def _target(kwargs: dict[str, Any]) -> str | None:
    inputs = [value for value in kwargs.values() if get_object_definition(value) is not None]
    for name in _TARGET_NAMES:
        for value in (kwargs.get(name), *(getattr(given, name, None) for given in inputs)):
            if isinstance(value, str):
                return value
    return None


def _arguments(kwargs: dict[str, Any]) -> list[str]:
    """The arguments given, as paths (``input.accountId``), without their values (they may be PII)."""
    paths: list[str] = []
    for name, value in sorted(kwargs.items()):
        if value is None or value is strawberry.UNSET:
            continue
        definition = get_object_definition(value)
        if definition is None:
            paths.append(to_camel_case(name))
            continue
        for field in definition.fields:
            given = getattr(value, field.python_name, None)
            if given is not None and given is not strawberry.UNSET:
                paths.append(f"{to_camel_case(name)}.{graphql_name(field)}")
    return paths


def audit_mutations(mutation: type) -> None:
    """Wrap every field of the ``Mutation`` type in ``Audited`` (outermost). Idempotent."""
    definition = get_object_definition(mutation, strict=True)
    for field in definition.fields:
        if not any(isinstance(extension, Audited) for extension in field.extensions):
            field.extensions.append(Audited(f"mutation:{graphql_name(field)}"))
