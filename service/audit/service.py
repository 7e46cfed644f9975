"""Recording writes in the audit log. ``record`` writes one row on the caller's connection (so in the
caller's transaction); ``AuditedWrite`` follows one write through its transaction and records the outcome.

    ok        the write committed; its row was written in the same transaction
    refused   an expected refusal (validation, domain rule, role, conflict): rolled back, recorded after
    failed    anything else (database down, a bug): rolled back, recorded after when the database lets us
"""

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.api_keys.service import Principal
from service.audit import queries
from service.db.pool import in_transaction
from service.errors import CshubError

logger = logging.getLogger("cshub.audit")

MAX_TARGET_LENGTH = 200
T = TypeVar("T")


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Who:
    """Who wrote: an API key (id, name, role), a person (id, `person <subject>`: no name or email, the log
    holds no PII), or the command line (neither)."""

    key_id: uuid.UUID | None
    name: str
    role: str | None
    person_id: uuid.UUID | None = None

    @classmethod
    def of(cls, principal: Principal) -> "Who":
        if principal.person is not None:
            person = principal.person
            return cls(key_id=None, name=f"person {person.subject}", role=principal.role.value, person_id=person.id)
        return cls(key_id=principal.key_id, name=principal.name, role=principal.role.value)


CLI = Who(key_id=None, name="cli", role=None)


def outcome_of(error: BaseException) -> Outcome:
    """An expected failure a client caused (4xx) is a refusal; the rest (5xx, bugs) are failures."""
    return Outcome.REFUSED if isinstance(error, CshubError) and error.status < 500 else Outcome.FAILED


async def record(
    conn: AsyncConnection,
    who: Who,
    action: str,
    *,
    outcome: Outcome = Outcome.OK,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> None:
    """One row, on ``conn`` (in the caller's transaction). ``details`` must hold no PII and no secrets."""
    await queries.insert_entry(
        conn,
        {
            "key_id": who.key_id,
            "person_id": who.person_id,
            "actor": who.name,
            "role": who.role,
            "action": action,
            "target": target[:MAX_TARGET_LENGTH] if target is not None else None,
            "outcome": outcome.value,
            "details": dict(details or {}),
            "request_id": request_id,
        },
    )


@dataclass(slots=True)
class AuditedWrite:
    """One write being audited: ``run`` records ``ok`` inside its transaction, or remembers why it rolled back;
    ``settle`` records that refusal or failure afterwards (once, and only when nothing was recorded yet)."""

    who: Who
    action: str
    target: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    recorded: bool = False
    error: BaseException | None = None

    async def run(self, engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async def audited(conn: AsyncConnection) -> T:
            result = await work(conn)
            await record(
                conn, self.who, self.action, target=self.target, details=self.details, request_id=self.request_id
            )
            return result

        try:
            result = await in_transaction(engine, audited)
        except BaseException as error:
            self.error = error
            raise
        self.recorded = True
        return result

    async def settle(self, engine: AsyncEngine, outcome: Outcome, code: str | None) -> None:
        """Record a write that did not commit, in its own short transaction; never raises (the caller is
        already answering with the original refusal or error)."""
        if self.recorded:
            return
        self.recorded = True
        details = {**self.details, "code": code} if code else dict(self.details)

        async def entry(conn: AsyncConnection) -> None:
            await record(
                conn,
                self.who,
                self.action,
                outcome=outcome,
                target=self.target,
                details=details,
                request_id=self.request_id,
            )

        try:
            await in_transaction(engine, entry)
        except Exception:
            logger.warning(
                "could not record a %s write in the audit log",
                outcome.value,
                extra={"action": self.action, "request_id": self.request_id},
                exc_info=True,
            )
