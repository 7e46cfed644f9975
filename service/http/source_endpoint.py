"""What the source adapters' routes (``zendesk_routes``, ``salesforce_routes``, ``hubspot_routes``) share.

Each route takes a vendor payload, refuses it whole before anything is written (wrong key, media type, size,
signature, a body that is no payload of the vendor: problem+json, the refusal audited) or writes it in one
transaction through the ingest service, within the ingest route's batch slots (429 when they are taken): if the
database fails nothing was written (503, the failure audited in its own transaction). After the commit the
health refresher hears which score inputs changed. The answer is 200 with one result per record; a payload of
one object whose record was refused is 422.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request

from service.adapters.writing import ItemResult, Target, Written, totals
from service.api_keys.service import Principal
from service.audit.service import AuditedWrite, Outcome, Who, outcome_of
from service.db.pool import database_errors, in_transaction
from service.errors import CshubError, InvalidInput, Overloaded, PayloadTooLarge, PermissionDenied, UnsupportedMediaType
from service.http.after_ingest import committed
from service.http.bodies import read_limited
from service.ingest.shared_domains import shared_domains
from service.settings import Settings


class SourceEndpoint:
    """One per source and app: the source's name in cshub, its audit action, and the ingest route's batch slots."""

    def __init__(self, settings: Settings, slots: asyncio.Semaphore, *, source: str, vendor: str, action: str) -> None:
        self.settings = settings
        self.slots = slots
        self.source = source
        self.vendor = vendor  # as people call it, in messages: "Zendesk"
        self.action = action

    def require_key(self, principal: Principal) -> None:
        """An API key (a source is a machine), bound, if at all, to this source."""
        if principal.key_id is None:
            raise PermissionDenied(
                f"{self.vendor} payloads take an API key, not a person's bearer token: "
                "create one with `cshub keys create --role ingest`"
            )
        principal.require_source(self.source, f"send {self.vendor} payloads, which are stored as")

    def require_json(self, request: Request, what: str | None = None) -> None:
        """``application/json`` (or a ``+json`` type); ``what`` names the payloads in the message."""
        media_type = media_type_of(request)
        if media_type != "application/json" and not (
            media_type.startswith("application/") and media_type.endswith("+json")
        ):
            raise UnsupportedMediaType(
                f"send {what or f'{self.vendor} payloads'} as application/json (got {media_type or 'none'})"
            )

    async def read_body(self, request: Request) -> bytes:
        """The body, up to ``CSHUB_INGEST_MAX_BODY_BYTES`` (413 beyond)."""
        limit = self.settings.ingest_max_body_bytes
        too_large = PayloadTooLarge(f"the body is over the limit of {limit} bytes; send smaller pages")
        return await read_limited(request, limit, too_large)

    @contextlib.asynccontextmanager
    async def refusing(self, request: Request, who: Who, kind: str) -> AsyncIterator[None]:
        """A refusal raised inside is audited, then answered (problem+json)."""
        try:
            yield
        except CshubError as error:
            await self.settle(request, who, kind, Outcome.REFUSED, error.code)
            raise

    async def ingest(
        self, request: Request, who: Who, kind: str, write: Callable[[AsyncConnection, Target], Awaitable[Written]]
    ) -> Written:
        """``write`` the payload in one transaction, in a batch slot; the health refresher told what changed."""
        if self.slots.locked():
            raise Overloaded(f"this replica is already running {self.settings.ingest_max_concurrent} ingest batches")
        target = Target(
            source=self.source,
            who=who,
            request_id=request.state.request_id,
            source_priority=self.settings.source_priority,
            shared_domains=shared_domains(self.settings.shared_domains),
        )

        async def work(conn: AsyncConnection) -> Written:
            return await write(conn, target)

        engine = request.state.engine
        async with self.slots:
            try:
                async with database_errors(engine.url):
                    written: Written = await in_transaction(engine, work)
            except Exception as error:  # rolled back: record the failure after, in its own transaction
                code = error.code if isinstance(error, CshubError) else None
                await self.settle(request, who, kind, outcome_of(error), code)
                raise
        committed(request, written.changed)
        return written

    def answer(self, written: Written) -> dict[str, Any]:
        return {
            "source": self.source,
            "totals": totals(written.results),
            "results": [result.as_json() for result in written.results],
        }

    async def settle(self, request: Request, who: Who, kind: str, outcome: Outcome, code: str | None) -> None:
        """Record a request refused before it ran, or one whose transaction failed (never raises)."""
        write = AuditedWrite(who, self.action, kind, {"source": self.source}, request.state.request_id)
        await write.settle(request.state.engine, outcome, code)


def refuse_single(
    results: Sequence[ItemResult], item: str, describe: Callable[[ItemResult], str], entity: str | None = None
) -> None:
    """A payload of one object (``item``) whose record was refused is answered as a refusal of that object (422),
    ``describe`` naming it from its result."""
    refused = [
        result for result in results if result.item == item and result.rejected and entity in (None, result.entity)
    ]
    if refused:
        errors = "; ".join(f"{error.path}: {error.message}" for result in refused for error in result.errors)
        raise InvalidInput(f"{describe(refused[0])} was not taken: {errors}")


def media_type_of(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
