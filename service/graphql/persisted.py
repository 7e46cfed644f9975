"""Persisted operations: a client sends a document's SHA-256 instead of its text.

Two modes, after Apollo's protocol (``extensions.persistedQuery = {version: 1, sha256Hash}``):

- **Automatic persisted queries** (the default): a hash this process knows runs its document; an unknown one
  answers ``PERSISTED_QUERY_NOT_FOUND``, and the client sends the hash again with the text, which is checked
  against the hash, kept (the last ``CSHUB_GRAPHQL_APQ_MAX_DOCUMENTS``, per process) and run. Over GET, a
  query then fits in a short, cacheable URL.
- **Trusted documents** (``CSHUB_GRAPHQL_TRUSTED_DOCUMENTS`` names a manifest): only the operations the
  manifest registers run — by hash, or by text whose hash is registered; anything else is refused with
  ``OPERATION_NOT_REGISTERED``. The manifest is Apollo's persisted-query manifest (``{"format":
  "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "name", "type", "body"}]}``) or a
  plain ``{"<sha256>": "<document>"}`` map (GraphQL Code Generator's ``persisted-documents.json``). Every
  document is parsed at start-up (an error names the operation) and kept parsed.

The document a hash resolves to then goes through parsing, validation and the limits as any other; parsing
and validation are cached per document text (``service.graphql.document_cache``), so a registered operation
pays for them once per process.
"""

import hashlib
import json
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse, validate

from service.errors import (
    BadRequest,
    ConfigurationError,
    OperationNotRegistered,
    PersistedQueryNotFound,
    PersistedQueryNotSupported,
)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedOperations:
    def __init__(self, *, automatic: bool, max_documents: int, trusted: dict[str, str] | None = None) -> None:
        self.automatic = automatic
        self.max_documents = max_documents
        self.trusted = trusted  # id → document; None: not in trusted-documents mode
        self.trusted_hashes = {sha256_hex(document) for document in (trusted or {}).values()}
        self._kept: OrderedDict[str, str] = OrderedDict()

    def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str | None:
        """The document text to run (None: the request has no query at all, which the caller refuses)."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if query is not None and self.trusted is not None and sha256_hex(query) not in self.trusted_hashes:
                raise OperationNotRegistered(
                    "this server runs registered operations only (trusted documents): add this operation to the "
                    "manifest CSHUB_GRAPHQL_TRUSTED_DOCUMENTS names, or send a registered one's hash"
                )
            return query
        digest = _hash_of(persisted)
        if query is None:
            return self._known(digest)
        if sha256_hex(query) != digest:
            raise BadRequest(
                "provided sha does not match query: extensions.persistedQuery.sha256Hash must be the "
                "SHA-256 (hex) of the UTF-8 `query`"
            )
        if self.trusted is not None:
            if digest not in self.trusted_hashes:
                raise OperationNotRegistered(
                    "this server runs registered operations only (trusted documents); this document is not in the "
                    "manifest CSHUB_GRAPHQL_TRUSTED_DOCUMENTS names"
                )
        elif self.automatic:
            self._keep(digest, query)
        return query

    def _known(self, digest: str) -> str:
        if self.trusted is not None:
            document = self.trusted.get(digest)
            if document is None:
                raise PersistedQueryNotFound(
                    "PersistedQueryNotFound: no registered operation has this id (trusted documents)"
                )
            return document
        if not self.automatic:
            raise PersistedQueryNotSupported("PersistedQueryNotSupported: send the `query` text")
        document = self._kept.get(digest)
        if document is None:
            raise PersistedQueryNotFound("PersistedQueryNotFound")  # the text Apollo clients look for
        self._kept.move_to_end(digest)
        return document

    def _keep(self, digest: str, query: str) -> None:
        self._kept[digest] = query
        self._kept.move_to_end(digest)
        while len(self._kept) > self.max_documents:
            self._kept.popitem(last=False)


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise BadRequest('extensions.persistedQuery must be {"version": 1, "sha256Hash": "<64 hex digits>"}')
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.match(digest.lower()):
        raise BadRequest("extensions.persistedQuery.sha256Hash must be a SHA-256 in hex (64 digits)")
    return digest.lower()


def load_manifest(path: Path, schema: GraphQLSchema) -> dict[str, str]:
    """The operations a trusted-documents manifest registers (id → document), each parsed and validated."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"CSHUB_GRAPHQL_TRUSTED_DOCUMENTS: cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigurationError(f"CSHUB_GRAPHQL_TRUSTED_DOCUMENTS: {path} is not JSON ({exc})") from None
    operations = _operations(raw, path)
    for _, name, document in operations:
        try:
            errors = validate(schema, parse(document))
        except GraphQLError as error:
            errors = [error]
        if errors:
            raise ConfigurationError(
                f"CSHUB_GRAPHQL_TRUSTED_DOCUMENTS: operation {name!r} in {path} does not validate against the "
                f"schema: {errors[0].message}"
            )
    return {operation_id: document for operation_id, _, document in operations}


def _operations(raw: object, path: Path) -> list[tuple[str, str, str]]:
    """(id, name to report, document) of each registered operation."""
    where = f"CSHUB_GRAPHQL_TRUSTED_DOCUMENTS: {path}"
    if isinstance(raw, dict) and raw.get("format") == APOLLO_MANIFEST_FORMAT:
        entries = raw.get("operations")
        if raw.get("version") != 1 or not isinstance(entries, list):
            raise ConfigurationError(f'{where}: an Apollo manifest needs "version": 1 and an "operations" list')
        operations = []
        for index, entry in enumerate(entries):
            if not (
                isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("body"), str)
            ):
                raise ConfigurationError(f'{where}: operations[{index}] needs a string "id" and "body"')
            name = entry.get("name")
            operations.append((entry["id"].lower(), name if isinstance(name, str) else entry["id"], entry["body"]))
        return operations
    if isinstance(raw, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        return [(key.lower(), key, value) for key, value in raw.items()]
    raise ConfigurationError(
        f'{where}: expected an Apollo persisted-query manifest or a {{"<sha256>": "<document>"}} object'
    )
