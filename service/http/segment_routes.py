"""``POST /segment/v1/{call}``: Segment's HTTP Tracking API (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/),
so a Segment or RudderStack SDK — or the Segment Webhooks destination — sends straight to cshub.

``{call}`` is ``batch`` (``{"batch": [calls], "sentAt": ..., "context": ...}``), one of ``track``,
``identify``, ``group``, ``page``, ``screen``, ``alias`` (one call as the body), or ``webhook`` for the Segment
Webhooks destination (one call whose own ``type`` decides, or a JSON array of calls). The key comes as Segment's
clients send it — HTTP Basic with the write key as user name (``service.http.middleware``) — or as a bearer;
its role was checked (``ingest`` or ``admin``, ``service.http.authorization``). With
``CSHUB_SEGMENT_WEBHOOK_SECRET`` set, the body must also carry a valid ``X-Signature``.

Segment's limits hold: 500 KB per request (413), 32 KB per call. An accepted request is 200
``{"success": true, "rejected": [...]}``: the calls of a batch that were not taken (too large, malformed, refused
by the ingest service), each with its index, messageId and errors, while the others are written; a single call
that is not taken is 400 with the reasons. All calls of a request are written in one transaction by
``service.segment.service`` through the ingest service: if the database fails, nothing was written (503).
"""

import asyncio
import datetime as dt
import zlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.api_keys.service import Principal
from service.audit.service import AuditedWrite, Outcome, Who, outcome_of
from service.db.pool import database_errors, in_transaction
from service.errors import (
    AuthenticationRequired,
    BadRequest,
    CshubError,
    NotFound,
    Overloaded,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMediaType,
)
from service.http.after_ingest import committed
from service.http.bodies import parse_json, read_limited
from service.http.segment_body import parse_batch
from service.ingest.shared_domains import shared_domains
from service.ingest.usage_events import UsagePolicy
from service.segment import signature
from service.segment.calls import (
    CALL_TYPES,
    MAX_BATCH_BYTES,
    MAX_CALL_BYTES,
    Call,
    Rejection,
    read_batch,
    read_call,
)
from service.segment.mapping import load_mapping
from service.segment.service import CallsWritten, Target, ingest_calls
from service.settings import Settings

# `webhook`: where the Segment Webhooks destination posts — one call whose own `type` decides, or (Webhooks
# (Actions) with batching) a JSON array of calls.
ROUTE_CALLS = ("batch", "webhook", *CALL_TYPES)
ACTION = "ingest:segment"


class SegmentEndpoint:
    """One per app: the trait mapping (read and checked here, at start-up) and the ingest route's batch slots."""

    def __init__(self, settings: Settings, slots: asyncio.Semaphore) -> None:
        self.settings = settings
        self.slots = slots
        self.mapping = load_mapping(settings.segment_traits_file)

    async def handle(self, request: Request) -> Response:
        route = request.path_params["call"]
        principal: Principal = request.state.principal
        received_at = dt.datetime.now(dt.UTC)
        try:
            if principal.key_id is None:
                raise PermissionDenied(
                    "Segment calls take a write key (an API key), not a person's bearer token: "
                    "create one with `cshub keys create --role ingest`"
                )
            if route not in ROUTE_CALLS:
                raise NotFound(f"unknown Segment call {route!r}; one of: {', '.join(ROUTE_CALLS)}")
            principal.require_source(self.settings.segment_source, "send Segment calls, which are stored as")
            _require_json(request)
            limit = MAX_BATCH_BYTES if route in ("batch", "webhook") else MAX_CALL_BYTES
            body = await _read_body(request, limit)
            secret = self.settings.segment_webhook_secret
            if secret is not None and not signature.signed(secret, body, request.headers.get("x-signature")):
                raise AuthenticationRequired(
                    "X-Signature is missing or is not the HMAC-SHA1 of the body under the shared secret "
                    "(CSHUB_SEGMENT_WEBHOOK_SECRET)"
                )
            parsed, lengths = parse_batch(body) if route == "batch" else (parse_json(body), None)
            single = not (route == "batch" or (route == "webhook" and isinstance(parsed, list)))
            calls, rejected = _calls(route, parsed, received_at, lengths)
            if single and rejected:
                raise BadRequest(_reasons(rejected[0]))
        except CshubError as error:
            await self._settle(request, principal, Outcome.REFUSED, error.code)
            raise
        if self.slots.locked():
            raise Overloaded(f"this replica is already running {self.settings.ingest_max_concurrent} ingest batches")
        async with self.slots:
            late = await self._ingest(request, principal, calls)
        if single and late:
            raise BadRequest(_reasons(late[0]))
        return JSONResponse({"success": True, "rejected": [rejection.as_json() for rejection in rejected + late]})

    async def _ingest(self, request: Request, principal: Principal, calls: list[Call]) -> list[Rejection]:
        target = Target(
            source=self.settings.segment_source,
            who=Who.of(principal),
            request_id=request.state.request_id,
            mapping=self.mapping,
            source_priority=self.settings.source_priority,
            usage=UsagePolicy.of(self.settings),
            shared_domains=shared_domains(self.settings.shared_domains),
        )

        async def work(conn: AsyncConnection) -> CallsWritten:
            return await ingest_calls(conn, calls, target)

        engine = request.state.engine
        try:
            async with database_errors(engine.url):
                outcome = await in_transaction(engine, work)
        except Exception as error:  # rolled back: record the failure after, in its own transaction
            code = error.code if isinstance(error, CshubError) else None
            await self._settle(request, principal, outcome_of(error), code)
            raise
        committed(request, outcome.changed)
        return outcome.rejected

    async def _settle(self, request: Request, principal: Principal, outcome: Outcome, code: str | None) -> None:
        """Record a request refused before it ran, or one whose transaction failed (never raises)."""
        call = request.path_params["call"]
        target = call if call in ROUTE_CALLS else "unknown"
        details = {"source": self.settings.segment_source}
        write = AuditedWrite(Who.of(principal), ACTION, target, details, request.state.request_id)
        await write.settle(request.state.engine, outcome, code)


def _calls(
    route: str, body: Any, received_at: dt.datetime, lengths: list[int] | None = None
) -> tuple[list[Call], list[Rejection]]:
    """The request's calls read, and those that could not be; a body that is no batch at all is refused.
    ``lengths``: those of a batch's calls in the body (``service.http.segment_body``), when measured."""
    if route == "webhook" and isinstance(body, list):
        return read_batch(body, None, None, received_at=received_at)
    if not isinstance(body, dict):
        raise BadRequest(f"the body must be a JSON object (a Segment {route} call), not {type(body).__name__}")
    if route == "batch":
        raw_calls = body.get("batch")
        if not isinstance(raw_calls, list):
            raise BadRequest("a batch body is {\"batch\": [calls...]}: 'batch' must be an array of calls")
        return read_batch(raw_calls, body.get("context"), body.get("sentAt"), received_at=received_at, lengths=lengths)
    own_type = None if route == "webhook" else route  # the route's type wins, as on Segment's /v1/track
    read = read_call(body, 0, received_at=received_at, call_type=own_type)
    return ([read], []) if isinstance(read, Call) else ([], [read])


def _reasons(rejection: Rejection) -> str:
    reasons = "; ".join(f"{error.path}: {error.message}" if error.path else error.message for error in rejection.errors)
    return f"the call was not taken: {reasons}"


def _require_json(request: Request) -> None:
    """JSON, or text/plain: browsers' sendBeacon (analytics.js) cannot set another type without a preflight."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in ("application/json", "text/plain") and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise UnsupportedMediaType(f"send Segment calls as application/json (got {media_type or 'none'})")


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, gunzipped when ``Content-Encoding: gzip`` (the SDKs' ``gzip`` option), never more than ``limit``."""
    what = "batch" if limit == MAX_BATCH_BYTES else "call"  # (a webhook request may be a batch)
    too_large = PayloadTooLarge(f"the body is over Segment's limit of {limit} bytes per {what}; send smaller batches")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding")
    body = await read_limited(request, limit, too_large)
    if encoding == "identity":
        return body
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        plain = inflate.decompress(body, limit + 1)
    except zlib.error:
        raise BadRequest("the body is not valid gzip data (Content-Encoding: gzip)") from None
    if len(plain) > limit:
        raise too_large
    return plain
