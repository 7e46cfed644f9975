"""Writing an adapter's records: each through the ingest service (``ingest_audited``), answered per payload item.

An adapter turns one vendor item (a ticket, an organization, a webhook event) into one or more ingest records —
``Pending``: the record, the entity it is, the item it came from and, for errors, which of the item's fields each
record field was read from. ``write`` sends one entity's records as one ingest batch and answers one
``ItemResult`` per record, its errors in the vendor's field names (``tickets[3].priority``), so the caller can
say which item was bad while the good ones are kept.
"""

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from service.audit.service import Who
from service.ingest.results import FieldError, Status
from service.ingest.service import ingest_audited
from service.ingest.shared_domains import SHARED_DOMAINS

SKIPPED = "skipped"  # an item the adapter took and wrote nothing for, by design (the reason is its message)
WRITTEN = (Status.CREATED, Status.UPDATED)


@dataclass(frozen=True, slots=True)
class Target:
    """Where the records go and how they are written: the ingest service's settings for this source."""

    source: str
    who: Who
    request_id: str | None = None
    source_priority: Sequence[str] = ()
    shared_domains: Collection[str] = SHARED_DOMAINS


@dataclass(frozen=True, slots=True)
class Pending:
    item: str  # where in the payload: "tickets[3]", "ticket", "event"
    vendor_id: str | None  # the item's own id in the vendor's system
    entity: str  # the ingest entity of ``record``
    record: dict[str, Any]
    paths: Mapping[str, str] = field(default_factory=dict)  # record field → the item's field, for errors


@dataclass(frozen=True, slots=True)
class ItemResult:
    item: str
    vendor_id: str | None
    entity: str
    status: str  # an ingest ``Status`` value, or SKIPPED
    id: uuid.UUID | None = None
    errors: tuple[FieldError, ...] = ()

    @property
    def rejected(self) -> bool:
        return self.status == Status.REJECTED

    def as_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "id": self.vendor_id,
            "entity": self.entity,
            "status": self.status,
            "cshub_id": str(self.id) if self.id else None,
            "errors": [error.as_json() for error in self.errors],
        }


@dataclass(frozen=True, slots=True)
class Written:
    """What a payload came to: one result per record or item, and the ingest entities it wrote (the health
    refresher's score inputs)."""

    results: list[ItemResult]
    changed: frozenset[str]

    @classmethod
    def of(cls, results: list[ItemResult]) -> "Written":
        return cls(results, frozenset(result.entity for result in results if result.status in WRITTEN))


def refused(item: str, vendor_id: str | None, entity: str, path: str, message: str) -> ItemResult:
    """An item refused before it reached the ingest service (it cannot become a record)."""
    return ItemResult(item, vendor_id, entity, Status.REJECTED, errors=(_error(path, message),))


def skipped(item: str, vendor_id: str | None, entity: str, reason: str) -> ItemResult:
    return ItemResult(item, vendor_id, entity, SKIPPED, errors=(FieldError(item, reason),))


async def write(conn: AsyncConnection, target: Target, entity: str, pending: Sequence[Pending]) -> list[ItemResult]:
    """One ingest batch of ``entity`` (every ``pending`` must be of it), answered per record, in order."""
    if not pending:
        return []
    batch = await ingest_audited(
        conn,
        target.source,
        entity,
        [item.record for item in pending],
        who=target.who,
        request_id=target.request_id,
        source_priority=target.source_priority,
        shared_domains=target.shared_domains,
    )
    return [
        ItemResult(
            item.item,
            item.vendor_id,
            entity,
            result.status.value,
            result.id,
            tuple(
                _error(f"{item.item}.{_vendor_path(error.path, item.paths)}", error.message) for error in result.errors
            ),
        )
        for item, result in zip(pending, batch.results, strict=True)
    ]


def kept(items: Sequence[tuple[Pending, bool]], reason: str) -> tuple[list[Pending], list[ItemResult]]:
    """The records to write, and the items the vendor deleted or archived (``True``) answered skipped with
    ``reason``: cshub does not delete a customer or a contact on a vendor's word."""
    answered = [skipped(item.item, item.vendor_id, item.entity, reason) for item, gone in items if gone]
    return [item for item, gone in items if not gone], answered


def totals(results: Sequence[ItemResult]) -> dict[str, int]:
    counts = {status.value: 0 for status in Status} | {SKIPPED: 0}
    for result in results:
        counts[result.status] += 1
    return counts


def _vendor_path(path: str, paths: Mapping[str, str]) -> str:
    head, dot, rest = path.partition(".")
    name, bracket, index = head.partition("[")
    if head not in paths and bracket and name in paths:  # a list field's item: "lines[0]" → "line_items[0]"
        return f"{paths[name]}[{index}{dot}{rest}"
    return paths.get(head, head) + dot + rest


def _error(path: str, message: str) -> FieldError:
    return FieldError(path.rstrip("."), message)
