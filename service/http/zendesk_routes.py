"""``POST /zendesk/v1/tickets`` and ``POST /zendesk/v1/webhook``: Zendesk Support payloads as Zendesk sends them.

``tickets`` takes what Zendesk's APIs return — a tickets page of the REST API or of the incremental export
(``{"tickets": [...], "users": [...], "organizations": [...], "after_cursor": ..., "end_of_stream": ...}``), one
ticket (``{"ticket": {...}}``) — so a puller forwards each page as it is. ``webhook`` is the URL of a Zendesk
webhook subscribed to ticket events (``zen:event-type:ticket.*``); with ``CSHUB_ZENDESK_WEBHOOK_SECRET`` set,
its ``X-Zendesk-Webhook-Signature`` must verify (401 otherwise, nothing written). Both take an API key of role
``ingest`` or ``admin`` as a bearer (a Zendesk webhook's "Bearer token" authentication), bound, if at all, to
the Zendesk source.

All records of a request are written in one transaction by ``service.adapters.zendesk.service`` through the
ingest service: if the database fails, nothing was written (503, safe to retry). The answer is 200 with one
result per record, naming the payload item it came from (``tickets[3]``) and its errors in Zendesk's field
names; a bad item never loses the good ones. A one-ticket payload or an event whose ticket is refused is
answered 422 (problem+json naming the item and its errors), what else it held being kept.
"""

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.adapters.writing import ItemResult, Target, totals
from service.adapters.zendesk import signature
from service.adapters.zendesk.mapping import load_mapping
from service.adapters.zendesk.payloads import Translated, read_event, read_page
from service.adapters.zendesk.service import Written, write_payload
from service.api_keys.service import Principal
from service.audit.service import AuditedWrite, Outcome, Who, outcome_of
from service.db.pool import database_errors, in_transaction
from service.errors import (
    AuthenticationRequired,
    CshubError,
    InvalidInput,
    Overloaded,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMediaType,
)
from service.http.bodies import parse_json, read_limited
from service.ingest.shared_domains import shared_domains
from service.settings import Settings

ACTION = "ingest:zendesk"
KINDS = ("tickets", "webhook")
# The incremental export's cursor, echoed for the puller's log (when it has Zendesk's types).
CURSOR_KEYS = {"after_cursor": (str, type(None)), "before_cursor": (str, type(None)), "end_of_stream": (bool,)}


class ZendeskEndpoint:
    """One per app: the mapping (read and checked here, at start-up) and the ingest route's batch slots."""

    def __init__(self, settings: Settings, slots: asyncio.Semaphore) -> None:
        self.settings = settings
        self.slots = slots
        self.mapping = load_mapping(settings.zendesk_mapping_file)

    async def tickets(self, request: Request) -> Response:
        return await self._handle(request, "tickets", lambda body: read_page(body, self.mapping))

    async def webhook(self, request: Request) -> Response:
        return await self._handle(request, "webhook", lambda body: read_event(body, self.mapping))

    async def _handle(self, request: Request, kind: str, read: Callable[[Any], Translated]) -> Response:
        principal: Principal = request.state.principal  # its role was checked (service.http.authorization)
        try:
            if principal.key_id is None:
                raise PermissionDenied(
                    "Zendesk payloads take an API key, not a person's bearer token: "
                    "create one with `cshub keys create --role ingest`"
                )
            principal.require_source(self.settings.zendesk_source, "send Zendesk payloads, which are stored as")
            _require_json(request)
            body = await self._read_body(request)
            if kind == "webhook":
                self._verify(request, body)
            parsed = parse_json(body)
            self._within_limits(parsed)
            translated = read(parsed)
        except CshubError as error:
            await self._settle(request, principal, kind, Outcome.REFUSED, error.code)
            raise
        if self.slots.locked():
            raise Overloaded(f"this replica is already running {self.settings.ingest_max_concurrent} ingest batches")
        async with self.slots:
            written = await self._ingest(request, principal, kind, translated)
        if translated.single is not None:
            _refuse_single(translated.single, written.results)
        answer: dict[str, Any] = {
            "source": self.settings.zendesk_source,
            "totals": totals(written.results),
            "results": [result.as_json() for result in written.results],
        }
        if isinstance(parsed, dict):
            answer |= {
                key: parsed[key] for key, kinds in CURSOR_KEYS.items() if isinstance(parsed.get(key, ...), kinds)
            }
        return JSONResponse(answer)

    def _verify(self, request: Request, body: bytes) -> None:
        secret = self.settings.zendesk_webhook_secret
        sent = request.headers.get("x-zendesk-webhook-signature")
        timestamp = request.headers.get("x-zendesk-webhook-signature-timestamp")
        if secret is not None and not signature.signed(secret, body, sent, timestamp):
            raise AuthenticationRequired(
                "X-Zendesk-Webhook-Signature is missing or is not base64(HMAC-SHA256(timestamp + body)) under the "
                "webhook's signing secret (CSHUB_ZENDESK_WEBHOOK_SECRET), with the timestamp of "
                "X-Zendesk-Webhook-Signature-Timestamp"
            )

    def _within_limits(self, body: Any) -> None:
        """Each list at most ``CSHUB_INGEST_MAX_RECORDS``: the incremental export's pages (1,000 tickets and their
        sideloads) fit the default."""
        limit = self.settings.ingest_max_records
        if not isinstance(body, dict):
            return  # refused by the reader, with what the body should be
        for key in ("tickets", "users", "organizations", "metric_sets"):
            if isinstance(body.get(key), list) and len(body[key]) > limit:
                raise PayloadTooLarge(
                    f"{len(body[key])} {key} is over the limit of {limit} per request; ask Zendesk for smaller "
                    "pages (per_page)"
                )

    async def _read_body(self, request: Request) -> bytes:
        limit = self.settings.ingest_max_body_bytes
        too_large = PayloadTooLarge(f"the body is over the limit of {limit} bytes; send smaller pages")
        return await read_limited(request, limit, too_large)

    async def _ingest(self, request: Request, principal: Principal, kind: str, translated: Translated) -> Written:
        target = Target(
            source=self.settings.zendesk_source,
            who=Who.of(principal),
            request_id=request.state.request_id,
            source_priority=self.settings.source_priority,
            shared_domains=shared_domains(self.settings.shared_domains),
        )

        async def work(conn: AsyncConnection) -> Written:
            return await write_payload(conn, translated, target)

        engine = request.state.engine
        try:
            async with database_errors(engine.url.render_as_string(hide_password=False)):
                written: Written = await in_transaction(engine, work)
        except Exception as error:  # rolled back: record the failure after, in its own transaction
            code = error.code if isinstance(error, CshubError) else None
            await self._settle(request, principal, kind, outcome_of(error), code)
            raise
        refresher = getattr(request.state, "health_refresher", None)
        if refresher is not None:
            for entity in sorted(written.changed):
                refresher.inputs_changed(entity)  # committed: scores catch up after the debounce
        return written

    async def _settle(
        self, request: Request, principal: Principal, kind: str, outcome: Outcome, code: str | None
    ) -> None:
        """Record a request refused before it ran, or one whose transaction failed (never raises)."""
        details = {"source": self.settings.zendesk_source}
        write = AuditedWrite(Who.of(principal), ACTION, kind, details, request.state.request_id)
        await write.settle(request.state.engine, outcome, code)


def _refuse_single(item: str, results: list[ItemResult]) -> None:
    """A payload of one ticket (or an event) whose ticket was refused is answered as a refusal of that item."""
    refused = [result for result in results if result.item == item and result.entity == "tickets" and result.rejected]
    if refused:
        errors = "; ".join(f"{error.path}: {error.message}" for result in refused for error in result.errors)
        raise InvalidInput(f"{item} (Zendesk ticket {refused[0].vendor_id or 'without id'}) was not taken: {errors}")


def _require_json(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise UnsupportedMediaType(f"send Zendesk payloads as application/json (got {media_type or 'none'})")
