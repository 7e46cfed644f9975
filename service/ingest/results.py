"""What an ingest batch answers: one result per record, in input order, and totals by status."""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    CREATED = "created"  # a new entity was stored
    UPDATED = "updated"  # the stored entity changed
    UNCHANGED = "unchanged"  # the record was already stored exactly so (a replay)
    STALE = "stale"  # older than what is stored (updated_at); nothing changed
    UNMATCHED = "unmatched"  # kept aside until its account is known; re-resolved automatically
    REJECTED = "rejected"  # invalid; see errors; nothing stored


@dataclass(frozen=True, slots=True)
class FieldError:
    path: str  # where in the record: "lines[0].mrr"; "" for the record as a whole
    message: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True, slots=True)
class RecordResult:
    index: int
    status: Status
    id: uuid.UUID | None = None
    errors: tuple[FieldError, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": self.status.value,
            "id": str(self.id) if self.id else None,
            "errors": [error.as_json() for error in self.errors],
        }


@dataclass(slots=True)
class BatchResult:
    entity: str
    source: str
    results: list[RecordResult] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        counts = Counter(result.status for result in self.results)
        return {status.value: counts.get(status, 0) for status in Status}

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "source": self.source,
            "totals": self.totals(),
            "results": [result.as_json() for result in self.results],
        }


def rejected(index: int, path: str, message: str) -> RecordResult:
    return RecordResult(index, Status.REJECTED, errors=(FieldError(path, message),))
