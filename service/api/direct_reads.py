"""Queries answered straight from kept compiled statements, without strawberry's and graphql-core's execution.

A CS front-end sends the same few documents again and again with other ids. Once a query has run and each of
its root fields' statements is kept (``service.compiled``), answering it again needs no field of graphql-core's
execution: the checks that apply to every request are made here, from what earlier requests kept, and the
statements run. Whatever is not known from an earlier request — a document not parsed, validated or measured
yet, variables whose values were never measured, a root without a kept statement — sends the request the usual
way, which then answers exactly as it always does, errors included (``None`` here). So does any refusal: a
limit, a text the database cannot store, a check, a late value the resolver refuses.

The checks, in the usual order: the document parses within the token limit; it validated in an earlier
request; the operation limits measured it for these values of what the measuring reads and refuse nothing;
its variables hold no text PostgreSQL cannot store; the variables coerce; each root's authorization checks
pass. The response budget counts the compiled lists as it always does.
"""

import logging
from typing import Any

from graphql import GraphQLError, GraphQLSchema
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from service.api.limits import kept_refusals, limits_for
from service.compiled.executor import CompilingExecutor
from service.graphql import document_cache
from service.graphql.context import Context
from service.graphql.text_input import unstorable_text

log = logging.getLogger("cshub.compiled")


async def direct_answer(schema: GraphQLSchema, request: GraphQLRequestData, context: Context) -> ExecutionResult | None:
    """The result of the request's query from kept statements, or None: execute it the usual way."""
    query = request.query
    if not context.compiled_reads or query is None:
        return None
    limits = limits_for(context)
    try:
        document = document_cache.parsed(query, limits.max_tokens)
    except GraphQLError:
        return None
    if not document_cache.validated(schema, query):
        return None
    executor = CompilingExecutor.build(schema, document, None, context, request.variables, request.operation_name)
    if not isinstance(executor, CompilingExecutor):  # no such operation, or variables that do not coerce
        return None
    operation = executor.operation
    operation_name = request.operation_name or (operation.name.value if operation.name else None)
    refusals = kept_refusals(schema, query, operation_name, request.variables, limits)
    if refusals is None or refusals or unstorable_text(document, request.variables, query):
        return None
    data: dict[str, Any] | None = await executor.answer_directly()
    if data is None:
        return None
    log.debug("query answered from kept statements", extra={"operation": operation_name, "fields": list(data)})
    return ExecutionResult(data=data, errors=None)
