"""The planner: one root field's whole selection as one SQL statement whose JSON PostgreSQL builds.

It walks the selection as graphql-core's executor would — the same field collection (fragments, inline
fragments, ``@include``/``@skip``, merged fields, aliases) and the same coerced arguments, converted to the
resolvers' own argument types by strawberry — and asks each type's declaration (``service.compiled.types``)
for the SQL of each field. What it cannot compile raises ``NotCompiled`` with the reason: that root then runs
through the resolvers, exactly as before.

Access is part of the plan: the operations of the authorization matrix a selection reaches are collected and
checked before the statement runs (a refusal falls back, and the resolvers raise the error they always do);
fields masked for the caller's role become ``•••`` in SQL (``service.graphql.pii``).
"""

import datetime as dt
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
)
from graphql.execution.collect_fields import FieldDetails
from sqlalchemy.sql.util import ClauseAdapter

from service.api_keys.roles import Role
from service.compiled import json_sql
from service.compiled.bindings import (
    STRAWBERRY_DEFINITION,
    Arguments,
    KeyPart,
    Late,
    argument_values,
    argument_variables,
)
from service.errors import InvalidInput
from service.graphql.authorization import Authorize
from service.graphql.pii import MASK, Masked

if TYPE_CHECKING:
    from service.compiled.executor import CompilingExecutor

FieldDetailsList = list[FieldDetails]
REQUEST_NOW = "request_now"  # the parameter every statement gets: the request's time


class NotCompiled(Exception):
    """The selection has something the planner does not compile; the reason is logged with the fallback."""


@contextmanager
def refused_by_resolver() -> Iterator[None]:
    """Arguments the resolver's own parsing refuses (``InvalidInput``) are not compiled: the root falls back and
    the resolver answers with its error."""
    try:
        yield
    except InvalidInput as refused:
        raise NotCompiled(f"the resolver refuses the arguments: {refused}") from None


@dataclass(frozen=True, slots=True)
class Row:
    """The SQL row a type's fields read: aliases of the type's table (and of the tables it joins)."""

    alias: sa.FromClause | None
    adapters: tuple[ClauseAdapter, ...] = ()
    values: Mapping[str, sa.ColumnElement[Any]] = field(default_factory=dict)  # a value object's parts
    # Rule rows several fields of the object over this row read (``Call.figure``), each with its join condition:
    # the object joins each once (``Planner.object``).
    figures: dict[Hashable, tuple[sa.FromClause, sa.ColumnElement[bool]]] = field(default_factory=dict)

    @classmethod
    def of(cls, alias: sa.FromClause, *more: sa.FromClause) -> "Row":
        return cls(alias, tuple(ClauseAdapter(a) for a in (alias, *more)))

    @classmethod
    def value(cls, **parts: sa.ColumnElement[Any]) -> "Row":
        """A value object (``Money``…) made of SQL expressions, not a table row."""
        return cls(None, (), parts)

    def adapt(self, expression: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """An expression written over the base tables, over this row's aliases instead."""
        if isinstance(expression, sa.ColumnClause):  # most are plain columns: looked up, not traversed
            for adapter in self.adapters:
                aliased = adapter.selectable
                if isinstance(aliased, sa.Alias) and aliased.element is expression.table:
                    column: sa.ColumnElement[Any] = aliased.c[expression.key]
                    return column
                found = aliased.corresponding_column(expression)
                if found is not None:
                    return found
        for adapter in self.adapters:
            expression = adapter.traverse(expression)
        return expression

    def c(self, name: str) -> sa.ColumnElement[Any]:
        assert self.alias is not None
        return self.alias.c[name]


@dataclass(slots=True)
class Plan:
    """What one compiled root needs besides its statement: the operations to authorize first, the variables
    that shaped it (``read``, ``shapes``: its key) and its late parameters (``service.compiled.bindings``)."""

    operations: set[str] = field(default_factory=set)
    aliases: int = 0
    read: set[str] = field(default_factory=set)
    shapes: list[Late] = field(default_factory=list)
    late: list[Late] = field(default_factory=list)

    def key_parts(self, always: frozenset[str]) -> tuple[KeyPart, ...]:
        return (*sorted(self.read | always), *self.shapes)

    def name(self, base: str) -> str:
        """A name no other alias of the statement has."""
        self.aliases += 1
        return f"{base[:20]}_{self.aliases}"

    def alias(self, table: sa.FromClause) -> sa.FromClause:
        name = self.name(getattr(table, "name", None) or "t")
        if not isinstance(table, sa.Table):
            return table.alias(name)
        # An alias of a table is immutable and means the same in every statement: made (with its columns) once.
        key = (table, name)
        if key not in _TABLE_ALIASES:
            _TABLE_ALIASES[key] = table.alias(name)
        return _TABLE_ALIASES[key]


_TABLE_ALIASES: dict[tuple[sa.Table, str], sa.FromClause] = {}  # bounded: tables × the aliases one plan numbers


@dataclass(frozen=True, slots=True)
class Call:
    """One field of the selection being compiled: where it reads from, its arguments, its sub-selection."""

    planner: "Planner"
    row: Row
    parent: GraphQLObjectType
    definition: GraphQLField
    details: FieldDetailsList
    args: Mapping[str, Any]

    @property
    def today(self) -> dt.date:
        return self.planner.today

    @property
    def now(self) -> sa.ColumnElement[dt.datetime]:
        """The request's time (``loaders.now``), as the resolvers' time-dependent rules see it: a parameter
        bound when the statement runs (``REQUEST_NOW``), so a kept plan never carries an old time."""
        return sa.bindparam(REQUEST_NOW, type_=sa.DateTime(timezone=True))

    def alias(self, table: sa.FromClause) -> sa.FromClause:
        return self.planner.plan.alias(table)

    def late(self, name: str, convert: Callable[[Any], Any], type_: Any) -> sa.BindParameter[Any]:
        """The argument ``name``, converted the resolver's way, as a parameter bound each time the statement
        runs: the plan serves every value of the variables it comes from. ``convert`` raising InvalidInput
        refuses the value (the root falls back, and the resolver raises its error)."""
        value = self._convert(name, convert)
        if not self._given_by_variables(name):
            return sa.bindparam(None, value, type_=type_)
        plan = self.planner.plan
        key = f"late_{len(plan.late) + 1}"
        plan.late.append(Late(key, self.definition, self.details[0], name, convert))
        return sa.bindparam(key, value, type_=type_)

    def late_shape(self, name: str, convert: Callable[[Any], Any]) -> Any:
        """What the plan takes from the argument ``name`` beside its late parameters (say, the type of a global
        id): ``convert(argument)``, made part of the plan's key instead of the argument itself."""
        shape = self._convert(name, convert)
        if self._given_by_variables(name):
            self.planner.plan.shapes.append(Late("", self.definition, self.details[0], name, convert))
        return shape

    def _convert(self, name: str, convert: Callable[[Any], Any]) -> Any:
        args = self.args
        with refused_by_resolver():
            return convert(args.peek(name) if isinstance(args, Arguments) else args.get(name))

    def _given_by_variables(self, name: str) -> bool:
        return isinstance(self.args, Arguments) and self.args.given_by_variables(name)

    def object(self, row: Row, type_name: str | None = None) -> sa.ColumnElement[Any]:
        """This field's sub-selection over ``row``, as a JSON object of the field's (or the named) type."""
        return self.planner.object(
            self.planner.object_type(type_name or _named(self.definition.type)), row, self.details
        )

    def scalar(self, value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """A column value as this field's scalar or enum type prints it."""
        return scalar_json(value, self.definition.type)

    def figure(self, key: Hashable, rule: Callable[[], sa.Select[Any]]) -> sa.FromClause:
        """The rows of a per-account rule (``account_id`` and its figures, one row per account) for the row's
        account, shared by every field of the object that asks for the same ``key``: the object joins them once
        (``Planner.object``), where a subquery per field would compute the rule again for each."""
        found = self.row.figures.get(key)
        if found is None:
            rows = rule().subquery(self.planner.plan.name(str(key[0]) if isinstance(key, tuple) else "figure"))
            found = (rows, rows.c.account_id == self.row.c("id"))
            self.row.figures[key] = found
        return found[0]


FieldSql = Callable[[Call], sa.ColumnElement[Any]]


@dataclass(frozen=True, slots=True)
class ObjectSql:
    """How one GraphQL object type's fields read from its row."""

    fields: dict[str, FieldSql]


class Planner:
    def __init__(self, executor: "CompilingExecutor", today: dt.date, role: Role | None) -> None:
        from service.compiled.types import OBJECTS  # the declarations import this module

        self.executor = executor
        self.objects = OBJECTS
        self.today = today
        self.role = role
        self.plan = Plan()

    def object_type(self, name: str) -> GraphQLObjectType:
        found = self.executor.schema.get_type(name)
        if not isinstance(found, GraphQLObjectType):
            raise NotCompiled(f"{name} is not an object type")
        return found

    def arguments(self, definition: GraphQLField, details: FieldDetails) -> Arguments:
        """The field's arguments as its resolver receives them (coerced, then strawberry's types); reading one
        makes the variables it was given from part of the plan's key."""
        values = argument_values(self.executor, definition, details)
        if details.fragment_variable_values is not None:  # fragment arguments: every variable shapes the plan
            self.plan.read.update(self.executor.variable_values.coerced)
        return Arguments(values, argument_variables(self.executor, definition, details), self.plan.read)

    def object(self, object_type: GraphQLObjectType, row: Row, details: FieldDetailsList) -> sa.ColumnElement[Any]:
        """The sub-selection of ``details`` on ``object_type`` as a JSON object over ``row``. When its fields read
        shared rule rows (``Call.figure``), the object is a subquery over them, each left-joined once."""
        declared = self.objects.get(object_type.name)
        if declared is None:
            raise NotCompiled(f"{object_type.name} has no SQL declaration")
        before = set(row.figures)
        built = self.selection(
            object_type, details, lambda name, found: self.field(object_type, declared, name, row, found)
        )
        mine = [key for key in row.figures if key not in before]
        if not mine:
            return built
        source: sa.FromClause = sa.select(sa.literal(1).label("one")).subquery(self.plan.name("single"))
        for key in mine:
            rows, condition = row.figures.pop(key)
            source = source.outerjoin(rows, condition)
        return json_sql.scalar(sa.select(built).select_from(source), source)

    def selection(
        self,
        object_type: GraphQLObjectType,
        details: FieldDetailsList,
        value: Callable[[str, FieldDetailsList], sa.ColumnElement[Any]],
    ) -> sa.ColumnElement[Any]:
        """A JSON object of the selection on ``object_type``, in its order: each response key's ``value(field
        name, its field details)``; ``__typename`` is the type's name."""
        grouped = self.executor.collect_subfields(object_type, details).grouped_field_set
        pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
        for response_name, field_details in grouped.items():
            name = field_details[0].node.name.value
            found = json_sql.text(object_type.name) if name == "__typename" else value(name, field_details)
            pairs.append((response_name, found))
        return json_sql.obj(pairs)

    def field(
        self, parent: GraphQLObjectType, declared: ObjectSql, name: str, row: Row, details: FieldDetailsList
    ) -> sa.ColumnElement[Any]:
        compile_field = declared.fields.get(name)
        if compile_field is None:
            raise NotCompiled(f"{parent.name}.{name} is not compiled")
        definition = parent.fields[name]
        masked = self.access(parent.name, name, definition)
        value = compile_field(Call(self, row, parent, definition, details, self.arguments(definition, details[0])))
        if masked:
            kind = _nullable(definition.type)
            if isinstance(kind, GraphQLList):
                if isinstance(_nullable(kind.of_type), GraphQLList):
                    raise NotCompiled(f"{parent.name}.{name}: a masked list of lists")
                return json_sql.masked_items(value, MASK)
            return sa.case((value.is_(None), sa.null()), else_=json_sql.text(MASK))
        return value

    def access(self, type_name: str, name: str, definition: GraphQLField) -> bool:
        """Collect the field's authorization; True when the caller's role sees it masked."""
        strawberry_field = definition.extensions.get(STRAWBERRY_DEFINITION)
        masked = False
        for extension in getattr(strawberry_field, "extensions", ()):
            if isinstance(extension, Authorize):
                self.plan.operations.add(extension.operation)
            elif isinstance(extension, Masked):
                masked = self.role is not None and self.role in extension.roles
            elif type(extension).__name__ not in _HARMLESS_EXTENSIONS:
                raise NotCompiled(f"{type_name}.{name} has the field extension {type(extension).__name__}")
        return masked


# Field extensions whose effect the plan reproduces (or that only act on input).
_HARMLESS_EXTENSIONS = frozenset({"Authorize", "Masked"})


def _nullable(kind: GraphQLOutputType) -> GraphQLOutputType:
    return kind.of_type if isinstance(kind, GraphQLNonNull) else kind


def _named(kind: GraphQLOutputType) -> str:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind.name


def scalar_json(value: sa.ColumnElement[Any], kind: GraphQLOutputType) -> sa.ColumnElement[Any]:
    """A column as the scalar or enum ``kind`` serializes it in a response."""
    named = _nullable(kind)
    if isinstance(named, GraphQLEnumType):
        stored = {
            str(v.value.value if isinstance(v.value, Enum) else v.value): name for name, v in named.values.items()
        }
        return json_sql.enum_name(value, stored)
    if not isinstance(named, GraphQLScalarType):
        raise NotCompiled(f"{named} is not a scalar")
    printer = _SCALARS.get(named.name)
    if printer is None:
        raise NotCompiled(f"the scalar {named.name}")
    return printer(value)


def _same(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return value


_SCALARS: dict[str, Callable[[sa.ColumnElement[Any]], sa.ColumnElement[Any]]] = {
    "String": _same,
    "Int": _same,
    "Boolean": _same,
    "Float": json_sql.python_float,
    "ID": _same,
    "DateTime": json_sql.iso_datetime,
    "Date": json_sql.json_date,
    "Decimal": json_sql.decimal_text,
}
