"""GraphQL types of webhook management (admin only): endpoints, their deliveries and each attempt."""

import datetime as dt
from enum import Enum

import strawberry

from service.events.messages import message_id
from service.events.queries import AttemptRow, DeliveryRow, EndpointRow


@strawberry.enum(description="Where a webhook message stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Not delivered yet: due now, or waiting for a retry.")
    DELIVERED = strawberry.enum_value("delivered", description="The receiver answered 2xx.")
    FAILED = strawberry.enum_value(
        "failed", description="Given up: the retries ran out, or the receiver answered 410 Gone."
    )


@strawberry.type(description="A webhook endpoint: where events of the chosen types are posted, signed.")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str = strawberry.field(description="Where messages are posted (http or https; public addresses only).")
    description: str | None = strawberry.field(description="What the endpoint is for, as the admin wrote it.")
    event_types: list[str] = strawberry.field(
        description="The event types it receives: `*`, `<family>.*` (e.g. `handoff.*`) or exact types."
    )
    segments: list[str] | None = strawberry.field(
        description="Only events of accounts in these segments; null: any account (and events without one)."
    )
    csm_owners: list[str] | None = strawberry.field(
        description="Only events of accounts these CSMs own; null: any account (and events without one)."
    )
    enabled: bool = strawberry.field(description="Whether new events are queued and delivered to it.")
    disabled_reason: str | None = strawberry.field(description="Why it is disabled (by an admin, 410, failures).")
    previous_secret_expires_at: dt.datetime | None = strawberry.field(
        description="After a rotation: until when the previous secret still signs beside the new one."
    )
    failing_since: dt.datetime | None = strawberry.field(
        description="The first failed attempt since the last success; null while it is healthy."
    )
    created_by: str = strawberry.field(description="Who created it.")
    created_at: dt.datetime = strawberry.field(description="When it was created.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_row(cls, row: EndpointRow) -> "WebhookEndpoint":
        return cls(
            id=strawberry.ID(str(row.id)),
            url=row.url,
            description=row.description,
            event_types=row.event_types,
            segments=row.segments,
            csm_owners=row.csm_owners,
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            previous_secret_expires_at=row.previous_secret_expires_at,
            failing_since=row.failing_since,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="One try at posting a message.")
class WebhookAttempt:
    attempt: int = strawberry.field(description="1 for the first try, 2 for the first retry, …")
    attempted_at: dt.datetime = strawberry.field(description="When it was posted.")
    response_status: int | None = strawberry.field(description="The receiver's HTTP status; null without answer.")
    latency_ms: int = strawberry.field(description="Milliseconds until the answer (or the failure).")
    error: str | None = strawberry.field(description="What went wrong, when it did.")

    @classmethod
    def from_row(cls, row: AttemptRow) -> "WebhookAttempt":
        return cls(
            attempt=row.attempt,
            attempted_at=row.attempted_at,
            response_status=row.response_status,
            latency_ms=row.latency_ms,
            error=row.error,
        )


@strawberry.type(description="One event's message to one endpoint, with its attempts (the delivery log).")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's id (give it to redeliverWebhook).")
    webhook_id: str = strawberry.field(description="The `webhook-id` header: the same on every attempt.")
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint it goes to.")
    event_id: strawberry.ID = strawberry.field(description="The event it carries (`data.eventId`).")
    event_type: str = strawberry.field(description="The event's type.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="Attempts made so far.")
    next_attempt_at: dt.datetime | None = strawberry.field(description="When it is tried next, while pending.")
    last_attempt_at: dt.datetime | None = strawberry.field(description="When it was last tried.")
    response_status: int | None = strawberry.field(description="The last attempt's HTTP status.")
    latency_ms: int | None = strawberry.field(description="The last attempt's latency in milliseconds.")
    last_error: str | None = strawberry.field(description="What went wrong on the last attempt, if it did.")
    delivered_at: dt.datetime | None = strawberry.field(description="When the receiver accepted it.")
    created_at: dt.datetime = strawberry.field(description="When the event queued it.")
    attempt_log: list[WebhookAttempt] = strawberry.field(description="Every attempt, first first.")

    @classmethod
    def from_row(cls, row: DeliveryRow, attempts: list[AttemptRow]) -> "WebhookDelivery":
        return cls(
            id=strawberry.ID(str(row.id)),
            webhook_id=message_id(row.id),
            endpoint_id=strawberry.ID(str(row.endpoint_id)),
            event_id=strawberry.ID(str(row.event_id)),
            event_type=row.event_type,
            status=WebhookDeliveryStatus(row.status),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            last_attempt_at=row.last_attempt_at,
            response_status=row.response_status,
            latency_ms=row.latency_ms,
            last_error=row.last_error,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
            attempt_log=[WebhookAttempt.from_row(attempt) for attempt in attempts],
        )


@strawberry.type(description="An endpoint with its signing secret: shown this once, never again.")
class WebhookEndpointWithSecret:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(
        description="The signing secret (`whsec_<base64>`), for a Standard Webhooks library on the receiver's side."
    )


@strawberry.type(description="The endpoint was deleted, with its delivery log.")
class WebhookEndpointDeleted:
    id: strawberry.ID = strawberry.field(description="The deleted endpoint's id.")


@strawberry.type(description="A time window of events queued again for one endpoint (replayWebhookDeliveries).")
class WebhookReplay:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")
    from_: dt.datetime = strawberry.field(name="from", description="Start of the window (included).")
    to: dt.datetime = strawberry.field(description="End of the window (excluded).")
    queued: int = strawberry.field(
        description="Messages queued to go out now: one per event of the window the endpoint wants, with the "
        "webhook-id it had (the same as before for an event already delivered or tried)."
    )
    created: int = strawberry.field(
        description="Of those, events the endpoint had no delivery of yet (it did not exist or want them then)."
    )
