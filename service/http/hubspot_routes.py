"""``POST /hubspot/v1/objects/{object_type}`` and ``POST /hubspot/v1/webhook``: HubSpot CRM payloads as HubSpot
sends them.

``objects`` takes what HubSpot's CRM v3 API returns for ``companies``, ``contacts`` or ``deals`` — a list,
search or batch-read page (``{"results": [...], "paging": {...}}``) or one object — so a puller forwards each
page as it is; deals bring their line items beside them (``"line_items"``). It takes an API key of role
``ingest`` or ``admin`` as a bearer, bound, if at all, to the HubSpot source.

``webhook`` is the target URL of a HubSpot app's webhook subscriptions. HubSpot sends no API key, so the route
needs none: the request is authenticated by its ``X-HubSpot-Signature-v3`` under the app's client secret
(``CSHUB_HUBSPOT_APP_SECRET``; unset, every request is refused), and one whose signature does not verify, or
whose ``X-HubSpot-Request-Timestamp`` is more than five minutes off, is 401 with nothing written.

All records of a request are written in one transaction by ``service.adapters.hubspot.service`` through the
ingest service: if the database fails, nothing was written (503, safe to retry). The answer is 200 with one
result per record, naming the payload item it came from (``results[3]``, ``events[0]``) and its errors in
HubSpot's field names; a bad item never loses the good ones. A one-object payload whose object is refused is
answered 422, what else it held being kept.
"""

import asyncio
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.adapters.hubspot import signature
from service.adapters.hubspot.events import read_events
from service.adapters.hubspot.mapping import load_mapping
from service.adapters.hubspot.payloads import OBJECT_TYPES, Translated, read_objects
from service.adapters.hubspot.service import write_payload
from service.api_keys.service import Principal
from service.audit.service import Who
from service.errors import AuthenticationRequired, NotFound, PayloadTooLarge
from service.http.bodies import parse_json
from service.http.source_endpoint import SourceEndpoint, refuse_single
from service.settings import Settings

ACTION = "ingest:hubspot"
WEBHOOK = Who(key_id=None, name="hubspot webhook", role=None)  # HubSpot's signed requests carry no key


class HubSpotEndpoint(SourceEndpoint):
    """One per app: the mapping (read and checked here, at start-up) and the ingest route's batch slots."""

    def __init__(self, settings: Settings, slots: asyncio.Semaphore) -> None:
        super().__init__(settings, slots, source=settings.hubspot_source, vendor="HubSpot", action=ACTION)
        self.mapping = load_mapping(settings.hubspot_mapping_file)

    async def objects(self, request: Request) -> Response:
        object_type = request.path_params["object_type"]
        principal: Principal = request.state.principal  # its role was checked (service.http.authorization)
        who = Who.of(principal)
        async with self.refusing(request, who, object_type):
            if object_type not in OBJECT_TYPES:
                raise NotFound(
                    f"HubSpot object type {object_type!r} is not taken: send {', '.join(OBJECT_TYPES)} (line items "
                    "come beside their deals)"
                )
            self.require_key(principal)
            body = await self._read_body(request)
        return await self._handle(request, who, object_type, body, lambda parsed: self._objects(object_type, parsed))

    async def webhook(self, request: Request) -> Response:
        async with self.refusing(request, WEBHOOK, "webhook"):
            body = await self._read_body(request)
            self._verify(request, body)
        return await self._handle(request, WEBHOOK, "webhook", body, self._events)

    def _objects(self, object_type: str, body: Any) -> Translated:
        limit = self.settings.ingest_max_records
        if isinstance(body, dict):
            for key in ("results", "line_items"):
                entries = body.get(key)
                entries = entries.get("results") if isinstance(entries, dict) else entries
                if isinstance(entries, list) and len(entries) > limit:
                    raise PayloadTooLarge(f"{len(entries)} {key} is over the limit of {limit} per request")
        return read_objects(object_type, body, self.mapping)

    def _events(self, body: Any) -> Translated:
        limit = self.settings.ingest_max_records
        if isinstance(body, list) and len(body) > limit:
            raise PayloadTooLarge(f"{len(body)} events is over the limit of {limit} per request")
        return read_events(body, self.mapping)

    async def _handle(
        self, request: Request, who: Who, kind: str, body: bytes, read: Callable[[Any], Translated]
    ) -> Response:
        async with self.refusing(request, who, kind):
            translated = read(parse_json(body))
        written = await self.ingest(request, who, kind, lambda conn, target: write_payload(conn, translated, target))
        if translated.single is not None:
            refuse_single(
                written.results,
                translated.single,
                lambda refused: f"the HubSpot object {refused.vendor_id or 'without id'}",
            )
        return JSONResponse(self.answer(written))

    def _verify(self, request: Request, body: bytes) -> None:
        secret = self.settings.hubspot_app_secret
        if secret is None:
            raise AuthenticationRequired(
                "HubSpot webhooks are verified with the app's client secret: set CSHUB_HUBSPOT_APP_SECRET"
            )
        problem = signature.signed(
            secret,
            request.method,
            str(request.url),
            body,
            request.headers.get("x-hubspot-signature-v3"),
            request.headers.get("x-hubspot-request-timestamp"),
            int(time.time() * 1000),
        )
        if problem is not None:
            raise AuthenticationRequired(problem)

    async def _read_body(self, request: Request) -> bytes:
        self.require_json(request)
        return await self.read_body(request)
