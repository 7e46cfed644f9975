"""What an operation asks for, measured on its document before it runs: depth, aliases and estimated cost.

The cost estimates how many field values the operation can produce:

- every field costs 1, and a field with a selection costs 1 + the cost of that selection;
- a list multiplies the cost of its selection by its size: ``first`` when the field takes one (its value,
  the argument's default, or the connection default page size), the page size for the ``edges`` and
  ``nodes`` of a connection, else ``list_size`` — an estimate for the lists the API does not page
  (an account's contacts, a contract's lines, a metric's groups);
- fragments count where they are spread; the branches of a union or interface all count (an upper bound).

Introspection (``__schema``, ``__type``) counts as one level of depth: its nesting follows the schema's type
references (GraphiQL's own query is 15 deep), and its cost, which is counted, bounds it.

So ``accounts(first: 50) { edges { node { contacts { name } } } }`` costs 1 + (1 + 50 × (1 + (1 + 10 × 1)))
= 602 with ``list_size`` 10. Fragments are measured once per page size (memoised), so a document cannot
make the measuring itself expensive by spreading one fragment many times. The walk stops descending past
``depth_cap`` levels (``TooDeep``): anything deeper is refused anyway.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    VariableNode,
    get_named_type,
)
from graphql.language import DocumentNode

PAGE_FIELD = "first"
PAGE_ITEMS = frozenset({"edges", "nodes"})  # the lists of a connection, as long as its page
INTROSPECTION = frozenset({"__schema", "__type"})
COST_CEILING = 10**15  # costs saturate here: far above any limit, and the arithmetic stays small


@dataclass(frozen=True, slots=True)
class Measurement:
    depth: int  # fields nested in fields: `{ a { b } }` is 2
    aliases: int  # aliased fields, fragments expanded
    cost: int
    fields: int = 0  # field selections, fragments expanded where spread (`{ a { b } a }` is 3), lists not multiplied


ZERO = Measurement(0, 0, 0)


class TooDeep(Exception):
    """The operation nests deeper than the walk looks; its depth is refused whatever it is."""


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    list_size: int,
    page_size: int,
    depth_cap: int,
) -> Measurement:
    """The measurement of the operation that will run (every operation, if that cannot be told yet).

    Raises ``TooDeep`` when fields nest more than ``depth_cap`` levels.
    """
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    chosen = [op for op in operations if operation_name is None or (op.name and op.name.value == operation_name)]
    fragments = {node.name.value: node for node in document.definitions if isinstance(node, FragmentDefinitionNode)}
    try:
        measurements = [
            _Walk(schema, fragments, _variables(op, variables), list_size, page_size, depth_cap).operation(op)
            for op in chosen or operations
        ]
    except RecursionError:  # a chain of fragments spreading each other, longer than any real query has
        raise TooDeep from None
    return Measurement(
        depth=max((m.depth for m in measurements), default=0),
        aliases=max((m.aliases for m in measurements), default=0),
        cost=max((m.cost for m in measurements), default=0),
        fields=max((m.fields for m in measurements), default=0),
    )


def _variables(operation: OperationDefinitionNode, provided: Mapping[str, Any] | None) -> dict[str, Any]:
    """Integer variable values: those provided, else the operation's defaults."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        if isinstance(definition.default_value, IntValueNode):
            values[definition.variable.name.value] = int(definition.default_value.value)
    values.update(provided or {})
    return values


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        list_size: int,
        page_size: int,
        depth_cap: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.list_size = list_size
        self.page_size = page_size
        self.depth_cap = depth_cap
        self.measured: dict[tuple[str, int | None], Measurement] = {}
        self.spreading: set[str] = set()  # fragments being measured: a cycle (invalid anyway) counts as empty
        self.introspecting = False

    def operation(self, node: OperationDefinitionNode) -> Measurement:
        root = {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[node.operation]
        return self.selections(node.selection_set, root, page=None, level=0)

    def selections(
        self, node: SelectionSetNode, parent: GraphQLNamedType | None, page: int | None, level: int
    ) -> Measurement:
        depth = aliases = cost = fields = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                part = self.field(selection, parent, page, level)
            elif isinstance(selection, InlineFragmentNode):
                part = self.selections(
                    selection.selection_set, self.condition(selection.type_condition, parent), page, level
                )
            elif isinstance(selection, FragmentSpreadNode):
                part = self.spread(selection.name.value, page, level)
            else:  # pragma: no cover - graphql-core knows no other selection
                continue
            depth = max(depth, part.depth)
            aliases += part.aliases
            cost = min(cost + part.cost, COST_CEILING)
            fields = min(fields + part.fields, COST_CEILING)
        return Measurement(depth, aliases, cost, fields)

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, page: int | None, level: int) -> Measurement:
        alias = 1 if node.alias else 0
        if node.selection_set is None:
            return Measurement(1, alias, 1, 1)
        if level + 2 > self.depth_cap and not self.introspecting:  # this field and one below: too deep already
            raise TooDeep
        if node.name.value in INTROSPECTION and not self.introspecting:
            self.introspecting = True
            try:
                inner = self.field(node, parent, page, level)
            finally:
                self.introspecting = False
            return Measurement(1, inner.aliases, inner.cost, 1 + inner.fields)
        definition = self.definition(parent, node.name.value)
        size, inner_page = 1, None
        inner_type: GraphQLNamedType | None = None
        if definition is not None:
            inner_type = get_named_type(definition.type)
            output = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else definition.type
            is_list = isinstance(output, GraphQLList)
            if PAGE_FIELD in definition.args:
                first = self.first(node, definition)
                size, inner_page = (first, None) if is_list else (1, first)
            elif is_list:
                size = page if page is not None and node.name.value in PAGE_ITEMS else self.list_size
        inner = self.selections(node.selection_set, inner_type, inner_page, level + 1)
        return Measurement(
            1 + inner.depth, alias + inner.aliases, min(1 + size * inner.cost, COST_CEILING), 1 + inner.fields
        )

    def spread(self, name: str, page: int | None, level: int) -> Measurement:
        fragment = self.fragments.get(name)
        if fragment is None or name in self.spreading:
            return ZERO
        key = (name, page)
        if key not in self.measured:
            self.spreading.add(name)
            try:
                parent = self.condition(fragment.type_condition, None)
                self.measured[key] = self.selections(fragment.selection_set, parent, page, level)
            finally:
                self.spreading.discard(name)
        return self.measured[key]

    def first(self, node: FieldNode, definition: GraphQLField) -> int:
        """The page a ``first`` argument asks for: its value, else its default, else the default page size."""
        for argument in node.arguments or ():
            if argument.name.value != PAGE_FIELD:
                continue
            value: Any = None
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
            if isinstance(value, int) and not isinstance(value, bool):
                return max(value, 0)
        default = definition.args[PAGE_FIELD].default_value
        if isinstance(default, int) and not isinstance(default, bool):
            return max(default, 0)
        return self.page_size

    def condition(
        self, type_condition: NamedTypeNode | None, parent: GraphQLNamedType | None
    ) -> GraphQLNamedType | None:
        if type_condition is None:
            return parent
        return self.schema.get_type(type_condition.name.value)

    def definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if name == "__schema" and parent is self.schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self.schema.query_type:
            return TypeMetaFieldDef
        if name == "__typename":
            return TypeNameMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            field: GraphQLField | None = parent.fields.get(name)
            return field
        return None
