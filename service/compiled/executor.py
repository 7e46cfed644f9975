"""The executor that runs compiled roots: graphql-core's (with the response budget), but a query's root field
whose selection the planner compiles is one statement, and its JSON text goes into the response unparsed.

Everything before execution is unchanged — parsing, validation, the operation limits and the cost estimate
— and so is everything the resolvers do for the roots that are not compiled. A compiled root that cannot run
(the planner refuses part of it, a check refuses the caller, the statement fails) falls back to its resolver
for that root only, so errors are the resolvers' own. Fallbacks are counted per operation and logged.

The response budget holds for compiled roots too: the list items of the JSON are counted when the text is
long enough to hold more than the budget left (each item takes at least two characters), and the byte cap
applies when the response is encoded (``service.graphql.encoding`` splices ``RawJson``).
"""

import json
import logging
from collections.abc import Awaitable, Hashable
from typing import Any, NamedTuple

import sqlalchemy as sa
from graphql import GraphQLObjectType
from graphql.execution.collect_fields import FieldDetails, collect_fields
from graphql.pyutils import Path

from service.authorization import authorize
from service.compiled.bindings import directive_variables, key_values
from service.compiled.literals import document_values, inline_constants, request_values
from service.compiled.planner import REQUEST_NOW, Call, NotCompiled, Planner, Row, refused_by_resolver
from service.compiled.roots import CALLER_SHAPES, ROOTS
from service.compiled.statements import Planned, Sent, Shape, refusal_key, statements
from service.db.driver import fetch_value
from service.errors import DatabaseUnavailable, InvalidInput
from service.graphql.encoding import RawJson
from service.graphql.response_budget import BudgetedExecutor, ResponseTooLarge

log = logging.getLogger("cshub.compiled")


def list_items(value: Any) -> int:
    """List items in a JSON value, at every depth (what the response budget counts)."""
    if isinstance(value, list):
        return len(value) + sum(list_items(item) for item in value)
    if isinstance(value, dict):
        return sum(list_items(item) for item in value.values())
    return 0


def _sent_names(sent: Any) -> tuple[str, ...]:
    """The names of the parameters a statement was sent with, in order. A list expanded into one parameter
    per item (``IN``) has its items' names instead — in its place, or, where parameters are numbered
    (asyncpg's ``$1``), after all the others, as SQLAlchemy numbers them."""
    compiled = sent.compiled
    expanded: dict[str, list[str]] = getattr(sent, "_expanded_parameters", None) or {}
    names = compiled._pre_expanded_positiontup or compiled.positiontup or ()
    if not expanded:
        return tuple(names)
    if compiled._numeric_binds:
        return (
            *(name for name in names if name not in expanded),
            *(item for name in names if name in expanded for item in expanded[name]),
        )
    return tuple(item for name in names for item in expanded.get(name, (name,)))


def shape_role(context: Any) -> Any:
    """The caller's role, part of every plan's shape (masking and checks depend on it)."""
    return getattr(context.principal, "role", None)


class RootField(NamedTuple):
    """A root field as graphql-core's ``execute_field`` receives it."""

    parent_type: GraphQLObjectType
    source: Any
    field_details_list: list[FieldDetails]
    path: Path
    position_context: Any

    @property
    def name(self) -> str:
        return self.field_details_list[0].node.name.value


class CompilingExecutor(BudgetedExecutor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compiling = bool(getattr(self.context_value, "compiled_reads", False))

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: list[FieldDetails],
        path: Path,
        position_context: Any,
    ) -> Any:
        if (
            path.prev is None
            and self.compiling
            and self.operation.operation.value == "query"
            and field_details_list[0].node.name.value in ROOTS
            and not self.exceeded
        ):
            return self._compiled(RootField(parent_type, source, field_details_list, path, position_context))
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    async def _compiled(self, at: "RootField") -> Any:
        context = self.context_value
        try:
            key, planned = self._planned(at)
            if isinstance(planned, Planned) and planned.statement is None:
                raise NotCompiled(planned.refused)
            for operation in planned.operations:
                await authorize(context.principal, operation)
            if isinstance(planned, Sent):
                text = await self._sent_text(planned)
            else:
                assert planned.statement is not None
                with refused_by_resolver():
                    late = {parameter.key: parameter.value(self) for parameter in planned.late}
                async with context.read() as conn:
                    # One statement, its own snapshot: no transaction around it (no BEGIN and ROLLBACK round trips).
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    result = await conn.execute(planned.statement, {REQUEST_NOW: context.loaders.now, **late})
                    self._keep_as_sent(key, planned, result, late)
                    text = result.scalar_one()
        except ResponseTooLarge:
            raise
        except DatabaseUnavailable as refused:  # a statement timeout too: the resolvers would meet it as well
            self.handle_field_error(refused, at.parent_type.fields[at.name].type, at.field_details_list, at.path)
            return None
        except Exception as reason:  # anything else: the resolvers answer this root, with their own errors
            return await self._fall_back(reason, at)
        return self._budgeted(text)

    async def _sent_text(self, planned: Sent) -> str | None:
        """Run a kept statement with this request's time and late values (``NotCompiled``: one is refused)."""
        context = self.context_value
        with refused_by_resolver():
            parameters = planned.bound(context.loaders.now, self)
        async with context.read() as conn:  # one statement, no transaction: straight through the driver
            text: str | None = await fetch_value(conn, planned.sql, parameters)
            return text

    async def answer_directly(self) -> dict[str, Any] | None:
        """The data of this query when every root field's statement is kept as sent (``Sent``), run now without
        graphql-core executing anything; None when a root needs the executor — not a compiled root, no kept
        statement for these variables yet, a check or a late value refused, the statement failed, the response
        budget reached — and the caller then executes the operation as usual (only reads have run)."""
        root_type = self.schema.query_type
        if not self.compiling or self.operation.operation.value != "query" or root_type is None:
            return None
        try:
            collected = collect_fields(
                self.schema, self.fragments, self.variable_values, root_type, self.operation, self.hide_suggestions
            )
        except RecursionError:
            return None
        kept: list[tuple[str, Sent]] = []
        for response_name, details in collected.grouped_field_set.items():
            at = RootField(root_type, None, details, Path(None, response_name, root_type.name), None)
            shape = self._shape(at) if at.name in ROOTS else None
            found = self._kept(shape) if shape is not None else None
            if found is None or not isinstance(found[1], Sent):
                return None
            kept.append((response_name, found[1]))
        data: dict[str, Any] = {}
        try:
            for _, sent in kept:
                for operation in sent.operations:
                    await authorize(self.context_value.principal, operation)
            for response_name, sent in kept:
                data[response_name] = self._budgeted(await self._sent_text(sent))
                if self.exceeded:
                    return None
        except DatabaseUnavailable as failed:  # the executor answers with this error, without waiting for it again
            self.context_value.loaders.reads.fail_with(failed)
            return None
        except Exception:  # the executor answers instead, with its own errors and fallbacks
            return None
        return data

    def _planned(self, at: "RootField") -> tuple[Hashable | None, Planned | Sent]:
        """The root's statement (and its key in the cache), from the cache or planned now. A plan is kept under
        the values of the variables it read; a refusal under every variable."""
        context = self.context_value
        shape = self._shape(at)
        if shape is None:
            return None, self._plan(at, shape_role(context), context.loaders.today)
        if (found := self._kept(shape)) is not None:
            return found
        cache = statements(context.settings.graphql_statement_cache_size)
        planned = self._plan(at, shape[3], shape[4])
        if planned.statement is None:
            refused = refusal_key(shape, self.variable_values.coerced)
            cache.put(refused, planned)
            return refused, planned
        key = (shape, planned.key_parts, key_values(planned.key_parts, self))
        cache.add_key_parts(shape, planned.key_parts)
        cache.put(key, planned)
        return key, planned

    def _shape(self, at: "RootField") -> Shape | None:
        """What the root's plans are kept under besides the variables: None for a document without its text."""
        location = self.operation.loc
        if location is None:
            return None
        context = self.context_value
        operation_name = self.operation.name.value if self.operation.name else None
        caller = CALLER_SHAPES[at.name](context.principal) if at.name in CALLER_SHAPES else None
        return (
            location.source.body,
            operation_name,
            str(at.path.key),
            shape_role(context),
            context.loaders.today,
            caller,
        )

    def _kept(self, shape: Shape) -> tuple[Hashable, Planned | Sent] | None:
        """The plan kept for ``shape`` and this request's values of what it read, or the refusal kept for
        exactly these variables; None when neither is kept."""
        cache = statements(self.context_value.settings.graphql_statement_cache_size)
        for parts in cache.key_parts(shape):
            try:
                key: Hashable = (shape, parts, key_values(parts, self))
            except InvalidInput:  # a late argument's shape the resolver refuses: no plan has it
                continue
            if (found := cache.get(key)) is not None:
                return key, found
        refused = refusal_key(shape, self.variable_values.coerced)
        if (found := cache.get(refused)) is not None:
            return refused, found
        return None

    def _keep_as_sent(self, key: Hashable | None, planned: Planned, result: Any, late_values: dict[str, Any]) -> None:
        """Keep the statement as the SQL text and parameters just sent (``Sent``), when its parameters' names are
        known: the request's time and each late parameter (``late_values``) where the names say they were sent."""
        sent = result.context
        names = _sent_names(sent)
        parameters = tuple(sent.parameters[0]) if len(sent.parameters) == 1 else ()
        late = {parameter.key: parameter for parameter in planned.late}
        now_at = tuple(index for index, name in enumerate(names) if name == REQUEST_NOW)
        late_at = tuple((index, late[name]) for index, name in enumerate(names) if name in late)
        known = (
            len(names) == len(parameters)
            and {parameter.key for _, parameter in late_at} == late.keys()
            and all(parameters[index] == self.context_value.loaders.now for index in now_at)
            and all(parameters[index] == late_values[parameter.key] for index, parameter in late_at)
        )
        if key is None or not known:
            log.warning("compiled statement not kept: its parameters are not known by name", extra={"key": str(key)})
            return
        cache = statements(self.context_value.settings.graphql_statement_cache_size)
        cache.put(key, self._inlined(Sent(sent.statement, parameters, now_at, planned.operations, late_at)))

    def _inlined(self, sent: Sent) -> Sent:
        """``sent`` with the plan's constants written into its text (``literals``): the request's time, its late
        values and whatever value the request gave stay parameters."""
        kept = {*sent.now_at, *(index for index, _ in sent.late_at)}
        nodes = (self.operation, *self.fragment_definitions.values())
        given = request_values([*self.variable_values.coerced.values(), *document_values(nodes)])
        inlined = inline_constants(sent.sql, sent.parameters, kept, given)
        if inlined is None:
            return sent
        sql, parameters, moved = inlined
        now_at = tuple(moved[index] for index in sent.now_at)
        late_at = tuple((moved[index], late) for index, late in sent.late_at)
        return Sent(sql, parameters, now_at, sent.operations, late_at)

    def _plan(self, at: "RootField", role: Any, today: Any) -> Planned:
        parent_type, field_details_list, name = at.parent_type, at.field_details_list, at.name
        planner = Planner(self, today, role)
        definition = parent_type.fields[name]
        try:
            arguments = planner.arguments(definition, field_details_list[0])
            call = Call(planner, Row(None), parent_type, definition, field_details_list, arguments)
            planner.access(parent_type.name, name, definition)
            value = ROOTS[name](call)
        except NotCompiled as refused:
            return Planned(None, (), str(refused))
        plan = planner.plan
        return Planned(
            sa.select(sa.cast(value, sa.Text)),
            tuple(sorted(plan.operations)),
            key_parts=plan.key_parts(directive_variables((self.operation, *self.fragment_definitions.values()))),
            late=tuple(plan.late),
        )

    def _budgeted(self, text: str | None) -> RawJson | None:
        if text is None:
            return None
        # Each list item but the first of its list follows a comma: fewer commas and brackets than the rows left
        # mean the text cannot hold too many (commas inside strings only make the bound looser).
        if text.count(",") + text.count("[") > self.max_rows - self.rows:
            self.rows += list_items(json.loads(text))
            if self.rows > self.max_rows:
                self.exceeded = True
                return None
        return RawJson(text)

    async def _fall_back(self, reason: Exception, at: "RootField") -> Any:
        why = str(reason) if isinstance(reason, NotCompiled) else f"{type(reason).__name__}: {reason}"
        operation = self.operation.name.value if self.operation.name else None
        # A statement PostgreSQL refused is a planner bug (warning); a selection it does not cover is expected.
        level = logging.INFO if isinstance(reason, NotCompiled) else logging.WARNING
        details = {"operation": operation, "field": at.name, "reason": why}
        log.log(level, "compiled read fell back to resolvers", extra=details)
        result = super().execute_field(*at)
        if isinstance(result, Awaitable):
            return await result
        return result
