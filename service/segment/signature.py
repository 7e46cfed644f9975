"""The Segment Webhooks destination's ``X-Signature``: the hex HMAC-SHA1 of the request body under a shared secret
(https://segment.com/docs/connections/destinations/catalog/webhooks/#authentication)."""

import hashlib
import hmac


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def signed(secret: str, body: bytes, sent: str | None) -> bool:
    """Whether ``sent`` is the body's signature (compared in constant time)."""
    return sent is not None and hmac.compare_digest(signature(secret, body), sent.strip().lower())
