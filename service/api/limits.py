"""Operation limits: documents too long, too deep, too aliased or too costly are refused before they run.

Each limit answers a GraphQL request error with a stable ``extensions.code`` and the limit it hit (HTTP 400
with ``application/graphql-response+json``), and nothing executes — no resolver, no SQL:

    TOO_MANY_TOKENS     CSHUB_GRAPHQL_MAX_TOKENS     lexical tokens, comments included (checked while parsing)
    QUERY_TOO_DEEP      CSHUB_GRAPHQL_MAX_DEPTH      fields nested in fields
    TOO_MANY_ALIASES    CSHUB_GRAPHQL_MAX_ALIASES    aliased fields, fragments expanded
    TOO_MANY_FIELDS     CSHUB_GRAPHQL_MAX_FIELDS     field selections, fragments expanded (duplicates count)
    QUERY_TOO_COMPLEX   CSHUB_GRAPHQL_MAX_COST       the cost estimate of ``service.api.measure``

Depth, aliases and cost are checked before the standard validation rules run, so a hostile document cannot
make validation itself expensive (overlapping-fields checks are quadratic in the fields of a selection).
The field limit keeps that check inside graphql-core's own budget, which otherwise gives up with a bare
"Validation aborted." (1,000 copies of ``__typename`` did); should a document under a raised limit still
exhaust it, the answer is QUERY_TOO_COMPLEX with a message saying why.
The limits apply to the operation that will run, so a document holding several operations and no
``operationName`` is refused first (``OPERATION_RESOLUTION_FAILURE``, as GraphQL's GetOperation() says;
strawberry alone would run the first one).

The estimate prices lists by their rules in ``service.api.prices``; what a response really holds is capped
while it is built and encoded (``service.graphql.response_budget``, ``service.graphql.encoding``).
"""

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from service.api.measure import Measurement, TooDeep, measure
from service.api.prices import Pricing
from service.graphql.document_cache import remember
from service.graphql.relay import DEFAULT_PAGE_SIZE
from service.settings import Settings

_DEFAULT_SETTINGS = Settings.model_construct()  # field defaults only; reads no environment
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class OperationLimits:
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_fields: int
    max_cost: int
    pricing: Pricing  # what the cost estimate assumes lists return

    @classmethod
    def from_settings(cls, settings: Settings) -> "OperationLimits":
        return cls(
            max_tokens=settings.graphql_max_tokens,
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_fields=settings.graphql_max_fields,
            max_cost=settings.graphql_max_cost,
            pricing=pricing(settings),
        )

    def measure(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> Measurement:
        return measure(
            schema,
            document,
            operation_name=operation_name,
            variables=variables,
            pricing=self.pricing,
            depth_cap=self.max_depth,
        )

    def errors(self, measurement: Measurement | None) -> list[GraphQLError]:
        """The limits ``measurement`` breaks (None: deeper than the walk looked)."""
        if measurement is None or measurement.depth > self.max_depth:
            return [
                _error(
                    f"The operation nests fields deeper than the limit of {self.max_depth} levels.",
                    "QUERY_TOO_DEEP",
                    maxDepth=self.max_depth,
                )
            ]
        errors = []
        if measurement.aliases > self.max_aliases:
            errors.append(
                _error(
                    f"The operation uses {measurement.aliases} aliases; the limit is {self.max_aliases}.",
                    "TOO_MANY_ALIASES",
                    aliases=measurement.aliases,
                    maxAliases=self.max_aliases,
                )
            )
        if measurement.fields > self.max_fields:
            errors.append(
                _error(
                    f"The operation selects {measurement.fields} fields (fragments expanded, repeated fields "
                    f"counted each time); the limit is {self.max_fields}.",
                    "TOO_MANY_FIELDS",
                    fields=measurement.fields,
                    maxFields=self.max_fields,
                )
            )
        if measurement.cost > self.max_cost:
            errors.append(
                _error(
                    f"The operation's estimated cost is {measurement.cost}; the limit is {self.max_cost}. Ask for "
                    "smaller pages (`first`), shorter periods, larger intervals, fewer groups or fewer nested lists, "
                    "or split it into several requests.",
                    "QUERY_TOO_COMPLEX",
                    cost=measurement.cost,
                    maxCost=self.max_cost,
                )
            )
        return errors


def pricing(settings: Settings) -> Pricing:
    interval = settings.health_recompute_interval_seconds
    return Pricing(
        list_size=settings.graphql_cost_list_size,
        page_size=DEFAULT_PAGE_SIZE,
        group_values=settings.graphql_cost_group_values,
        max_groups=settings.graphql_cost_max_groups,
        scores_per_day=max(1, math.ceil(SECONDS_PER_DAY / interval)) if interval > 0 else 1,
    )


def _error(message: str, code: str, **details: int) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **details})


def operation_resolution_error(operation_name: str | None) -> GraphQLError:
    """GraphQL's GetOperation() failed: no operation of that name, or several and no name."""
    if operation_name:
        message = f"the document has no operation named '{operation_name}'"
    else:
        message = "the document must hold exactly one operation, or name the one to run in `operationName`"
    return GraphQLError(message, extensions={"code": "OPERATION_RESOLUTION_FAILURE"})


def _ambiguous(document: DocumentNode, provided_name: str | None) -> bool:
    """Several operations and no name: strawberry would run the first; GraphQL says it is a request error."""
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    return provided_name is None and len(operations) > 1


def limits_for(context: object) -> OperationLimits:
    return OperationLimits.from_settings(getattr(context, "settings", None) or _DEFAULT_SETTINGS)


def _is_token_limit(error: GraphQLError) -> bool:
    return "Document contains more than" in error.message and "tokens" in error.message


VALIDATION_ABORTED = "Validation aborted."  # graphql-core ran out of its budget for comparing fields


def _validation_aborted() -> GraphQLError:
    return _error(
        "The operation is too complex to validate: too many fields must be compared with each other (repeated "
        "or overlapping selections). Select fewer fields, or split it into several requests.",
        "QUERY_TOO_COMPLEX",
    )


# A document's measurement is kept under its text (not the object), operation and limits, and the values of
# the variables the measuring read (``Measurement.read``): a page size changes the cost, an account's id does
# not, so one measurement serves every account. Beside it, the sets of names the document's measurings read
# (one, unless which arguments count depends on a value). Not kept when those values are longer than
# MAX_KEPT_VARIABLES characters of JSON.
MAX_KEPT_VARIABLES = 2048
MAX_READ_SETS = 8
_Document = tuple[int, str, str | None, OperationLimits]
_read_sets: dict[_Document, tuple[frozenset[str], ...]] = {}
_measurements: dict[tuple[_Document, frozenset[str], str], Measurement] = {}


def _read_values(variables: Mapping[str, Any] | None, names: frozenset[str]) -> str | None:
    """The values of ``names`` as a key (a name not given differs from null); None when too long to keep."""
    given = variables or {}
    text = json.dumps({name: [given[name]] for name in sorted(names) if name in given}, default=repr)
    return text if len(text) <= MAX_KEPT_VARIABLES else None


def _kept(document: _Document, variables: Mapping[str, Any] | None) -> Measurement | None:
    for names in _read_sets.get(document, ()):
        values = _read_values(variables, names)
        measurement = _measurements.get((document, names, values)) if values is not None else None
        if measurement is not None:
            return measurement
    return None


def _keep(document: _Document, variables: Mapping[str, Any] | None, measurement: Measurement) -> None:
    values = _read_values(variables, measurement.read)
    if values is None:
        return
    sets = _read_sets.get(document, ())
    if measurement.read not in sets:
        remember(_read_sets, document, (*sets, measurement.read)[-MAX_READ_SETS:])
    remember(_measurements, (document, measurement.read, values), measurement)


def kept_refusals(
    schema: GraphQLSchema,
    query: str,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: "OperationLimits",
) -> list[GraphQLError] | None:
    """What the limits refuse of a document measured in an earlier request with the same values of what its
    measuring read ([] when nothing); None when no such measurement is kept (``operation_name``: the one
    chosen, or the document's only operation's)."""
    measurement = _kept((id(schema), query, operation_name, limits), variables)
    return None if measurement is None else limits.errors(measurement)


class OperationLimiter(SchemaExtension):
    """Applies the request's ``OperationLimits`` (from the settings in its context)."""

    limits: OperationLimits

    def on_operation(self) -> Iterator[None]:
        self.limits = limits_for(self.execution_context.context)
        self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield

    def on_parse(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            if _is_token_limit(error):
                error.message = f"The document has more than {self.limits.max_tokens} tokens, the limit."
                error.extensions = {"code": "TOO_MANY_TOKENS", "maxTokens": self.limits.max_tokens}

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            # Set before validation runs: strawberry then skips it and refuses the operation with these.
            context.pre_execution_errors = self._refusals(context.graphql_document) or None
        yield
        errors = context.pre_execution_errors or []
        for index, error in enumerate(errors):
            if error.message == VALIDATION_ABORTED:
                errors[index] = _validation_aborted()  # in place: strawberry already holds this list

    def _refusals(self, document: DocumentNode) -> list[GraphQLError]:
        context = self.execution_context
        if _ambiguous(document, context._provided_operation_name):
            return [operation_resolution_error(None)]
        schema = context.schema._schema
        document_key = (
            None if context.query is None else (id(schema), context.query, context.operation_name, self.limits)
        )
        measurement = _kept(document_key, context.variables) if document_key is not None else None
        if measurement is None:
            try:
                measurement = self.limits.measure(schema, document, context.operation_name, context.variables)
            except TooDeep:
                return self.limits.errors(None)
            if document_key is not None:
                _keep(document_key, context.variables, measurement)
        return self.limits.errors(measurement)
