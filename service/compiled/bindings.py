"""What a plan takes from the request's variables, so that one plan serves every value that leaves it unchanged.

A plan is made with the variables of the request that first asks for it. Most variables shape it — a page
size, a filter, a date range, an ``@include`` — and a plan is only reused for the same values of those: the
*key* of a plan names them. Some only feed a value the statement compares with — the id of ``account(id:)``,
the domain of ``accountByDomain`` — and a declaration may take such an argument as a **late** parameter: a
bind parameter whose value the argument gives each time the statement runs (parsed the resolver's way, so a
value the resolver refuses falls back), and the plan is reused whatever it is.

The planner learns which variables shape a plan by watching it: reading a field's argument
(``Arguments``) puts the variables that argument was given into the key; reading it as late does not.
Variables of ``@include``/``@skip`` are always in the key.
"""

import json
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    ExecutableDefinitionNode,
    GraphQLField,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.values import get_argument_values
from strawberry.types.arguments import convert_arguments

if TYPE_CHECKING:
    from graphql.execution.executor import Executor

STRAWBERRY_DEFINITION = "strawberry-definition"


def variables_in(value: ValueNode) -> frozenset[str]:
    """The names of the variables a literal argument value refers to, at any depth."""
    if isinstance(value, VariableNode):
        return frozenset((value.name.value,))
    if isinstance(value, ListValueNode):
        return frozenset().union(*(variables_in(item) for item in value.values))
    if isinstance(value, ObjectValueNode):
        return frozenset().union(*(variables_in(entry.value) for entry in value.fields))
    return frozenset()


def directive_variables(definitions: Iterable[ExecutableDefinitionNode]) -> frozenset[str]:
    """The variables of every directive in the operation and its fragments (``@include(if: $x)``): they
    decide which fields a selection has, so they shape every plan."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        for directive in getattr(node, "directives", None) or ():
            for argument in directive.arguments:
                found.update(variables_in(argument.value))
        selection_set = getattr(node, "selection_set", None)
        for child in getattr(selection_set, "selections", None) or ():
            walk(child)

    for definition in definitions:
        walk(definition)
    return frozenset(found)


def _strawberry(executor: "Executor[Any]") -> Any:
    """The strawberry schema behind the executor's graphql-core schema (its converters and config)."""
    return executor.schema._strawberry_schema  # type: ignore[attr-defined]


def argument_values(executor: "Executor[Any]", definition: GraphQLField, details: FieldDetails) -> dict[str, Any]:
    """The field's arguments as its resolver receives them: coerced, then converted to strawberry's types."""
    if not definition.args and not details.node.arguments:
        return {}
    raw = get_argument_values(definition, details.node, executor.variable_values, details.fragment_variable_values)
    strawberry_field = definition.extensions.get(STRAWBERRY_DEFINITION)
    if strawberry_field is None:
        return raw
    schema = _strawberry(executor)
    return convert_arguments(raw, strawberry_field.arguments, schema.schema_converter.scalar_registry, schema.config)


def argument_variables(
    executor: "Executor[Any]", definition: GraphQLField, details: FieldDetails
) -> dict[str, frozenset[str]]:
    """For each argument (by the name the resolver knows it by), the variables its value was given from."""
    given = {node.name.value: variables_in(node.value) for node in details.node.arguments or ()}
    strawberry_field = definition.extensions.get(STRAWBERRY_DEFINITION)
    if strawberry_field is None:
        return given
    converter = _strawberry(executor).config.name_converter
    return {
        argument.python_name: given.get(converter.from_argument(argument), frozenset())
        for argument in strawberry_field.arguments
    }


class Arguments(Mapping[str, Any]):
    """A field's arguments; reading one puts the variables it was given from into the plan's key (``read``)."""

    def __init__(self, values: dict[str, Any], variables: dict[str, frozenset[str]], read: set[str]) -> None:
        self._values = values
        self._variables = variables
        self._read = read

    def __getitem__(self, name: str) -> Any:
        self._read.update(self._variables.get(name, ()))
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        for variables in self._variables.values():
            self._read.update(variables)
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def given_by_variables(self, name: str) -> bool:
        """Whether the argument's value comes only from variables (a literal would be part of the document)."""
        return bool(self._variables.get(name))

    def peek(self, name: str) -> Any:
        """The argument's value without making its variables part of the key (for a late parameter)."""
        return self._values.get(name)


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: a plan's own
class Late:
    """One argument of one field, read again from each request's variables: the value of a late parameter
    (``key`` is its bind parameter), or a part of a plan's key (the argument's *shape*, say the type of a
    global id)."""

    key: str
    definition: GraphQLField
    details: FieldDetails
    name: str
    convert: Callable[[Any], Any]  # the argument → the parameter's value (or key part); InvalidInput: refused

    def value(self, executor: "Executor[Any]") -> Any:
        return self.convert(argument_values(executor, self.definition, self.details).get(self.name))


# A part of a plan's key: a variable's name (its value is the part), or a Late (its converted value is).
KeyPart = str | Late


def key_values(parts: tuple[KeyPart, ...], executor: "Executor[Any]") -> Hashable:
    """The values of a plan's key parts in this request (a Late that refuses its value raises)."""
    variables = executor.variable_values.coerced
    return tuple(
        json.dumps(variables.get(part), sort_keys=True, default=repr) if isinstance(part, str) else part.value(executor)
        for part in parts
    )
