"""What an operation asks for, measured on its document before it runs: depth, aliases and estimated cost.

The cost estimates how many values the operation can produce:

- every field costs 1, and a field with a selection costs 1 + the cost of that selection;
- a list multiplies the cost of its selection (a list of scalars: 1) by the items it returns, priced from
  its arguments by its rule in ``service.api.prices``: ``first`` (a connection's ``edges``: the
  connection's ``first``), the buckets of a usage series or a metric's period, the groups of its
  ``groupBy``, or ``list_size`` for stored rows no argument bounds (an account's contacts, a contract's lines);
- fragments count where they are spread; the branches of a union or interface all count (an upper bound).

Introspection (``__schema``, ``__type``) counts as one level of depth: its nesting follows the schema's type
references (GraphiQL's own query is 15 deep), and its cost, which is counted, bounds it.

So ``accounts(first: 50) { edges { node { contacts { name } } } }`` costs 1 + (1 + 50 × (1 + (1 + 10 × 1)))
= 602 with ``list_size`` 10. Fragments are measured once per enclosing field (memoised), so a document cannot
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
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    get_named_type,
    value_from_ast_untyped,
)
from graphql.language import DocumentNode

from service.api.prices import COST_CEILING, Arguments, Call, Pricing, price

INTROSPECTION = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class Measurement:
    depth: int  # fields nested in fields: `{ a { b } }` is 2
    aliases: int  # aliased fields, fragments expanded
    cost: int
    fields: int = 0  # field selections, fragments expanded where spread (`{ a { b } a }` is 3), lists not multiplied
    # The variables whose values the measuring read (priced arguments: `first`, a series' range…): the same
    # document measures the same whatever the others hold, an account's id say.
    read: frozenset[str] = frozenset()


ZERO = Measurement(0, 0, 0)


class TooDeep(Exception):
    """The operation nests deeper than the walk looks; its depth is refused whatever it is."""


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    pricing: Pricing,
    depth_cap: int,
) -> Measurement:
    """The measurement of the operation that will run (every operation, if that cannot be told yet).

    Raises ``TooDeep`` when fields nest more than ``depth_cap`` levels.
    """
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    chosen = [op for op in operations if operation_name is None or (op.name and op.name.value == operation_name)]
    fragments = {node.name.value: node for node in document.definitions if isinstance(node, FragmentDefinitionNode)}
    read: set[str] = set()
    try:
        measurements = [
            _Walk(schema, fragments, _Reading(_variables(op, variables), read), pricing, depth_cap).operation(op)
            for op in chosen or operations
        ]
    except RecursionError:  # a chain of fragments spreading each other, longer than any real query has
        raise TooDeep from None
    return Measurement(
        depth=max((m.depth for m in measurements), default=0),
        aliases=max((m.aliases for m in measurements), default=0),
        cost=max((m.cost for m in measurements), default=0),
        fields=max((m.fields for m in measurements), default=0),
        read=frozenset(read),
    )


class _Reading(dict[str, Any]):
    """Variable values that note which of them are read (graphql-core looks a variable up with ``get``)."""

    def __init__(self, values: dict[str, Any], read: set[str]) -> None:
        super().__init__(values)
        self.read = read

    def __bool__(self) -> bool:  # graphql-core skips the lookup in an empty mapping: it must look (and note)
        return True

    def get(self, name: str, default: Any = None) -> Any:
        self.read.add(name)
        return super().get(name, default)

    def __getitem__(self, name: str) -> Any:
        self.read.add(name)
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.read.add(name)
        return super().__contains__(name)


def _variables(operation: OperationDefinitionNode, provided: Mapping[str, Any] | None) -> dict[str, Any]:
    """Variable values: those provided, else the operation's defaults."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            values[definition.variable.name.value] = value_from_ast_untyped(definition.default_value)
    values.update(provided or {})
    return values


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        pricing: Pricing,
        depth_cap: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.pricing = pricing
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
        return self.selections(node.selection_set, root, outer=None, level=0)

    def selections(
        self, node: SelectionSetNode, parent: GraphQLNamedType | None, outer: Arguments | None, level: int
    ) -> Measurement:
        """The selection of the field whose arguments are ``outer`` (None: the operation's)."""
        depth = aliases = cost = fields = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                part = self.field(selection, parent, outer, level)
            elif isinstance(selection, InlineFragmentNode):
                part = self.selections(
                    selection.selection_set, self.condition(selection.type_condition, parent), outer, level
                )
            elif isinstance(selection, FragmentSpreadNode):
                part = self.spread(selection.name.value, outer, level)
            else:  # pragma: no cover - graphql-core knows no other selection
                continue
            depth = max(depth, part.depth)
            aliases += part.aliases
            cost = min(cost + part.cost, COST_CEILING)
            fields = min(fields + part.fields, COST_CEILING)
        return Measurement(depth, aliases, cost, fields)

    def field(
        self, node: FieldNode, parent: GraphQLNamedType | None, outer: Arguments | None, level: int
    ) -> Measurement:
        alias = 1 if node.alias else 0
        if node.selection_set is None:
            definition = self.definition(parent, node.name.value)
            items = self.items(parent, Arguments(node, definition, self.variables), outer)
            return Measurement(1, alias, 1 if items is None else min(1 + items, COST_CEILING), 1)
        if level + 2 > self.depth_cap and not self.introspecting:  # this field and one below: too deep already
            raise TooDeep
        if node.name.value in INTROSPECTION and not self.introspecting:
            self.introspecting = True
            try:
                inner = self.field(node, parent, outer, level)
            finally:
                self.introspecting = False
            return Measurement(1, inner.aliases, inner.cost, 1 + inner.fields)
        definition = self.definition(parent, node.name.value)
        arguments = Arguments(node, definition, self.variables)
        inner_type = get_named_type(definition.type) if definition is not None else None
        inner = self.selections(node.selection_set, inner_type, arguments, level + 1)
        items = self.items(parent, arguments, outer)
        size = 1 if items is None else items
        return Measurement(
            1 + inner.depth, alias + inner.aliases, min(1 + size * inner.cost, COST_CEILING), 1 + inner.fields
        )

    def items(self, parent: GraphQLNamedType | None, arguments: Arguments, outer: Arguments | None) -> int | None:
        """The items a list field returns (its price); None for a field that is no list."""
        definition = arguments.definition
        if definition is None:
            return None
        output = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else definition.type
        if not isinstance(output, GraphQLList):
            return None
        key = f"{parent.name if parent is not None else ''}.{arguments.node.name.value}"
        return price(key, Call(arguments, outer, self.pricing))

    def spread(self, name: str, outer: Arguments | None, level: int) -> Measurement:
        fragment = self.fragments.get(name)
        if fragment is None or name in self.spreading:
            return ZERO
        key = (name, id(outer.node) if outer is not None else None)
        if key not in self.measured:
            self.spreading.add(name)
            try:
                parent = self.condition(fragment.type_condition, None)
                self.measured[key] = self.selections(fragment.selection_set, parent, outer, level)
            finally:
                self.spreading.discard(name)
        return self.measured[key]

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
