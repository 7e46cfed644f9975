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

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.adapters.salesforce.events import read_events
from service.adapters.salesforce.mapping import load_mapping
from service.adapters.salesforce.payloads import ENTITIES, Translated, read_csv, read_records
from service.adapters.salesforce.service import write_payload
from service.api_keys.service import Principal
from service.audit.service import Who
from service.errors import BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType
from service.http.bodies import parse_json
from service.http.source_endpoint import SourceEndpoint, media_type_of
from service.settings import Settings

ACTION = "ingest:salesforce"
KINDS = ("records", "bulk", "events")


class SalesforceEndpoint(SourceEndpoint):
    """One per app: the mapping (read and checked here, at start-up) and the ingest route's batch slots."""

    def __init__(self, settings: Settings, slots: asyncio.Semaphore) -> None:
        super().__init__(settings, slots, source=settings.salesforce_source, vendor="Salesforce", action=ACTION)
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
        who = Who.of(principal)
        async with self.refusing(request, who, kind):
            self.require_key(principal)
            if kind == "bulk":
                _require_csv(request)
            else:
                self.require_json(request, "Salesforce records and events")
            body = await self.read_body(request)
            translated = read(body)
        today = dt.datetime.now(dt.UTC).date()
        written = await self.ingest(
            request, who, kind, lambda conn, target: write_payload(conn, translated, target, self.mapping, today)
        )
        return JSONResponse({**self.answer(written), "requery": translated.requery, **translated.paging})


def _require_csv(request: Request) -> None:
    media_type = media_type_of(request)
    if media_type != "text/csv":
        raise UnsupportedMediaType(
            f"send Bulk API results as text/csv, as Salesforce returns them (got {media_type or 'none'})"
        )
