"""GraphQL error policy: expected failures carry a stable code, everything else is masked.

A ``CshubError`` raised by a resolver keeps its message and gets ``extensions.code``; parse and
validation errors get ``GRAPHQL_VALIDATION_FAILED``; any other exception is logged with the request
id and replaced by a generic message plus that id, so nothing internal leaks to clients.
"""

import logging
from collections.abc import Iterator
from typing import Any

from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext

from service.errors import CshubError

logger = logging.getLogger("cshub.graphql")

INTERNAL_ERROR_MESSAGE = "Internal server error; quote the requestId when reporting it."


def _request_id(execution_context: ExecutionContext) -> str | None:
    return getattr(execution_context.context, "request_id", None)


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, CshubError | GraphQLError)


def log_unexpected_errors(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    request_id = _request_id(execution_context) if execution_context else None
    for error in errors:
        if is_unexpected(error):
            original = error.original_error
            assert original is not None
            logger.error(
                "unexpected error in GraphQL execution",
                exc_info=(type(original), original, original.__traceback__),
                extra={"request_id": request_id, "path": error.path},
            )


def _with_code(error: GraphQLError, request_id: str | None) -> GraphQLError:
    original = error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    if isinstance(original, CshubError):
        extensions["code"] = original.code
        return GraphQLError(
            original.message, error.nodes, error.source, error.positions, error.path, original, extensions
        )
    if is_unexpected(error):
        extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return GraphQLError(
            INTERNAL_ERROR_MESSAGE, error.nodes, error.source, error.positions, error.path, None, extensions
        )
    extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
    error.extensions = extensions
    return error


class ErrorPolicy(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            request_id = _request_id(self.execution_context)
            result.errors = [_with_code(error, request_id) for error in errors]
