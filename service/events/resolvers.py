"""Webhook management over GraphQL (admin only, service/authorization.py): endpoints, the delivery log, redelivery
and replay of a time window."""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from service.errors import CshubError, InvalidInput
from service.events import queries, service
from service.events.ssrf import AddressPolicy
from service.events.types import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEndpointDeleted,
    WebhookEndpointWithSecret,
    WebhookReplay,
)
from service.graphql.context import Context
from service.graphql.mutation_errors import MutationError
from service.graphql.permissions import caller
from service.settings import Settings

MAX_DELIVERIES = 200
T = TypeVar("T")


def address_policy(settings: Settings) -> AddressPolicy:
    return AddressPolicy(settings.webhook_allow_loopback, settings.webhook_allow_private_networks)


def _uuid(value: strawberry.ID, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(f"{field}: not an id of this kind (a UUID, as the API returned it)", field=field) from None


async def webhook_endpoints(info: strawberry.Info[Context]) -> list[WebhookEndpoint]:
    async with info.context.read() as conn:
        return [WebhookEndpoint.from_row(row) for row in await queries.endpoints(conn)]


async def webhook_deliveries(
    info: strawberry.Info[Context],
    endpoint_id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint whose log to read.")],
    status: Annotated[
        list[WebhookDeliveryStatus] | None, strawberry.argument(description="Only deliveries in these states.")
    ] = None,
    first: Annotated[int, strawberry.argument(description=f"How many, newest first (1–{MAX_DELIVERIES}).")] = 50,
) -> list[WebhookDelivery]:
    if not 1 <= first <= MAX_DELIVERIES:
        raise InvalidInput(f"first: 1 to {MAX_DELIVERIES}", field="first")
    statuses = [str(s.value) for s in status] if status is not None else None
    async with info.context.read() as conn:
        deliveries = await queries.deliveries_of_endpoint(
            conn, _uuid(endpoint_id, "endpointId"), statuses=statuses, limit=first
        )
        attempts = await queries.attempts_of_deliveries(conn, [row.id for row in deliveries])
    by_delivery = defaultdict(list)
    for attempt in attempts:
        by_delivery[attempt.delivery_id].append(attempt)
    return [WebhookDelivery.from_row(row, by_delivery[row.id]) for row in deliveries]


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="Where to post (https recommended); must resolve to public addresses.")
    event_types: list[str] = strawberry.field(
        description="Event types to receive: `*`, `<family>.*` such as `handoff.*`, or exact types (GET "
        "/events/catalogue lists them)."
    )
    segments: list[str] | None = strawberry.field(
        default=None, description="Only accounts of these segments (enterprise, mid_market, smb, startup)."
    )
    csm_owners: list[str] | None = strawberry.field(default=None, description="Only accounts these CSMs own.")
    description: str | None = strawberry.field(default=None, description="What it is for (up to 1000 characters).")
    enabled: bool = strawberry.field(default=True, description="Start delivering right away.")


@strawberry.input(description="Changes to a webhook endpoint: fields left out stay as they are.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str | None = strawberry.field(default=None, description="A new URL (checked like a new one).")
    event_types: list[str] | None = strawberry.field(default=None, description="New event types and patterns.")
    segments: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="New segments filter; null: every segment."
    )
    csm_owners: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="New CSM owners filter; null: every owner."
    )
    description: str | None = strawberry.field(default=strawberry.UNSET, description="New description.")
    enabled: bool | None = strawberry.field(
        default=None, description="false disables it (nothing is queued); true enables it again."
    )


EndpointResult = Annotated[
    WebhookEndpoint | MutationError,
    strawberry.union("WebhookEndpointResult", description="The endpoint after the change, or why not."),
]
EndpointWithSecretResult = Annotated[
    WebhookEndpointWithSecret | MutationError,
    strawberry.union("WebhookEndpointWithSecretResult", description="The endpoint and its new secret, or why not."),
]
DeletedResult = Annotated[
    WebhookEndpointDeleted | MutationError,
    strawberry.union("WebhookEndpointDeletedResult", description="The deleted endpoint, or why not."),
]
ReplayResult = Annotated[
    WebhookReplay | MutationError,
    strawberry.union("WebhookReplayResult", description="What was queued again, or why not."),
]
DeliveryResult = Annotated[
    WebhookDelivery | MutationError,
    strawberry.union("WebhookDeliveryResult", description="The delivery queued again, or why not."),
]


async def _write(info: strawberry.Info[Context], work: Callable[[AsyncConnection], Awaitable[T]]) -> T | MutationError:
    caller(info)
    try:
        return await info.context.write(work)
    except CshubError as error:
        return MutationError.from_error(error)


def _given(value: object) -> object:
    return service.UNSET if value is strawberry.UNSET else value


async def create_webhook_endpoint(
    info: strawberry.Info[Context],
    input: Annotated[CreateWebhookEndpointInput, strawberry.argument(description="The endpoint.")],
) -> EndpointWithSecretResult:
    new = service.NewEndpoint(
        input.url, input.event_types, input.segments, input.csm_owners, input.description, input.enabled
    )
    policy = address_policy(info.context.settings)
    actor = caller(info).actor

    async def work(conn: AsyncConnection) -> WebhookEndpointWithSecret:
        created = await service.create_endpoint(conn, new, by=actor, policy=policy)
        return WebhookEndpointWithSecret(endpoint=WebhookEndpoint.from_row(created.endpoint), secret=created.secret)

    return await _write(info, work)


async def update_webhook_endpoint(
    info: strawberry.Info[Context],
    input: Annotated[UpdateWebhookEndpointInput, strawberry.argument(description="The endpoint and its changes.")],
) -> EndpointResult:
    changes = service.EndpointChanges(
        url=input.url,
        event_types=input.event_types,
        segments=_given(input.segments),  # type: ignore[arg-type]
        csm_owners=_given(input.csm_owners),  # type: ignore[arg-type]
        description=_given(input.description),  # type: ignore[arg-type]
        enabled=input.enabled,
    )
    policy = address_policy(info.context.settings)

    async def work(conn: AsyncConnection) -> WebhookEndpoint:
        endpoint_id = _uuid(input.id, "id")
        return WebhookEndpoint.from_row(await service.update_endpoint(conn, endpoint_id, changes, policy=policy))

    return await _write(info, work)


async def delete_webhook_endpoint(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint's id.")],
) -> DeletedResult:
    async def work(conn: AsyncConnection) -> WebhookEndpointDeleted:
        await service.delete_endpoint(conn, _uuid(id, "id"))
        return WebhookEndpointDeleted(id=id)

    return await _write(info, work)


async def rotate_webhook_secret(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint's id.")],
) -> EndpointWithSecretResult:
    overlap = dt.timedelta(hours=info.context.settings.webhook_secret_overlap_hours)

    async def work(conn: AsyncConnection) -> WebhookEndpointWithSecret:
        rotated = await service.rotate_secret(conn, _uuid(id, "id"), now=info.context.loaders.now, overlap=overlap)
        return WebhookEndpointWithSecret(endpoint=WebhookEndpoint.from_row(rotated.endpoint), secret=rotated.secret)

    return await _write(info, work)


async def redeliver_webhook(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="The delivery's id (from webhookDeliveries).")],
) -> DeliveryResult:
    async def work(conn: AsyncConnection) -> WebhookDelivery:
        row = await service.redeliver(conn, _uuid(id, "id"), now=info.context.loaders.now)
        attempts = await queries.attempts_of_deliveries(conn, [row.id])
        return WebhookDelivery.from_row(row, attempts)

    return await _write(info, work)


async def replay_webhook_deliveries(
    info: strawberry.Info[Context],
    endpoint_id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint to send the events to.")],
    from_: Annotated[
        dt.datetime, strawberry.argument(name="from", description="Events that occurred at or after this time…")
    ],
    to: Annotated[dt.datetime, strawberry.argument(description="…and before this one; at most 31 days after from.")],
) -> ReplayResult:
    async def work(conn: AsyncConnection) -> WebhookReplay:
        endpoint = _uuid(endpoint_id, "endpointId")
        replayed = await service.replay(conn, endpoint, from_, to, now=info.context.loaders.now)
        return WebhookReplay(
            endpoint_id=endpoint_id, from_=from_, to=to, queued=replayed.queued, created=replayed.created
        )

    return await _write(info, work)
