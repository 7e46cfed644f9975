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

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.adapters.hubspot import signature
from service.adapters.hubspot.events import read_events
from service.adapters.hubspot.mapping import load_mapping
from service.adapters.hubspot.payloads import OBJECT_TYPES, Translated, read_objects
from service.adapters.hubspot.service import Written, write_payload
from service.adapters.writing import ItemResult, Target, totals
from service.api_keys.service import Principal
from service.audit.service import AuditedWrite, Outcome, Who, outcome_of
from service.db.pool import database_errors, in_transaction
from service.errors import (
    AuthenticationRequired,
    CshubError,
    InvalidInput,
    NotFound,
    Overloaded,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMediaType,
)
from service.http.bodies import parse_json, read_limited
from service.ingest.shared_domains import shared_domains
from service.settings import Settings

ACTION = "ingest:hubspot"
WEBHOOK = Who(key_id=None, name="hubspot webhook", role=None)  # HubSpot's signed requests carry no key


class HubSpotEndpoint:
    """One per app: the mapping (read and checked here, at start-up) and the ingest route's batch slots."""

    def __init__(self, settings: Settings, slots: asyncio.Semaphore) -> None:
        self.settings = settings
        self.slots = slots
        self.mapping = load_mapping(settings.hubspot_mapping_file)

    async def objects(self, request: Request) -> Response:
        object_type = request.path_params["object_type"]
        principal: Principal = request.state.principal  # its role was checked (service.http.authorization)
        who = Who.of(principal)
        try:
            if object_type not in OBJECT_TYPES:
                raise NotFound(
                    f"HubSpot object type {object_type!r} is not taken: send {', '.join(OBJECT_TYPES)} (line items "
                    "come beside their deals)"
                )
            if principal.key_id is None:
                raise PermissionDenied(
                    "HubSpot payloads take an API key, not a person's bearer token: "
                    "create one with `cshub keys create --role ingest`"
                )
            principal.require_source(self.settings.hubspot_source, "send HubSpot payloads, which are stored as")
            body = await self._read_body(request)
        except CshubError as error:
            await self._settle(request, who, object_type, Outcome.REFUSED, error.code)
            raise
        return await self._handle(request, who, object_type, body, lambda parsed: self._objects(object_type, parsed))

    async def webhook(self, request: Request) -> Response:
        try:
            body = await self._read_body(request)
            self._verify(request, body)
        except CshubError as error:
            await self._settle(request, WEBHOOK, "webhook", Outcome.REFUSED, error.code)
            raise
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
        try:
            parsed = parse_json(body)
            translated = read(parsed)
        except CshubError as error:
            await self._settle(request, who, kind, Outcome.REFUSED, error.code)
            raise
        if self.slots.locked():
            raise Overloaded(f"this replica is already running {self.settings.ingest_max_concurrent} ingest batches")
        async with self.slots:
            written = await self._ingest(request, who, kind, translated)
        if translated.single is not None:
            _refuse_single(translated.single, written.results)
        return JSONResponse(
            {
                "source": self.settings.hubspot_source,
                "totals": totals(written.results),
                "results": [result.as_json() for result in written.results],
            }
        )

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
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            raise UnsupportedMediaType(f"send HubSpot payloads as application/json (got {media_type or 'none'})")
        limit = self.settings.ingest_max_body_bytes
        too_large = PayloadTooLarge(f"the body is over the limit of {limit} bytes; send smaller pages")
        return await read_limited(request, limit, too_large)

    async def _ingest(self, request: Request, who: Who, kind: str, translated: Translated) -> Written:
        target = Target(
            source=self.settings.hubspot_source,
            who=who,
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
            await self._settle(request, who, kind, outcome_of(error), code)
            raise
        refresher = getattr(request.state, "health_refresher", None)
        if refresher is not None:
            for entity in sorted(written.changed):
                refresher.inputs_changed(entity)  # committed: scores catch up after the debounce
        return written

    async def _settle(self, request: Request, who: Who, kind: str, outcome: Outcome, code: str | None) -> None:
        """Record a request refused before it ran, or one whose transaction failed (never raises)."""
        details = {"source": self.settings.hubspot_source}
        write = AuditedWrite(who, ACTION, kind, details, request.state.request_id)
        await write.settle(request.state.engine, outcome, code)


def _refuse_single(item: str, results: list[ItemResult]) -> None:
    """A payload of one object whose record was refused is answered as a refusal of that object."""
    refused = [result for result in results if result.item == item and result.rejected]
    if refused:
        errors = "; ".join(f"{error.path}: {error.message}" for result in refused for error in result.errors)
        raise InvalidInput(f"the HubSpot object {refused[0].vendor_id or 'without id'} was not taken: {errors}")
