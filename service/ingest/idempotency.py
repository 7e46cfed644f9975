"""``Idempotency-Key`` for ingest: the first response for a key is the answer for every retry.

The key row is claimed inside the batch's own transaction, so the stored response exists exactly
when the batch's writes do: a retry after a crash or a 503 runs the batch again, a retry after a
commit gets the stored response. A concurrent retry waits on the claim, then reads the stored answer.

Keys expire after a TTL (``CSHUB_INGEST_IDEMPOTENCY_TTL_HOURS``): an expired key counts as new, and each
claim deletes up to ``PRUNE_BATCH`` expired rows of any key (skipping rows another batch holds), so the
table stays the size of one TTL's traffic without a separate job.
"""

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from service.errors import InvalidInput
from service.ingest.tables import ingest_requests

MAX_KEY_LENGTH = 255
PRUNE_BATCH = 100


def request_digest(entity: str, body: Any) -> str:
    canonical = json.dumps({"entity": entity, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    # Printable ASCII, as a structured-field string (RFC 8941) allows; headers arrive latin-1 decoded, so
    # isprintable() alone would let bytes 0xA1-0xFF through.
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise InvalidInput(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return key


async def _prune(conn: AsyncConnection, api_key_id: uuid.UUID, key: str, ttl: dt.timedelta) -> None:
    r = ingest_requests.c
    expired = r.created_at < sa.func.now() - ttl
    # This key, if it expired (so it can be claimed afresh), and a bounded batch of any other expired keys.
    await conn.execute(sa.delete(ingest_requests).where(r.api_key_id == api_key_id, r.idempotency_key == key, expired))
    stale = (
        sa.select(r.api_key_id, r.idempotency_key)
        .where(expired)
        .order_by(r.created_at)
        .limit(PRUNE_BATCH)
        .with_for_update(skip_locked=True)
    )
    await conn.execute(sa.delete(ingest_requests).where(sa.tuple_(r.api_key_id, r.idempotency_key).in_(stale)))


async def claim(
    conn: AsyncConnection, api_key_id: uuid.UUID, key: str, digest: str, *, ttl: dt.timedelta
) -> dict[str, Any] | None:
    """Claim ``key`` for this request, or return the response stored for it (within ``ttl``).

    Raises ``InvalidInput`` (422) when the key was used with a different request.
    """
    await _prune(conn, api_key_id, key, ttl)
    claimed = await conn.execute(
        insert(ingest_requests)
        .values(api_key_id=api_key_id, idempotency_key=key, request_hash=digest, response={})
        .on_conflict_do_nothing()
        .returning(ingest_requests.c.idempotency_key)
    )
    if claimed.first() is not None:
        return None
    stored = (
        await conn.execute(
            sa.select(ingest_requests.c.request_hash, ingest_requests.c.response).where(
                ingest_requests.c.api_key_id == api_key_id, ingest_requests.c.idempotency_key == key
            )
        )
    ).one()
    if stored.request_hash != digest:
        raise InvalidInput(
            f"Idempotency-Key {key!r} was already used for a different request; use a new key for new content"
        )
    response: dict[str, Any] = stored.response
    return response


async def remember(conn: AsyncConnection, api_key_id: uuid.UUID, key: str, response: dict[str, Any]) -> None:
    await conn.execute(
        sa.update(ingest_requests)
        .where(ingest_requests.c.api_key_id == api_key_id, ingest_requests.c.idempotency_key == key)
        .values(response=response)
    )
