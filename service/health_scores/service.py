"""Health-score operations the CLI and the API share: recompute with the shipped default in place."""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from service.health_scores.compute import Recomputed, recompute
from service.health_scores.scorecards import ensure_default


async def recompute_health(
    conn: AsyncConnection, now: dt.datetime | None = None, account_ids: Sequence[uuid.UUID] | None = None
) -> Recomputed:
    """Score every account (or the given ones) as of ``now`` (default: the current time, UTC)."""
    await ensure_default(conn)
    return await recompute(conn, now or dt.datetime.now(dt.UTC), account_ids)
