"""How much of the schema a caller gets to see: introspection and "Did you mean …?" suggestions.

In development both are on (GraphiQL needs them). In production introspection is refused
(``INTROSPECTION_DISABLED``) except for ``admin`` keys, and error messages carry no suggestions, which
would otherwise spell out field, type and enum names to anyone probing with typos.
"""

import re
from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, GraphQLError, ValidationRule
from strawberry.extensions import SchemaExtension

from service.api.measure import INTROSPECTION
from service.api_keys.roles import Role
from service.settings import Environment

_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class IntrospectionDisabled(ValidationRule):
    """Refuses ``__schema`` and ``__type`` (``__typename`` stays: clients need it for unions)."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value in INTROSPECTION:
            self.report_error(
                GraphQLError(
                    f"Introspection is disabled in production (field '{node.name.value}'); "
                    "the schema is published as schema/schema.graphql.",
                    node,
                    extensions={"code": "INTROSPECTION_DISABLED"},
                )
            )


def without_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)


class SchemaExposure(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        settings = getattr(context, "settings", None)
        production = settings is not None and settings.environment == Environment.PRODUCTION
        principal = getattr(context, "principal", None)
        if production and (principal is None or principal.role != Role.ADMIN):
            self.execution_context.validation_rules = (*self.execution_context.validation_rules, IntrospectionDisabled)
        yield
        result = self.execution_context.result
        if production and result is not None and result.errors:
            for error in result.errors:
                error.message = without_suggestions(error.message)
