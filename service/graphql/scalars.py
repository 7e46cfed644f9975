"""cshub's ``Date``, ``DateTime`` and ``Decimal``: strawberry's, held to ``service.input_bounds`` on input.

GraphQL coerces every argument, input-object field, list item and default value through its scalar, from a
literal or a variable alike, so checking the bounds here covers every input of the schema by construction: a
new argument cannot forget it. A value outside them is a request error with code ``BAD_USER_INPUT``, raised
before anything executes; graphql-core names the variable and the path in it (``Variable '$input' has invalid
value at .dueOn: …``), and ``NamedLiteralErrors`` names the argument of a literal.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from graphql import GraphQLError
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition, DecimalDefinition
from strawberry.types.scalar import ScalarDefinition

from service.input_bounds import CALENDAR, DECIMAL_DIGITS, outside_calendar, unusable_decimal

BAD_USER_INPUT = {"code": "BAD_USER_INPUT"}


def _bounded(base: ScalarDefinition, problem: Callable[[Any], str | None], description: str) -> ScalarDefinition:
    parse = base.parse_value
    assert parse is not None

    def parse_value(value: object) -> object:
        parsed = parse(value)  # strawberry's own parsing and its messages for what is not a date/number at all
        reason = problem(parsed)
        if reason:
            raise GraphQLError(f"{base.name} {reason}", extensions=BAD_USER_INPUT)
        return parsed

    return ScalarDefinition(
        name=base.name,
        description=description,
        specified_by_url=base.specified_by_url,
        serialize=base.serialize,
        parse_value=parse_value,
        parse_literal=None,  # strawberry reads the literal, then calls parse_value
        origin=base.origin,
    )


DATE = _bounded(DateDefinition, outside_calendar, f"A calendar day, ISO 8601 (`2026-03-01`), from {CALENDAR}.")
DATE_TIME = _bounded(
    DateTimeDefinition,
    outside_calendar,
    f"A time, ISO 8601 with an offset (`2026-03-01T09:30:00Z`), from {CALENDAR} in UTC (in any offset).",
)
DECIMAL = _bounded(
    DecimalDefinition,
    unusable_decimal,
    f"An exact decimal number as a string (`12000.50`): finite, at most {DECIMAL_DIGITS} digits before the point "
    f"and {DECIMAL_DIGITS} after.",
)
# For ``strawberry.Schema(scalar_overrides=...)``.
SCALAR_OVERRIDES: dict[object, Any] = {dt.date: DATE, dt.datetime: DATE_TIME, Decimal: DECIMAL}
