"""Risk alert rules, evaluated set-based in SQL right after a recompute, in the same transaction.

Rules (thresholds from settings, ``CSHUB_ALERT_*``), each over the `overall` score and the same facts:
usage_drop (active users of the last 30 days down by a share vs the 30 before), no_logins (nobody seen for
N days), ticket_spike (tickets of the last 7 days vs the weekly average of the 8 weeks before),
renewal_while_red (a red account renewing within N days) and band_dropped (the band fell since the
previous score). An alert stays open (or acknowledged) until someone resolves it; while it does, the same
rule does not raise another for that account (a partial unique index makes this hold under concurrency).
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from service.contracts.queries import next_renewal_dates
from service.db.rows import sql_for_today


@dataclass(frozen=True, slots=True)
class AlertThresholds:
    usage_drop_percent: float = 30
    usage_drop_min_users: int = 5
    no_login_days: int = 14
    ticket_spike_min: int = 3
    ticket_spike_factor: float = 2
    renewal_days: int = 60


@cache
def _statement() -> sa.TextClause:
    return sa.text(f"""
WITH scored AS (
  SELECT account_id, band FROM health_scores
  WHERE score_name = 'overall' AND computed_at = CAST(:now AS timestamptz)
    AND (CAST(:ids AS uuid[]) IS NULL OR account_id = ANY(CAST(:ids AS uuid[])))
),
previous AS (
  SELECT DISTINCT ON (h.account_id) h.account_id, h.band FROM health_scores h
  JOIN scored s ON s.account_id = h.account_id
  WHERE h.score_name = 'overall' AND h.computed_at < CAST(:now AS timestamptz) AND h.band IS NOT NULL
  ORDER BY h.account_id, h.computed_at DESC
),
users AS (
  SELECT account_id,
         count(DISTINCT user_ref) FILTER (WHERE day > CAST(:today AS date) - 30) AS recent,
         count(DISTINCT user_ref) FILTER (WHERE day <= CAST(:today AS date) - 30) AS earlier
  FROM usage_daily_users
  WHERE account_id IN (SELECT account_id FROM scored)
    AND day > CAST(:today AS date) - 60 AND day <= CAST(:today AS date)
  GROUP BY account_id
),
seen AS (
  SELECT account_id, max(last_seen_at) AS last_seen FROM user_last_seen
  WHERE account_id IN (SELECT account_id FROM scored) GROUP BY account_id
),
load AS (
  SELECT account_id,
         count(*) FILTER (WHERE opened_at > CAST(:now AS timestamptz) - interval '7 days') AS last_week,
         count(*) FILTER (WHERE opened_at > CAST(:now AS timestamptz) - interval '63 days'
                            AND opened_at <= CAST(:now AS timestamptz) - interval '7 days') / 8.0 AS weekly_before
  FROM tickets
  WHERE account_id IN (SELECT account_id FROM scored) AND opened_at <= CAST(:now AS timestamptz)
  GROUP BY account_id
),
renewal AS ({sql_for_today(next_renewal_dates)}),
raised AS (
  SELECT account_id, 'usage_drop' AS rule,
         format('Active users down %s%% in the last 30 days (%s, from %s)',
                round(100 - 100.0 * recent / earlier), recent, earlier) AS message,
         jsonb_build_object('recent_users', recent, 'earlier_users', earlier) AS details
  FROM users
  WHERE earlier >= CAST(:drop_min_users AS integer) AND recent <= earlier * (1 - CAST(:drop_percent AS numeric) / 100)
  UNION ALL
  SELECT account_id, 'no_logins',
         format('Nobody has used the product for %s days', extract(day FROM CAST(:now AS timestamptz) - last_seen)),
         jsonb_build_object('last_seen_at', last_seen)
  FROM seen WHERE last_seen < CAST(:now AS timestamptz) - make_interval(days => CAST(:no_login_days AS integer))
  UNION ALL
  SELECT account_id, 'ticket_spike',
         format('%s tickets in the last 7 days (%s a week before)', last_week, round(weekly_before, 1)),
         jsonb_build_object('last_week', last_week, 'weekly_before', round(weekly_before, 2))
  FROM load
  WHERE last_week >= CAST(:spike_min AS integer) AND last_week >= CAST(:spike_factor AS numeric) * weekly_before
  UNION ALL
  SELECT s.account_id, 'renewal_while_red',
         format('Red and renewing on %s', r.renewal_date), jsonb_build_object('renewal_date', r.renewal_date)
  FROM scored s JOIN renewal r ON r.account_id = s.account_id
  WHERE s.band = 'red' AND r.renewal_date <= CAST(:today AS date) + CAST(:renewal_days AS integer)
  UNION ALL
  SELECT s.account_id, 'band_dropped', format('Health band fell from %s to %s', p.band, s.band),
         jsonb_build_object('from', p.band, 'to', s.band)
  FROM scored s JOIN previous p ON p.account_id = s.account_id
  WHERE array_position(ARRAY['red', 'yellow', 'green'], s.band)
      < array_position(ARRAY['red', 'yellow', 'green'], p.band)
),
opened AS (
  INSERT INTO alerts (account_id, rule, message, details, opened_at)
  SELECT account_id, rule, message, details, CAST(:now AS timestamptz) FROM raised
  ON CONFLICT (account_id, rule) WHERE status <> 'resolved' DO NOTHING
  RETURNING id
)
SELECT count(*) FROM opened
""")  # noqa: S608


async def evaluate_alerts(
    conn: AsyncConnection,
    now: dt.datetime,
    thresholds: AlertThresholds,
    account_ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """Open the alerts the scores computed at ``now`` call for; return how many were opened."""
    ids = sa.bindparam("ids", list(account_ids) if account_ids is not None else None, type_=ARRAY(sa.Uuid))
    params = {
        "now": now,
        "today": now.astimezone(dt.UTC).date(),
        "drop_percent": thresholds.usage_drop_percent,
        "drop_min_users": thresholds.usage_drop_min_users,
        "no_login_days": thresholds.no_login_days,
        "spike_min": thresholds.ticket_spike_min,
        "spike_factor": thresholds.ticket_spike_factor,
        "renewal_days": thresholds.renewal_days,
    }
    return int((await conn.execute(_statement().bindparams(ids), params)).scalar_one())
