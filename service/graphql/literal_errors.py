"""A literal a scalar refuses (``service.graphql.scalars``) names the argument and the field it is in.

graphql-core reports a scalar's refusal of a literal as the scalar wrote it, without saying where; for a
variable it says ``Variable '$f' has invalid value at .arr.min: …`` itself. ``NamedLiteralErrors`` swaps the
standard values-of-correct-type rule for one that prefixes the error with its place, e.g. ``argument
`filter` at .renewalDate.to: Date 2200-01-01 is outside …``, and points at the literal.
"""

from collections.abc import Iterator
from typing import Any

from graphql import ArgumentNode, GraphQLError, GraphQLInputType, ValueNode, VariableDefinitionNode, VisitorAction
from graphql.language import SKIP
from graphql.utilities.validate_input_value import validate_input_literal
from graphql.validation import ValidationContext, ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension


def _path(path: list[str | int]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


class NamedValuesOfCorrectType(ValuesOfCorrectTypeRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.place: str | None = None

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.place = f"argument `{node.name.value}`"

    def enter_variable_definition(self, node: VariableDefinitionNode, *_args: Any) -> None:
        self.place = f"the default value of `${node.variable.name.value}`"

    def leave_argument(self, *_args: Any) -> None:
        self.place = None

    def leave_variable_definition(self, *_args: Any) -> None:
        self.place = None

    def is_valid_value_node(self, node: ValueNode, input_type: GraphQLInputType | None) -> VisitorAction:
        if input_type:

            def on_error(error: GraphQLError, path: list[str | int]) -> None:
                if error.nodes is None and self.place is not None:
                    where = f"{self.place}{f' at {_path(path)}' if path else ''}"
                    error = GraphQLError(f"{where}: {error.message}", node, extensions=error.extensions)
                self.report_error(error)

            validate_input_literal(node, input_type, on_error, None, None, self.context.hide_suggestions)
        return SKIP


class NamedLiteralErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = tuple(
            NamedValuesOfCorrectType if rule is ValuesOfCorrectTypeRule else rule for rule in context.validation_rules
        )
        yield
