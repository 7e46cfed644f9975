"""Webhook endpoint use cases: create, change, enable/disable, delete, rotate the secret, redeliver one message,
replay a time window.

Callers own the transaction. Every input is checked before anything is written, so a refused change writes
nothing; a URL is checked against the SSRF guard (``ssrf.py``) whenever it is set.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import SEGMENTS
from service.errors import Conflict, InvalidInput, NotFound
from service.events import queries
from service.events.catalogue import EVENT_FAMILIES, EVENT_TYPES
from service.events.messages import new_secret
from service.events.queries import DeliveryRow, EndpointRow, Replayed
from service.events.ssrf import AddressPolicy, check_destination
from service.events.tables import webhook_deliveries

MAX_PATTERNS = 50
MAX_OWNERS = 100
MAX_TEXT = 200
MAX_DESCRIPTION = 1000
MAX_REPLAY_WINDOW = dt.timedelta(days=31)


def checked_patterns(patterns: Sequence[str]) -> list[str]:
    """``*``, a type of the catalogue, or ``<family>.*`` (``handoff.*``); refused naming the known ones."""
    if not patterns:
        raise InvalidInput(
            "eventTypes: name at least one event type or pattern (`*` for every event)", field="eventTypes"
        )
    if len(patterns) > MAX_PATTERNS:
        raise InvalidInput(f"eventTypes: at most {MAX_PATTERNS} patterns", field="eventTypes")
    kept: list[str] = []
    for pattern in (raw.strip() for raw in patterns):
        known = pattern == "*" or pattern in EVENT_TYPES
        family = pattern.endswith(".*") and pattern[:-2] in EVENT_FAMILIES
        if not (known or family):
            raise InvalidInput(
                f"eventTypes: {pattern!r} is no event type or pattern; use `*`, one of "
                f"{', '.join(f'{name}.*' for name in sorted(EVENT_FAMILIES))}, or a type from GET /events/catalogue",
                field="eventTypes",
            )
        if pattern not in kept:
            kept.append(pattern)
    return kept


def _segments(segments: Sequence[str] | None) -> list[str] | None:
    if segments is None:
        return None
    unknown = sorted(set(segments) - set(SEGMENTS))
    if unknown or not segments:
        raise InvalidInput(
            f"segments: one or more of {', '.join(SEGMENTS)} (or leave it out for every segment)", field="segments"
        )
    return sorted(set(segments))


def _owners(owners: Sequence[str] | None) -> list[str] | None:
    if owners is None:
        return None
    cleaned = sorted({owner.strip() for owner in owners})
    if not cleaned or len(cleaned) > MAX_OWNERS or any(not owner or len(owner) > MAX_TEXT for owner in cleaned):
        raise InvalidInput(
            f"csmOwners: 1 to {MAX_OWNERS} names of 1 to {MAX_TEXT} characters, as accounts' csmOwner has them "
            "(or leave it out for every owner)",
            field="csmOwners",
        )
    return cleaned


def _description(description: str | None) -> str | None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"description: at most {MAX_DESCRIPTION} characters", field="description")
    return description.strip() or None if description is not None else None


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    url: str
    event_types: Sequence[str]
    segments: Sequence[str] | None = None
    csm_owners: Sequence[str] | None = None
    description: str | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class WithSecret:
    endpoint: EndpointRow
    secret: str  # shown once, at creation or rotation


async def create_endpoint(conn: AsyncConnection, new: NewEndpoint, *, by: str, policy: AddressPolicy) -> WithSecret:
    values = {
        "event_types": checked_patterns(new.event_types),
        "segments": _segments(new.segments),
        "csm_owners": _owners(new.csm_owners),
        "description": _description(new.description),
        "enabled": new.enabled,
        "url": await check_destination(new.url, policy),
    }
    secret = new_secret()
    return WithSecret(await queries.insert_endpoint(conn, values | {"secret": secret, "created_by": by}), secret)


UNSET: Any = object()  # an update field left out (None clears the filters)


@dataclass(frozen=True, slots=True)
class EndpointChanges:
    url: str | None = None
    event_types: Sequence[str] | None = None
    segments: Sequence[str] | None = UNSET
    csm_owners: Sequence[str] | None = UNSET
    description: str | None = UNSET
    enabled: bool | None = None


async def _locked(conn: AsyncConnection, endpoint_id: uuid.UUID, field: str = "id") -> EndpointRow:
    found = await queries.locked_endpoint(conn, endpoint_id)
    if found is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", field=field)
    return found


async def update_endpoint(
    conn: AsyncConnection, endpoint_id: uuid.UUID, changes: EndpointChanges, *, policy: AddressPolicy
) -> EndpointRow:
    """Change what is given; enabling clears the reason it was disabled and the failing streak."""
    values: dict[str, Any] = {}
    if changes.event_types is not None:
        values["event_types"] = checked_patterns(changes.event_types)
    if changes.segments is not UNSET:
        values["segments"] = _segments(changes.segments)
    if changes.csm_owners is not UNSET:
        values["csm_owners"] = _owners(changes.csm_owners)
    if changes.description is not UNSET:
        values["description"] = _description(changes.description)
    if changes.url is not None:
        values["url"] = await check_destination(changes.url, policy)
    endpoint = await _locked(conn, endpoint_id)
    if changes.enabled is not None and changes.enabled != endpoint.enabled:
        values["enabled"] = changes.enabled
        values["disabled_reason"] = None if changes.enabled else "disabled by an admin"
        values["failing_since"] = None
    if not values:
        return endpoint
    return await queries.update_endpoint(conn, endpoint_id, values)


async def delete_endpoint(conn: AsyncConnection, endpoint_id: uuid.UUID) -> None:
    """Delete the endpoint with its delivery log; messages not yet delivered are dropped."""
    if not await queries.delete_endpoint(conn, endpoint_id):
        raise NotFound(f"no webhook endpoint {endpoint_id}", field="id")


async def rotate_secret(
    conn: AsyncConnection, endpoint_id: uuid.UUID, *, now: dt.datetime, overlap: dt.timedelta
) -> WithSecret:
    """A new secret; the current one keeps signing beside it for ``overlap`` (both signatures are sent)."""
    endpoint = await _locked(conn, endpoint_id)
    secret = new_secret()
    values = {
        "secret": secret,
        "previous_secret": endpoint.secret if overlap > dt.timedelta(0) else None,
        "previous_secret_expires_at": now + overlap if overlap > dt.timedelta(0) else None,
    }
    return WithSecret(await queries.update_endpoint(conn, endpoint_id, values), secret)


async def redeliver(conn: AsyncConnection, delivery_id: uuid.UUID, *, now: dt.datetime) -> DeliveryRow:
    """Send one message again, as soon as a worker is free, with the same webhook-id."""
    found = await queries.delivery_by_id(conn, delivery_id)
    if found is None:
        raise NotFound(f"no webhook delivery {delivery_id}", field="deliveryId")
    await _enabled(conn, found.endpoint_id, "deliveryId")
    d = webhook_deliveries.c
    await conn.execute(
        sa.update(webhook_deliveries)
        .where(d.id == delivery_id)
        .values(status="pending", next_attempt_at=now, delivered_at=None)
    )
    refreshed = await queries.delivery_by_id(conn, delivery_id)
    assert refreshed is not None
    return refreshed


async def _enabled(conn: AsyncConnection, endpoint_id: uuid.UUID, field: str) -> EndpointRow:
    endpoint = await _locked(conn, endpoint_id, field)
    if not endpoint.enabled:
        raise Conflict(
            f"the endpoint is disabled ({endpoint.disabled_reason}); enable it first (updateWebhookEndpoint)",
            field=field,
        )
    return endpoint


async def replay(
    conn: AsyncConnection, endpoint_id: uuid.UUID, start: dt.datetime, end: dt.datetime, *, now: dt.datetime
) -> Replayed:
    """Send again every event that occurred in ``[start, end)`` and the endpoint wants (its patterns and filters as
    they are now), as soon as a worker is free: one message per event, with the webhook-id it had — a delivery
    that exists is made pending again (as ``redeliver`` does), an event it never had gets its first."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("from, to: give a time zone (RFC 3339, such as 2026-06-01T00:00:00Z)", field="from")
    if start >= end:
        raise InvalidInput("from must be before to (the window is [from, to))", field="from")
    if end - start > MAX_REPLAY_WINDOW:
        raise InvalidInput(
            f"the window is at most {MAX_REPLAY_WINDOW.days} days; replay a longer span in several windows",
            field="to",
        )
    await _enabled(conn, endpoint_id, "endpointId")
    return await queries.replay_window(conn, endpoint_id, start, end, now)
