"""What a webhook receiver gets: the body ``{type, timestamp, data}`` and the Standard Webhooks headers.

https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md — the signature is
``v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`` with the secret's bytes (what follows
``whsec_``, base64-decoded); while a rotated secret is still in its overlap window, both signatures are sent,
space-separated, and a receiver holding either secret verifies.
"""

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any

from service.events.queries import EventRow

SECRET_PREFIX = "whsec_"  # noqa: S105  # the Standard Webhooks prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def event_data(event: EventRow) -> dict[str, Any]:
    """The ``data`` of an event's deliveries: the envelope fields, then the type's payload."""
    return {
        "eventId": str(event.id),
        "sequence": event.sequence,
        "version": event.version,
        "accountId": str(event.account_id) if event.account_id is not None else None,
        "actor": event.actor,
        **event.payload,
    }


def body(event: EventRow) -> bytes:
    timestamp = event.occurred_at.isoformat().replace("+00:00", "Z")
    document = {"type": event.type, "timestamp": timestamp, "data": event_data(event)}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def message_id(delivery_id: uuid.UUID) -> str:
    """The ``webhook-id``: one per endpoint and event, the same on every attempt."""
    return f"msg_{delivery_id.hex}"


def signature(secret: str, msg_id: str, timestamp: int, payload: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + payload
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secrets_: list[str], msg_id: str, timestamp: int, payload: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, msg_id, timestamp, payload) for secret in secrets_),
        "user-agent": "cshub-webhooks/1",
    }
