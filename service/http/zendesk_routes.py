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

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.adapters.zendesk import signature
from service.adapters.zendesk.mapping import load_mapping
from service.adapters.zendesk.payloads import Translated, read_event, read_page
from service.adapters.zendesk.service import write_payload
from service.api_keys.service import Principal
from service.audit.service import Who
from service.errors import AuthenticationRequired, PayloadTooLarge
from service.http.bodies import parse_json
from service.http.source_endpoint import SourceEndpoint, refuse_single
from service.settings import Settings

ACTION = "ingest:zendesk"
KINDS = ("tickets", "webhook")
# The incremental export's cursor, echoed for the puller's log (when it has Zendesk's types).
CURSOR_KEYS = {"after_cursor": (str, type(None)), "before_cursor": (str, type(None)), "end_of_stream": (bool,)}


class ZendeskEndpoint(SourceEndpoint):
    """One per app: the mapping (read and checked here, at start-up) and the ingest route's batch slots."""

    def __init__(self, settings: Settings, slots: asyncio.Semaphore) -> None:
        super().__init__(settings, slots, source=settings.zendesk_source, vendor="Zendesk", action=ACTION)
        self.mapping = load_mapping(settings.zendesk_mapping_file)

    async def tickets(self, request: Request) -> Response:
        return await self._handle(request, "tickets", lambda body: read_page(body, self.mapping))

    async def webhook(self, request: Request) -> Response:
        return await self._handle(request, "webhook", lambda body: read_event(body, self.mapping))

    async def _handle(self, request: Request, kind: str, read: Callable[[Any], Translated]) -> Response:
        principal: Principal = request.state.principal  # its role was checked (service.http.authorization)
        who = Who.of(principal)
        async with self.refusing(request, who, kind):
            self.require_key(principal)
            self.require_json(request)
            body = await self.read_body(request)
            if kind == "webhook":
                self._verify(request, body)
            parsed = parse_json(body)
            self._within_limits(parsed)
            translated = read(parsed)
        written = await self.ingest(request, who, kind, lambda conn, target: write_payload(conn, translated, target))
        if translated.single is not None:
            refuse_single(
                written.results,
                translated.single,
                lambda refused: f"{refused.item} (Zendesk ticket {refused.vendor_id or 'without id'})",
                entity="tickets",
            )
        answer = self.answer(written)
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
