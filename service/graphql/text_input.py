"""Text PostgreSQL cannot store is refused before an operation runs, whichever argument carries it.

PostgreSQL text holds no NUL (U+0000) and UTF-8 has no lone surrogates (``"\\ud800"`` is valid JSON and
reaches Python as such), so either would fail deep in a write or a filter as an unexpected database error.
GraphQL string literals may spell NUL as ``\\u0000`` too. ``TextInputGuard`` looks at every string in the
variables (keys included, for ``JSON`` arguments) and in the document's literals and answers a request error
with code ``BAD_USER_INPUT`` naming where the text is; nothing executes. (Ingest has the same rule at its
door: ``service.http.ingest_routes``.)
"""

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from service.graphql.document_cache import remember


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired UTF-16 surrogate (e.g. \\ud800), which is not text"
    return None


def _in_value(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        reason = unstorable(value)
        return f"{where} {reason}" if reason else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _in_value(key, f"{where} (a key)") or _in_value(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _in_value(item, f"{where}[{index}]")
            if found:
                return found
    return None


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.problem: str | None = None

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> Any:
        reason = unstorable(node.value)
        if reason:
            line = node.loc.source.get_location(node.loc.start).line if node.loc else "?"
            self.problem = f"a string in the document (line {line}) {reason}"
            return Visitor.BREAK
        return None


_literal_problems: dict[str, str | None] = {}  # by document text


def unstorable_text(
    document: DocumentNode | None, variables: Mapping[str, Any] | None, query: str | None = None
) -> str | None:
    """Where the request carries text that cannot be stored, or None. With the document's text (``query``), what
    its literals hold is looked at once per text."""
    for name, value in (variables or {}).items():
        found = _in_value(value, f"variable ${name}")
        if found:
            return found
    if document is None:
        return None
    if query is not None and query in _literal_problems:
        return _literal_problems[query]
    literals = _Literals()
    visit(document, literals)
    return literals.problem if query is None else remember(_literal_problems, query, literals.problem)


class TextInputGuard(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None:
            problem = unstorable_text(context.graphql_document, context.variables, context.query)
            if problem:
                # Set before validation runs: strawberry then refuses the operation with it (nothing executes).
                context.pre_execution_errors = [
                    GraphQLError(f"{problem}; send it without", extensions={"code": "BAD_USER_INPUT"})
                ]
        yield
