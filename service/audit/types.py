"""GraphQL types of the audit log, mapped from ``AuditRow`` here."""

import datetime as dt
from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from service.audit.queries import AuditRow
from service.graphql.relay import PageInfo, encode_cursor

AUDIT_ENTRY_TYPE_NAME = "AuditEntry"


@strawberry.enum(description="How a write ended.")
class AuditOutcome(Enum):
    OK = strawberry.enum_value("ok", description="Committed; the entry was written in the same transaction.")
    REFUSED = strawberry.enum_value(
        "refused", description="Refused (role, validation, domain rule, conflict); nothing was changed."
    )
    FAILED = strawberry.enum_value("failed", description="Failed unexpectedly (database, bug); nothing was changed.")


@strawberry.type(description="One write to the hub: who, what, when and how it ended. Never holds PII or secrets.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="Id of the entry.")
    occurred_at: dt.datetime = strawberry.field(description="When (UTC).")
    key_id: strawberry.ID | None = strawberry.field(
        description="The API key's id; null for a person's bearer token and for the command line."
    )
    person_id: strawberry.ID | None = strawberry.field(
        description="The person's id (bearer token, cshub's id for the token's subject); null for API keys."
    )
    actor: str = strawberry.field(description="The API key's name, `person <subject>` for a person, or `cli`.")
    role: str | None = strawberry.field(description="The key's or person's role; null for the command line.")
    action: str = strawberry.field(
        description="What was done: `mutation:<name>`, `ingest:<entity>`, `keys:create`, `keys:revoke`."
    )
    target: str | None = strawberry.field(
        description="What it acted on, when one thing: a global id, an ingest entity, an API key id."
    )
    outcome: AuditOutcome = strawberry.field(description="How it ended.")
    details: JSON = strawberry.field(
        description="More about it, never values people typed: the arguments given (names), the refusal's code, "
        "an ingest batch's source and totals."
    )
    request_id: str | None = strawberry.field(description="The request's id (X-Request-ID), when over HTTP.")

    @classmethod
    def from_row(cls, row: AuditRow) -> "AuditEntry":
        return cls(
            id=strawberry.ID(str(row.id)),
            occurred_at=row.occurred_at,
            key_id=strawberry.ID(str(row.key_id)) if row.key_id else None,
            person_id=strawberry.ID(str(row.person_id)) if row.person_id else None,
            actor=row.actor,
            role=row.role,
            action=row.action,
            target=row.target,
            outcome=AuditOutcome(row.outcome),
            details=cast(JSON, row.details),
            request_id=row.request_id,
        )


@strawberry.type(description="An audit entry and its cursor.")
class AuditEntryEdge:
    node: AuditEntry = strawberry.field(description="The entry.")
    cursor: str = strawberry.field(description="Pass as `after` to continue after this entry.")


@strawberry.type(description="A page of audit entries, newest first (Relay connection).")
class AuditEntryConnection:
    edges: list[AuditEntryEdge] = strawberry.field(description="The entries of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Pagination state of this page.")


def audit_edge(row: AuditRow) -> AuditEntryEdge:
    return AuditEntryEdge(node=AuditEntry.from_row(row), cursor=encode_cursor((row.occurred_at.isoformat(), row.id)))


@strawberry.input(description="Which audit entries; every condition given must hold (null: no condition).")
class AuditLogFilter:
    key_id: strawberry.ID | None = strawberry.field(default=None, description="Written with this API key (its id).")
    person_id: strawberry.ID | None = strawberry.field(default=None, description="Written by this person (their id).")
    action: str | None = strawberry.field(default=None, description="This action, e.g. `mutation:addGoal`.")
    outcome: AuditOutcome | None = strawberry.field(default=None, description="Ending so.")
    from_: dt.datetime | None = strawberry.field(default=None, name="from", description="At or after (UTC).")
    to: dt.datetime | None = strawberry.field(default=None, description="Before (UTC).")
