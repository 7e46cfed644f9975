"""Malformed values for every mutation argument, found by walking the GraphQL schema (tests/test_malformed_inputs.py).

For a mutation, ``argument_leaves`` lists every scalar or enum an argument reaches (``input.config.measures.key``);
``probe`` builds the variables of a request that is well-typed everywhere except at one leaf, which gets one of
the ``bad_values`` for its type. Each bad value says whether the service must refuse it (``REFUSE``) or may
accept it as valid input (``MAY_ACCEPT``, e.g. an emoji in a title).
"""

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import graphql

Expectation = Literal["refuse", "may_accept"]
REFUSE: Expectation = "refuse"
MAY_ACCEPT: Expectation = "may_accept"

HUGE = 1_000_000  # characters: a 1 MB string, still under the GraphQL body limit


@dataclass(frozen=True)
class Leaf:
    """One scalar or enum inside a mutation's arguments: ``path[0]`` is the argument, the rest input fields."""

    path: tuple[str, ...]
    type: graphql.GraphQLInputType  # with its NonNull/List wrappers

    @property
    def named(self) -> graphql.GraphQLNamedType:
        return graphql.get_named_type(self.type)

    @property
    def label(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class BadValue:
    name: str
    value: Any
    expect: Expectation
    # Refused by GraphQL's own input coercion, the same way wherever it is: tried at one leaf of each type.
    by_graphql: bool = False


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


# Too deep for json.dumps (and for a recursive parser): put in the JSON text by to_json().
VERY_DEEP_PLACEHOLDER = "\u2063very-deep-list\u2063"
VERY_DEEP_JSON = "[" * 5000 + '"x"' + "]" * 5000


def to_json(payload: Any) -> str:
    """``payload`` as JSON text the way a sloppy client writes it: NaN and Infinity bare, lone surrogates escaped."""
    return json.dumps(payload).replace(json.dumps(VERY_DEEP_PLACEHOLDER), VERY_DEEP_JSON)


def _common(leaf: Leaf) -> list[BadValue]:
    if isinstance(leaf.type, graphql.GraphQLNonNull):
        return [BadValue("null for non-null", None, REFUSE, by_graphql=True)]
    return []


# Wrong shapes, refused by GraphQL's coercion wherever they are.
SHAPES = [
    BadValue("object for a scalar", {"nested": {"deep": [1, 2, 3]}}, REFUSE, by_graphql=True),
    BadValue("deeply nested list", _nested(64), REFUSE, by_graphql=True),
    BadValue("list nested 5000 deep", VERY_DEEP_PLACEHOLDER, REFUSE, by_graphql=True),
]


def all_probes(field: graphql.GraphQLField) -> list[tuple["Leaf", BadValue]]:
    """Every (leaf, bad value) pair to try on a mutation: the values its domain must judge at every leaf, those
    GraphQL refuses by type at the first leaf of each type (the wrong shapes at the first leaf of each argument)."""
    leaves = list(argument_leaves(field))
    first_of_type = {str(leaf.type): leaf for leaf in reversed(leaves)}
    first_of_argument = {leaf.path[0]: leaf for leaf in reversed(leaves)}
    return [
        *(
            (leaf, bad)
            for leaf in leaves
            for bad in bad_values(leaf)
            if not bad.by_graphql or first_of_type[str(leaf.type)] is leaf
        ),
        *((leaf, bad) for leaf in first_of_argument.values() for bad in SHAPES),
    ]


_TEXT = [
    BadValue("1 MB string", "x" * HUGE, MAY_ACCEPT),
    BadValue("NUL character", "before\u0000after", REFUSE),
    BadValue("lone surrogate", "\ud800", REFUSE),
    BadValue(
        "exotic text",
        "\U0001f469\u200d\U0001f4bb \u202eevil\u202c \u0645\u0631\u062d\u0628\u0627 '; DROP TABLE x; --",
        MAY_ACCEPT,
    ),
    BadValue("blank", "   ", MAY_ACCEPT),
    BadValue("empty", "", MAY_ACCEPT),
    BadValue("boolean for text", True, REFUSE, by_graphql=True),
]
_INT = [
    BadValue("string for Int", "1", REFUSE, by_graphql=True),
    BadValue("float for Int", 1.5, REFUSE, by_graphql=True),
    BadValue("over 32 bits", 2**31, REFUSE, by_graphql=True),
    BadValue("under 32 bits", -(2**31) - 1, REFUSE, by_graphql=True),
    BadValue("NaN for Int", math.nan, REFUSE, by_graphql=True),
    BadValue("negative", -1, MAY_ACCEPT),
    BadValue("zero", 0, MAY_ACCEPT),
    BadValue("largest Int", 2**31 - 1, MAY_ACCEPT),
]
_FLOAT = [
    BadValue("string for Float", "1.5", REFUSE, by_graphql=True),
    BadValue("NaN", math.nan, REFUSE, by_graphql=True),
    BadValue("Infinity", math.inf, REFUSE, by_graphql=True),
    BadValue("-Infinity", -math.inf, REFUSE, by_graphql=True),
    BadValue("boolean for Float", False, REFUSE, by_graphql=True),
    BadValue("negative", -1.5, MAY_ACCEPT),
    BadValue("largest float", 1.7976931348623157e308, MAY_ACCEPT),
    BadValue("smallest float", 5e-324, MAY_ACCEPT),
]
_DECIMAL = [
    BadValue("NaN text", "NaN", REFUSE),
    BadValue("Infinity text", "Infinity", REFUSE),
    BadValue("-Infinity text", "-Infinity", REFUSE),
    BadValue("huge exponent", "1e99999", REFUSE),
    BadValue("tiny exponent", "1e-99999", REFUSE),
    BadValue("not a number", "twelve", REFUSE, by_graphql=True),
    BadValue("NaN number", math.nan, REFUSE),
    BadValue("negative", "-1", MAY_ACCEPT),
    BadValue("many digits", "123456789012.123456789", MAY_ACCEPT),
]
_DATE = [
    BadValue("February 30", "2026-02-30", REFUSE, by_graphql=True),
    BadValue("month 13", "2026-13-01", REFUSE, by_graphql=True),
    BadValue("not a date", "next tuesday", REFUSE, by_graphql=True),
    BadValue("number for Date", 20260101, REFUSE, by_graphql=True),
    BadValue("year 10000", "10000-01-01", REFUSE, by_graphql=True),
    # Outside the supported calendar (service.input_bounds), refused by the scalar wherever it is.
    BadValue("year 1", "0001-01-01", REFUSE, by_graphql=True),
    BadValue("day before the calendar", "1899-12-31", REFUSE, by_graphql=True),
    BadValue("day after the calendar", "2200-01-01", REFUSE, by_graphql=True),
    BadValue("year 9999", "9999-12-31", REFUSE, by_graphql=True),
    BadValue("first day of the calendar", "1900-01-01", MAY_ACCEPT),
    BadValue("last day of the calendar", "2199-12-31", MAY_ACCEPT),
]
_DATETIME = [
    BadValue("February 30", "2026-02-30T10:00:00+00:00", REFUSE, by_graphql=True),
    BadValue("hour 25", "2026-01-01T25:00:00+00:00", REFUSE, by_graphql=True),
    BadValue("not a time", "tomorrow at noon", REFUSE, by_graphql=True),
    BadValue("number for DateTime", 1767225600, REFUSE, by_graphql=True),
    BadValue("year 1", "0001-01-01T00:00:00+00:00", REFUSE, by_graphql=True),
    BadValue("year 1 east of UTC", "0001-01-01T00:00:00+14:00", REFUSE, by_graphql=True),  # before datetime.min in UTC
    BadValue("year 9999", "9999-12-31T23:59:59+00:00", REFUSE, by_graphql=True),
    BadValue("year 9999 west of UTC", "9999-12-31T23:59:59-14:00", REFUSE, by_graphql=True),  # after datetime.max
    BadValue("2200 in UTC, 2199 as written", "2199-12-31T23:59:59-14:00", REFUSE, by_graphql=True),
    BadValue("last moment of the calendar", "2199-12-31T23:59:59.999999+00:00", MAY_ACCEPT),
    BadValue("no time zone", "2030-01-01T00:00:00", MAY_ACCEPT),
]
_BOOLEAN = [
    BadValue("string for Boolean", "true", REFUSE, by_graphql=True),
    BadValue("number for Boolean", 1, REFUSE, by_graphql=True),
]
_UNKNOWN_ID = BadValue(
    "id of nothing", "QWNjb3VudDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA", REFUSE
)  # Account:0…0
_ID = [
    BadValue("float for ID", 1.5, REFUSE, by_graphql=True),
    BadValue("garbage id", "not-an-id", REFUSE),
    _UNKNOWN_ID,
    BadValue("NUL in id", "QWNj\u0000", REFUSE),
    BadValue("1 MB id", "Q" * HUGE, REFUSE),
]
_ENUM = [
    BadValue("unknown enum value", "NOT_A_VALUE", REFUSE, by_graphql=True),
    BadValue("number for enum", 1, REFUSE, by_graphql=True),
]
_BY_TYPE = {
    "String": _TEXT,
    "Int": _INT,
    "Float": _FLOAT,
    "Decimal": _DECIMAL,
    "Date": _DATE,
    "DateTime": _DATETIME,
    "Boolean": _BOOLEAN,
    "ID": _ID,
}


def bad_values(leaf: Leaf) -> list[BadValue]:
    named = leaf.named
    if isinstance(named, graphql.GraphQLEnumType):
        specific = _ENUM
    elif named.name == "JSON":
        specific = []  # any JSON value is a JSON value; the common ones still must not crash anything
    else:
        specific = _BY_TYPE[named.name]  # a new scalar needs its bad values here
    wrapped = graphql.get_nullable_type(leaf.type)
    if isinstance(wrapped, graphql.GraphQLList):
        # A list leaf gets each bad value as its one element, plus a bare scalar where a list belongs.
        # An id list may act as a filter (recomputeHealth scores "these accounts"): an unknown id may be skipped.
        return [
            *(
                BadValue(f"[{v.name}]", [v.value], MAY_ACCEPT if v is _UNKNOWN_ID else v.expect, v.by_graphql)
                for v in specific
            ),
            BadValue("list of nulls", [None, None], REFUSE if _item_required(wrapped) else MAY_ACCEPT, True),
            *_common(leaf),
        ]
    return [*specific, *_common(leaf)]


def _item_required(list_type: graphql.GraphQLList[Any]) -> bool:
    return isinstance(list_type.of_type, graphql.GraphQLNonNull)


# Walking the arguments ------------------------------------------------------------------------------------------


def argument_leaves(field: graphql.GraphQLField) -> Iterator[Leaf]:
    for name, argument in field.args.items():
        yield from _leaves((name,), argument.type, seen=())


def _leaves(path: tuple[str, ...], type_: graphql.GraphQLInputType, seen: tuple[str, ...]) -> Iterator[Leaf]:
    named = graphql.get_named_type(type_)
    if isinstance(named, graphql.GraphQLInputObjectType):
        if named.name in seen:  # a recursive input: one level is enough
            return
        for name, field in named.fields.items():
            yield from _leaves((*path, name), field.type, (*seen, named.name))
    else:
        yield Leaf(path, type_)


@dataclass(frozen=True)
class Ids:
    """A real global id per type name (``Account``, ``Goal``…), so that probes get past the id lookups."""

    by_type: dict[str, str]

    def for_field(self, field_name: str, owner_types: list[str]) -> str:
        lowered = field_name.lower().removesuffix("ids").removesuffix("id")
        for type_name, value in self.by_type.items():
            if lowered and lowered.endswith(type_name.lower()):
                return value
        for type_name in owner_types:  # a bare `id`: the type the mutation returns
            if type_name in self.by_type:
                return self.by_type[type_name]
        return self.by_type["Account"]


def baseline(type_: graphql.GraphQLInputType, field_name: str, ids: Ids, owners: list[str]) -> Any:
    """A valid value of ``type_``: required input fields filled, optional ones left out, lists of one."""
    nullable = graphql.get_nullable_type(type_)
    if isinstance(nullable, graphql.GraphQLList):
        return [baseline(nullable.of_type, field_name, ids, owners)]
    if isinstance(nullable, graphql.GraphQLInputObjectType):
        return {
            name: baseline(field.type, name, ids, owners)
            for name, field in nullable.fields.items()
            if graphql.is_required_input_field(field)
        }
    if isinstance(nullable, graphql.GraphQLEnumType):
        return next(iter(nullable.values))
    scalars: dict[str, Any] = {
        "String": "fuzz",
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "Decimal": "1",
        "Date": "2026-06-15",
        "DateTime": "2030-01-01T00:00:00+00:00",
        "JSON": {},
    }
    if nullable.name == "ID":
        return ids.for_field(field_name, owners)
    return scalars[nullable.name]


def _with_value(current: Any, type_: graphql.GraphQLInputType, path: tuple[str, ...], value: Any, fill: Any) -> Any:
    """``current`` with ``value`` put at ``path`` (input field names; lists are entered at their one item)."""
    nullable = graphql.get_nullable_type(type_)
    if isinstance(nullable, graphql.GraphQLList):
        if not path:
            return value
        item = current[0] if current else fill(nullable.of_type, path[0])
        return [_with_value(item, nullable.of_type, path, value, fill)]
    if not path:
        return value
    assert isinstance(nullable, graphql.GraphQLInputObjectType)
    field = nullable.fields[path[0]]
    inner = current.get(path[0]) if current.get(path[0]) is not None else fill(field.type, path[0])
    return {**current, path[0]: _with_value(inner, field.type, path[1:], value, fill)}


def probe(mutation: graphql.GraphQLField, leaf: Leaf, value: Any, ids: Ids, owners: list[str]) -> dict[str, Any]:
    """The variables of a request: every argument at its baseline, ``value`` at ``leaf``."""
    variables = {
        name: baseline(argument.type, name, ids, owners)
        for name, argument in mutation.args.items()
        if graphql.is_required_argument(argument)
    }
    argument = mutation.args[leaf.path[0]]

    def fill(type_: graphql.GraphQLInputType, name: str) -> Any:
        return baseline(graphql.get_nullable_type(type_), name, ids, owners)  # type: ignore[arg-type]

    current = variables.get(leaf.path[0])
    if current is None:
        current = fill(argument.type, leaf.path[0])
    variables[leaf.path[0]] = _with_value(current, argument.type, leaf.path[1:], value, fill)
    return variables


def document(name: str, mutation: graphql.GraphQLField) -> str:
    """``mutation($a: T, …) { name(a: $a, …) { __typename …refusal fields } }`` over every argument."""
    declared = ", ".join(f"${arg}: {argument.type}" for arg, argument in mutation.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in mutation.args)
    result = graphql.get_named_type(mutation.type)
    assert isinstance(result, graphql.GraphQLUnionType), f"{name} should return a result union"
    refusals = " ".join(
        f"... on {member.name} {{ {' '.join(f for f in ('code', 'message', 'field') if f in member.fields)} }}"
        for member in result.types[1:]
    )
    return f"mutation Probe({declared}) {{ {name}({passed}) {{ __typename {refusals} }} }}"
