"""``POST /salesforce/v1/records``, ``/salesforce/v1/bulk/{sobject}`` and ``/salesforce/v1/events``: Salesforce
payloads as Salesforce returns or sends them.

``records`` takes a REST query result (``GET /services/data/vXX.X/query?q=…``: ``{"totalSize", "done",
"records": [...]}``, records of Account, Contact, Opportunity, OpportunityLineItem and Case, with relationship
sub-queries such as ``OpportunityLineItems``), so a puller forwards each page (``nextRecordsUrl``) as it is.
``bulk/{sobject}`` takes a Bulk API 2.0 query job's results as Salesforce returns them (``text/csv``, a header
row of API field names), ``sobject`` naming their object. ``events`` takes Change Data Capture events (one, a
list, or ``{"events": [...]}``) as a Pub/Sub or Streaming API subscriber decoded them. All take an API key of role
``ingest`` or ``admin`` as a bearer, bound, if at all, to the Salesforce source.

All records of a request are written in one transaction by ``service.adapters.salesforce.service`` through the
ingest service: if the database fails, nothing was written (503, safe to retry). The answer is 200 with one result
per record, naming the payload item it came from (``records[3]``, ``rows[2]``, ``events[0]``) and its errors in
Salesforce's field names, and ``requery``: the records Salesforce could not or did not fully send (gap events,
opportunity changes), to query again; a bad item never loses the good ones. A body that is no Salesforce payload
is refused as a whole (400, problem+json).
"""

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.adapters.salesforce.events import read_events
from service.adapters.salesforce.mapping import load_mapping
from service.adapters.salesforce.payloads import ENTITIES, Translated, read_csv, read_records
from service.adapters.salesforce.service import Written, write_payload
from service.adapters.writing import Target, totals
from service.api_keys.service import Principal
from service.audit.service import AuditedWrite, Outcome, Who, outcome_of
from service.db.pool import database_errors, in_transaction
from service.errors import (
    BadRequest,
    CshubError,
    NotFound,
    Overloaded,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMediaType,
)
from service.http.bodies import parse_json, read_limited
from service.ingest.shared_domains import shared_domains
from service.settings import Settings

ACTION = "ingest:salesforce"
KINDS = ("records", "bulk", "events")


class SalesforceEndpoint:
    """One per app: the mapping (read and checked here, at start-up) and the ingest route's batch slots."""

    def __init__(self, settings: Settings, slots: asyncio.Semaphore) -> None:
        self.settings = settings
        self.slots = slots
        self.mapping = load_mapping(settings.salesforce_mapping_file)

    async def records(self, request: Request) -> Response:
        return await self._handle(request, "records", lambda body: read_records(self._json(body), self.mapping))

    async def events(self, request: Request) -> Response:
        return await self._handle(request, "events", lambda body: read_events(self._json(body), self.mapping))

    async def bulk(self, request: Request) -> Response:
        sobject = request.path_params["sobject"]
        return await self._handle(
            request,
            "bulk",
            lambda body: read_csv(self._csv(body, sobject), sobject, self.mapping, self.settings.ingest_max_records),
        )

    def _json(self, body: bytes) -> Any:
        parsed = parse_json(body)
        limit = self.settings.ingest_max_records
        for key in ("records", "events"):
            if isinstance(parsed, dict) and isinstance(parsed.get(key), list) and len(parsed[key]) > limit:
                raise PayloadTooLarge(
                    f"{len(parsed[key])} {key} is over the limit of {limit} per request; send smaller pages"
                )
        if isinstance(parsed, list) and len(parsed) > limit:
            raise PayloadTooLarge(f"{len(parsed)} events is over the limit of {limit} per request")
        return parsed

    def _csv(self, body: bytes, sobject: str) -> str:
        if sobject not in ENTITIES:
            raise NotFound(f"{sobject}: the Bulk API objects read are {', '.join(ENTITIES)}")
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequest("the CSV is not UTF-8 text") from None
        if "\x00" in text:
            raise BadRequest("the body contains NUL characters, which cannot be stored")
        return text

    async def _handle(self, request: Request, kind: str, read: Callable[[bytes], Translated]) -> Response:
        principal: Principal = request.state.principal  # its role was checked (service.http.authorization)
        try:
            if principal.key_id is None:
                raise PermissionDenied(
                    "Salesforce payloads take an API key, not a person's bearer token: "
                    "create one with `cshub keys create --role ingest`"
                )
            principal.require_source(self.settings.salesforce_source, "send Salesforce payloads, which are stored as")
            _require_media_type(request, "text/csv" if kind == "bulk" else "json")
            body = await self._read_body(request)
            translated = read(body)
        except CshubError as error:
            await self._settle(request, principal, kind, Outcome.REFUSED, error.code)
            raise
        if self.slots.locked():
            raise Overloaded(f"this replica is already running {self.settings.ingest_max_concurrent} ingest batches")
        async with self.slots:
            written = await self._ingest(request, principal, kind, translated)
        answer: dict[str, Any] = {
            "source": self.settings.salesforce_source,
            "totals": totals(written.results),
            "results": [result.as_json() for result in written.results],
            "requery": translated.requery,
            **translated.paging,
        }
        return JSONResponse(answer)

    async def _read_body(self, request: Request) -> bytes:
        limit = self.settings.ingest_max_body_bytes
        too_large = PayloadTooLarge(f"the body is over the limit of {limit} bytes; send smaller pages")
        return await read_limited(request, limit, too_large)

    async def _ingest(self, request: Request, principal: Principal, kind: str, translated: Translated) -> Written:
        target = Target(
            source=self.settings.salesforce_source,
            who=Who.of(principal),
            request_id=request.state.request_id,
            source_priority=self.settings.source_priority,
            shared_domains=shared_domains(self.settings.shared_domains),
        )
        today = dt.datetime.now(dt.UTC).date()

        async def work(conn: AsyncConnection) -> Written:
            return await write_payload(conn, translated, target, self.mapping, today)

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
        details = {"source": self.settings.salesforce_source}
        write = AuditedWrite(Who.of(principal), ACTION, kind, details, request.state.request_id)
        await write.settle(request.state.engine, outcome, code)


def _require_media_type(request: Request, wanted: str) -> None:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if wanted == "json":
        if media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json")):
            return
        raise UnsupportedMediaType(
            f"send Salesforce records and events as application/json (got {media_type or 'none'})"
        )
    if media_type != wanted:
        raise UnsupportedMediaType(
            f"send Bulk API results as {wanted}, as Salesforce returns them (got {media_type or 'none'})"
        )
