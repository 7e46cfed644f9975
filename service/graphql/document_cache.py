"""Parsing and validating a document once, not on every request that sends it again.

A CS front-end sends the same few documents over and over (with other variables): each is parsed once per
process (an LRU of the last ``MAX_DOCUMENTS`` texts) and, once it validated without errors against a set of
rules, it is not validated again under the same rules. Other checks of a document keep what they found the
same way (``remember``): the text-input guard its literals, the operation limits their measurement.
Documents that fail are parsed and validated on each request, so their errors stay fresh objects (other
extensions rewrite messages in place).

This extension must come after the ones that refuse an operation before validation (the operation limits,
the text-input guard): it only validates when none did.
"""

from collections.abc import Iterator
from contextlib import suppress
from functools import lru_cache
from typing import Any, TypeVar

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from graphql.language.parser import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_DOCUMENTS = 1000


@lru_cache(maxsize=MAX_DOCUMENTS)
def _parsed(query: str, max_tokens: int | None) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


_valid: dict[tuple[int, str, tuple[Any, ...]], bool] = {}
_validated: dict[tuple[int, str], bool] = {}  # valid under the rules of some request (see ``validated``)


K = TypeVar("K")
V = TypeVar("V")


def remember(kept: dict[K, V], key: K, value: V) -> V:
    """Keep ``value`` under ``key`` in ``kept``, a store of at most ``MAX_DOCUMENTS`` (the oldest goes first)."""
    if key not in kept and len(kept) >= MAX_DOCUMENTS:
        kept.pop(next(iter(kept)))
    kept[key] = value
    return value


def parsed(query: str, max_tokens: int | None) -> DocumentNode:
    """The document of ``query``, parsed once per text (``GraphQLError``: it does not parse, or is too long)."""
    return _parsed(query, max_tokens)


def validated(schema: GraphQLSchema, query: str) -> bool:
    """Whether ``query`` validated without errors in an earlier request. The rules differ between requests only
    by the introspection rule (production, not admin), which looks at ``__schema`` and ``__type``: a caller
    that skips validation on this answer must refuse documents selecting those itself."""
    return (id(schema), query) in _validated


def prime(query: str, max_tokens: int | None) -> None:
    """Parse ``query`` now (a registered operation at start-up), so its first request finds it parsed."""
    with suppress(GraphQLError):
        _parsed(query, max_tokens)


class DocumentCache(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        options = context.parse_options
        if context.query and set(options) <= {"max_tokens"}:
            # A document that does not parse is left to strawberry, which answers the error as it always does.
            with suppress(GraphQLError):
                context.graphql_document = _parsed(context.query, options.get("max_tokens"))
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None and context.query:
            schema: GraphQLSchema = context.schema._schema
            key = (id(schema), context.query, tuple(context.validation_rules))
            if key in _valid:
                context.pre_execution_errors = []
            else:
                errors = validate_document(schema, context.graphql_document, context.validation_rules)
                context.pre_execution_errors = errors
                if not errors:
                    remember(_valid, key, True)
                    remember(_validated, key[:2], True)
        yield
