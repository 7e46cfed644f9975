"""HubSpot's webhook signature, v3: ``X-HubSpot-Signature-v3`` is base64(HMAC-SHA256(method + URI + body +
timestamp)) under the app's client secret, the timestamp being ``X-HubSpot-Request-Timestamp`` (milliseconds since
the epoch); a request older than five minutes is refused, so a captured one cannot be replayed later
(https://developers.hubspot.com/docs/api/webhooks/validating-requests). The URI is the full URL HubSpot called,
percent-escapes decoded."""

import base64
import hashlib
import hmac
from urllib.parse import unquote

MAX_AGE_MS = 5 * 60 * 1000


def signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.upper().encode() + unquote(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def signed(
    secret: str, method: str, uri: str, body: bytes, sent: str | None, timestamp: str | None, now_ms: int
) -> str | None:
    """What is wrong with the request's signature, or None when it verifies (compared in constant time)."""
    if sent is None or timestamp is None:
        return "X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp are required"
    if not timestamp.strip().isdigit():
        return "X-HubSpot-Request-Timestamp is not milliseconds since the epoch"
    if abs(now_ms - int(timestamp)) > MAX_AGE_MS:
        return "X-HubSpot-Request-Timestamp is more than five minutes away from now: a request is signed afresh"
    expected = signature(secret, method, uri, body, timestamp.strip())
    if not hmac.compare_digest(expected.encode(), sent.strip().encode()):
        return (
            "X-HubSpot-Signature-v3 is not base64(HMAC-SHA256(method + URI + body + timestamp)) under the app's "
            "client secret (CSHUB_HUBSPOT_APP_SECRET)"
        )
    return None
