"""Zendesk's webhook signature: ``X-Zendesk-Webhook-Signature`` is base64(HMAC-SHA256(timestamp + body)) under the
webhook's signing secret, the timestamp being ``X-Zendesk-Webhook-Signature-Timestamp``
(https://developer.zendesk.com/documentation/webhooks/verifying/)."""

import base64
import hashlib
import hmac


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed(secret: str, body: bytes, sent: str | None, timestamp: str | None) -> bool:
    """Whether ``sent`` is the signature of ``timestamp`` and the body (compared in constant time)."""
    if sent is None or timestamp is None:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), sent.strip().encode())
