"""Thinning the score history: every recompute (hourly by default) stores one row per account and score name, so
the history grows by 8,760 rows a year for each. Scores older than ``CSHUB_HEALTH_HISTORY_FULL_DAYS`` keep one
per account, score name and UTC day — the day's last — and every band change (``band <> previous_band``, which the
timeline shows); the others are deleted. Deleting a score that is no band change leaves every later score's
``previous_band`` true: the band it names is the one of the last kept score before it.

The days to thin are found by ``ix_health_scores_computed_at``. Each run thins the days that crossed the limit
within ``THINNED_DAYS`` (a week): a bounded read however long the history, and a service that was down for less
than a week catches up. Older days stay as they were.
"""

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

THINNED_DAYS = 7

_THIN = sa.text("""
DELETE FROM health_scores AS h
USING (
  SELECT id, row_number() OVER (
           PARTITION BY account_id, score_name, CAST(timezone('UTC', computed_at) AS date)
           ORDER BY computed_at DESC, id DESC
         ) AS newest
  FROM health_scores
  WHERE computed_at >= :since AND computed_at < :until
    AND (CAST(:ids AS uuid[]) IS NULL OR account_id = ANY (CAST(:ids AS uuid[])))
) AS ranked
WHERE h.id = ranked.id AND ranked.newest > 1 AND (h.band <> h.previous_band) IS NOT TRUE
""")


async def thin_history(
    conn: AsyncConnection, now: dt.datetime, full_days: int, account_ids: Sequence[uuid.UUID] | None = None
) -> int:
    """Thin the scores (of ``account_ids``, else every account's) that became older than ``full_days`` within the
    last ``THINNED_DAYS``, cut at UTC midnight; the rows deleted. ``full_days`` 0: keep every score."""
    if full_days <= 0:
        return 0
    until = dt.datetime.combine((now - dt.timedelta(days=full_days)).astimezone(dt.UTC).date(), dt.time(), dt.UTC)
    since = until - dt.timedelta(days=THINNED_DAYS)
    ids = sa.bindparam("ids", list(account_ids) if account_ids is not None else None, type_=ARRAY(sa.Uuid))
    result = await conn.execute(_THIN.bindparams(ids), {"since": since, "until": until})
    return int(result.rowcount or 0)
