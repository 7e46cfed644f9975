"""Extreme but well-formed values for every argument of the GraphQL schema, found by walking it.

Used by tests/test_edge_inputs.py.

``argument_targets`` lists every scalar an argument reaches on every field a query can get to (root fields,
``Account.usage`` through ``account``, ``Metrics.mrrMovements`` through ``metrics``…) and on every mutation, so
a new argument is covered without touching the test. ``request`` builds a request that reaches the field with
baseline arguments everywhere except at one leaf. ``EDGES`` holds the values each scalar is tried with: dates at
year 1, 1899, 2200 and 9999, times at the ends of the calendar in far offsets, numbers too large for PostgreSQL or
for a float, cursors carrying such values, deeply nested and number-like text; ``generated`` draws more of them.
"""

import datetime as dt
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import graphql
from hypothesis import strategies as st

from service.graphql.relay import encode_cursor
from tests.fuzz_inputs import Ids, Leaf, argument_leaves, baseline, probe

LATER_DAY = "2026-09-15"


@dataclass(frozen=True)
class ArgumentTarget:
    """One leaf of one field's arguments, and the fields that lead to that field from the operation's root."""

    operation: str  # "query" or "mutation"
    path: tuple[tuple[str, str], ...]  # (type, field) from the root type to the field, the field last
    leaf: Leaf

    @property
    def label(self) -> str:
        return ".".join(field for _, field in self.path) + f"({self.leaf.label})"


def _concrete(schema: graphql.GraphQLSchema, type_: graphql.GraphQLNamedType) -> list[graphql.GraphQLObjectType]:
    if isinstance(type_, graphql.GraphQLObjectType):
        return [type_]
    if isinstance(type_, graphql.GraphQLInterfaceType | graphql.GraphQLUnionType):
        return list(schema.get_possible_types(type_))
    return []


Path = tuple[tuple[str, str], ...]


def _paths_from(schema: graphql.GraphQLSchema, root: graphql.GraphQLObjectType) -> dict[str, Path]:
    """The shortest chain of fields from ``root`` to each object type a query can reach."""
    paths: dict[str, Path] = {root.name: ()}
    queue = deque([root])
    while queue:
        owner = queue.popleft()
        for name, field in owner.fields.items():
            for reached in _concrete(schema, graphql.get_named_type(field.type)):
                if reached.name not in paths:
                    paths[reached.name] = (*paths[owner.name], (owner.name, name))
                    queue.append(reached)
    return paths


def argument_targets(schema: graphql.GraphQLSchema) -> Iterator[ArgumentTarget]:
    """Every argument leaf of every field reachable from Query, and of every Mutation field."""
    assert schema.query_type is not None
    for type_name, path in _paths_from(schema, schema.query_type).items():
        owner = schema.type_map[type_name]
        assert isinstance(owner, graphql.GraphQLObjectType)
        for name, field in owner.fields.items():
            for leaf in argument_leaves(field):
                yield ArgumentTarget("query", (*path, (type_name, name)), leaf)
    if schema.mutation_type is not None:
        for name, field in schema.mutation_type.fields.items():
            for leaf in argument_leaves(field):
                yield ArgumentTarget("mutation", ((schema.mutation_type.name, name),), leaf)


def _field(schema: graphql.GraphQLSchema, owner: str, name: str) -> graphql.GraphQLField:
    type_ = schema.type_map[owner]
    assert isinstance(type_, graphql.GraphQLObjectType)
    field: graphql.GraphQLField = type_.fields[name]
    return field


def request(schema: graphql.GraphQLSchema, target: ArgumentTarget, value: Any, ids: Ids) -> dict[str, Any]:
    """A GraphQL request body reaching the target field, ``value`` at its leaf and baselines everywhere else."""
    declared: list[str] = []
    variables: dict[str, Any] = {}
    selection = ""
    for step, (owner, name) in reversed(list(enumerate(target.path))):
        field = _field(schema, owner, name)
        named = graphql.get_named_type(field.type)
        owners = [member.name for member in _concrete(schema, named)]
        if step == len(target.path) - 1:
            values = probe(field, target.leaf, value, ids, owners)
            if target.leaf.path != ("to",) and "to" in values:
                values["to"] = LATER_DAY  # baselines are all one day: a period needs `to` after `from`
        else:
            values = {
                arg: baseline(argument.type, arg, ids, owners)
                for arg, argument in field.args.items()
                if graphql.is_required_argument(argument)
            }
        passed = []
        for arg, argument in field.args.items():
            variable = f"s{step}_{arg}"
            declared.append(f"${variable}: {argument.type}")
            passed.append(f"{arg}: ${variable}")
            if arg in values:
                variables[variable] = values[arg]
        arguments = f"({', '.join(passed)})" if passed else ""
        if not selection:
            selection = "{ __typename }" if graphql.is_composite_type(named) else ""
        call = f"{name}{arguments} {selection}"
        # The next selection is made on the type that declared this field (through a fragment when abstract).
        if step > 0:
            parent_owner, parent_name = target.path[step - 1]
            parent_type = graphql.get_named_type(_field(schema, parent_owner, parent_name).type)
            selection = f"{{ {call} }}" if parent_type.name == owner else f"{{ ... on {owner} {{ {call} }} }}"
        else:
            selection = f"{{ {call} }}"
    return {
        "query": f"{target.operation} Edge({', '.join(declared)}) {selection}",
        "variables": variables,
    }


# Edge values ------------------------------------------------------------------------------------------------------

DATES = ["0001-01-01", "1899-12-31", "1900-01-01", "2199-12-31", "2200-01-01", "9999-12-31"]
DATETIMES = [
    "0001-01-01T00:00:00+14:00",  # before datetime.min in UTC
    "0001-01-01T00:00:00Z",
    "1899-12-31T23:59:59Z",
    "1900-01-01T00:00:00Z",
    "2199-12-31T23:59:59.999999Z",
    "1900-01-01T00:00:00+14:00",  # the first day as written, 1899 in UTC
    "2199-12-31T23:59:59-14:00",  # the last day as written, 2200 in UTC
    "2200-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",  # after datetime.max in UTC
    "9999-12-31T23:59:59.999999",
]
NINES = "9" * 40
HUGE_NUMBER_TEXTS = ["1e999999", "-1e999999", NINES, f"-{NINES}", "1e-999999", f"0.{'0' * 40}1", "1e29", "-1e29"]
HUGE_FLOATS = [1.7976931348623157e308, -1.7976931348623157e308, 5e-324, 1e300]
ODD_TEXTS = [NINES, "1e999999", "-infinity", "0001-01-01", "9999-12-31T23:59:59-14:00", "[" * 5000]
_SOME_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
CURSORS = [encode_cursor((moment, _SOME_ID)) for moment in DATETIMES] + [
    encode_cursor(("name.asc", NINES, _SOME_ID)),
    encode_cursor((NINES, _SOME_ID)),
    encode_cursor(("1e999999", _SOME_ID)),
]
EDGES: dict[str, list[Any]] = {
    "Date": DATES,
    "DateTime": DATETIMES,
    "Decimal": [*HUGE_NUMBER_TEXTS, *HUGE_FLOATS],
    "Float": HUGE_FLOATS,
    "Int": [2**31 - 1, -(2**31)],
    "String": ODD_TEXTS,
    "ID": ODD_TEXTS[:3],
    "JSON": [{"deep": "x"}],
}
CURSOR_ARGUMENTS = {"after", "before"}


def _edges_for(leaf: Leaf) -> list[Any]:
    if leaf.path[-1] in CURSOR_ARGUMENTS:
        return CURSORS
    named = leaf.named
    if isinstance(named, graphql.GraphQLEnumType) or named.name == "Boolean":
        return []  # GraphQL's own coercion decides these (tests/test_malformed_inputs.py)
    return EDGES[named.name]  # a new scalar needs its edge values here


def _as_leaf_value(leaf: Leaf, value: Any) -> Any:
    return [value] if isinstance(graphql.get_nullable_type(leaf.type), graphql.GraphQLList) else value


def has_edges(leaf: Leaf) -> bool:
    return bool(_edges_for(leaf))


def edge_values(leaf: Leaf) -> list[Any]:
    """The fixed edge values tried at ``leaf`` (wrapped in a list where the leaf is one)."""
    return [_as_leaf_value(leaf, value) for value in _edges_for(leaf)]


_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda minutes: dt.timedelta(minutes=minutes))


def _moment(day: dt.date, seconds: int, offset: dt.timedelta) -> str:
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    return naive.replace(tzinfo=dt.timezone(offset)).isoformat()


_GENERATED: dict[str, st.SearchStrategy[Any]] = {
    "Date": st.dates().map(dt.date.isoformat),
    "DateTime": st.builds(
        _moment, st.dates(max_value=dt.date(9999, 12, 30)), st.integers(min_value=0, max_value=86_399), _OFFSETS
    ),
    "Decimal": st.builds(
        lambda digits, exponent: f"{digits}e{exponent}",
        st.integers(min_value=-(10**40), max_value=10**40),
        st.integers(min_value=-(10**6), max_value=10**6),
    )
    | st.floats(allow_nan=False, allow_infinity=False),
    "Float": st.floats(allow_nan=False, allow_infinity=False),
    "Int": st.integers(min_value=-(2**31), max_value=2**31 - 1),
    "String": st.text(max_size=50) | st.sampled_from(ODD_TEXTS),
    "ID": st.text(max_size=50),
    "JSON": st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=20,
    ),
}
_CURSOR_PARTS = st.lists(
    st.sampled_from([*DATETIMES, *DATES, *HUGE_NUMBER_TEXTS, "name.asc", "arr:USD.desc", str(_SOME_ID)]),
    min_size=1,
    max_size=3,
)


def generated(leaf: Leaf) -> st.SearchStrategy[Any]:
    """More edge values for ``leaf``, drawn by hypothesis: any date, any time in any offset, huge numbers…"""
    if leaf.path[-1] in CURSOR_ARGUMENTS:
        values: st.SearchStrategy[Any] = _CURSOR_PARTS.map(encode_cursor)
    else:
        values = _GENERATED[leaf.named.name]
    return values.map(lambda value: _as_leaf_value(leaf, value))
