"""``POST /v1/ingest/{entity}``: the REST door sources push records through (openapi/cshub.yaml).

The route checks the request (media type, published size limits, JSON shape; the role was checked by
``service.http.authorization``), then runs the batch and its audit entry in one transaction: valid records
are written together or, if the database fails, not at all (503, safe to retry). Per-record problems never
fail the batch; they come back as ``rejected``. A key bound to sources (``service.api_keys.service``) may
send batches from those sources only (403 otherwise). A refused batch (unknown entity, not JSON, malformed,
over a limit, another source) is recorded in the audit log as ``refused`` with its code — except 429, which
records nothing: an overloaded process should not take on more writes.
"""

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.api_keys.service import MAX_SOURCE_LENGTH, Principal
from service.audit.service import AuditedWrite, Outcome, Who, outcome_of
from service.db.pool import database_errors, in_transaction
from service.errors import (
    CshubError,
    InvalidInput,
    NotFound,
    Overloaded,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMediaType,
)
from service.http.after_ingest import committed
from service.http.bodies import parse_json, read_limited
from service.ingest import idempotency
from service.ingest.results import BatchResult
from service.ingest.service import ENTITIES, ingest_audited
from service.ingest.shared_domains import shared_domains
from service.ingest.usage_events import UsagePolicy
from service.settings import Settings


class IngestEndpoint:
    """One per app: holds the limits and this process's concurrency budget."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.slots = asyncio.Semaphore(settings.ingest_max_concurrent)

    async def handle(self, request: Request) -> Response:
        entity = request.path_params["entity"]
        principal: Principal = request.state.principal  # its role was checked (service.http.authorization)
        try:
            if principal.key_id is None:
                raise PermissionDenied(
                    "ingest takes API keys (source systems), not a person's bearer token: "
                    "create one with `cshub keys create --role ingest`"
                )
            if entity not in ENTITIES:
                raise NotFound(f"unknown ingest entity {entity!r}; one of: {', '.join(ENTITIES)}")
            _require_json(request)
            key = request.headers.get("idempotency-key")
            if key is not None:
                idempotency.check_key(key)
            body = parse_json(await self._read_body(request))
            source, records = self._batch(body)
            principal.require_source(source, "ingest batches from")  # a key bound to sources: only theirs
        except CshubError as error:
            await refused(request, principal, error)
            raise
        if self.slots.locked():
            raise Overloaded(f"this replica is already running {self.settings.ingest_max_concurrent} ingest batches")
        async with self.slots:
            response = await self._ingest(
                request.state.engine, principal, entity, source, records, body, key, request.state.request_id
            )
        if response.status_code == 200:
            committed(request, [entity])
        return response

    async def _ingest(
        self,
        engine: AsyncEngine,
        principal: Principal,
        entity: str,
        source: str,
        records: list[Any],
        body: Any,
        key: str | None,
        request_id: str | None = None,
    ) -> Response:
        key_id = principal.key_id
        assert key_id is not None  # handle() refused people

        async def work(conn: AsyncConnection) -> tuple[dict[str, Any] | BatchResult, bool]:
            if key is not None:
                digest = idempotency.request_digest(entity, body)
                ttl = dt.timedelta(hours=self.settings.ingest_idempotency_ttl_hours)
                stored = await idempotency.claim(conn, key_id, key, digest, ttl=ttl)
                if stored is not None:
                    return stored, True
            batch = await ingest_audited(
                conn,
                source,
                entity,
                records,
                who=Who.of(principal),
                request_id=request_id,
                source_priority=self.settings.source_priority,
                usage=UsagePolicy.of(self.settings),
                shared_domains=shared_domains(self.settings.shared_domains),
            )
            if key is None:
                return batch, False  # answered after the commit: a batch of accounts holds their lock until then
            answer = batch.as_json()
            await idempotency.remember(conn, key_id, key, answer)
            return answer, False

        try:
            async with database_errors(engine.url):
                outcome, replayed = await in_transaction(engine, work)
        except Exception as error:  # rolled back: record the failure after, in its own transaction
            failed = AuditedWrite(Who.of(principal), f"ingest:{entity}", entity, {"source": source}, request_id)
            await failed.settle(engine, outcome_of(error), error.code if isinstance(error, CshubError) else None)
            raise
        answer = outcome.as_json() if isinstance(outcome, BatchResult) else outcome
        if replayed:
            return JSONResponse(answer, headers={"Idempotent-Replayed": "true"})
        return JSONResponse(answer)

    async def _read_body(self, request: Request) -> bytes:
        limit = self.settings.ingest_max_body_bytes
        too_large = PayloadTooLarge(f"the body is over the limit of {limit} bytes; send smaller batches")
        return await read_limited(request, limit, too_large)

    def _batch(self, body: Any) -> tuple[str, list[Any]]:
        if not isinstance(body, dict):
            raise InvalidInput('the body must be a JSON object: {"source": "...", "records": [...]}')
        unknown = sorted(set(body) - {"source", "records"})
        if unknown:
            raise InvalidInput(f"unknown top-level field(s) {', '.join(unknown)}; expected 'source' and 'records'")
        source = body.get("source")
        if not isinstance(source, str) or not source.strip() or len(source) > MAX_SOURCE_LENGTH or _unpaired(source):
            raise InvalidInput(
                f"'source' must name the sending system, 1 to {MAX_SOURCE_LENGTH} characters (e.g. \"salesforce\")"
            )
        records = body.get("records")
        if not isinstance(records, list):
            raise InvalidInput("'records' must be an array of record objects")
        limit = self.settings.ingest_max_records
        if len(records) > limit:
            raise PayloadTooLarge(f"{len(records)} records is over the limit of {limit} per batch; split the batch")
        return source.strip(), records


def audit_action(entity: str) -> str:
    """The audit log's action for a batch of ``entity`` (one that is not an entity: ``ingest:unknown``)."""
    return f"ingest:{entity if entity in ENTITIES else 'unknown'}"


async def refused(request: Request, principal: Principal, error: CshubError) -> None:
    """Record a batch refused before it ran (never raises: the refusal is answered either way)."""
    entity = request.path_params["entity"]
    write = AuditedWrite(Who.of(principal), audit_action(entity), entity, {}, request.state.request_id)
    await write.settle(request.state.engine, Outcome.REFUSED, error.code)


def _require_json(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        shown = media_type or "none"
        raise UnsupportedMediaType(f"send the batch as application/json (got {shown})")


def _unpaired(text: str) -> bool:
    """A lone UTF-16 surrogate (``"\\ud800"`` is valid JSON): not text, PostgreSQL cannot store it. Records
    refuse it field by field (pydantic); the source is checked here."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
