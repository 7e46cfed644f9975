"""Recomputing health scores: one set-based SQL statement for every (or the given) account and score name.

The statement picks each account's scorecard per score name (its segment's, else the default), computes
every measure's raw input from the facts (contract lines by the active-line rule, usage rollups, tickets,
surveys, renewals, manual scores), maps it to 0–100 through the scorecard's scale, renormalises the
weights over the measures that have data (``config`` explains the rule), and inserts one explained
history row per account and score name: score, band, tier, trend, coverage, and per measure the raw
value, score, weight, contribution, whether it was missing and why. No Python loop over accounts.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from service.contracts.queries import MONTHS_PER_YEAR, active_lines, next_renewal_dates, seats_by_account
from service.db.rows import sql_for_today
from service.tickets.queries import OPEN_STATUSES

_MEASURE_INPUTS = """
  ('license_utilization',
   CASE WHEN coalesce(seats.seats, 0) > 0 THEN coalesce(seen.active_30, 0)::numeric / seats.seats END,
   'no licensed seats today'),
  ('active_user_trend',
   CASE WHEN coalesce(trend.earlier, 0) > 0 THEN (trend.recent - trend.earlier)::numeric / trend.earlier END,
   'no active users in the 30 days before the last 30'),
  ('feature_breadth',
   CASE WHEN coalesce(seen.known_users, 0) > 0 AND catalogue.available > 0
        THEN coalesce(features.used, 0)::numeric / catalogue.available END,
   'no product usage on record'),
  ('login_recency',
   CASE WHEN coalesce(seen.known_users, 0) > 0 THEN seen.seen_7::numeric / seen.known_users END,
   'no product users on record'),
  ('open_high_priority_tickets',
   CASE WHEN coalesce(load.ever, 0) > 0 THEN load.open_high::numeric END,
   'no support tickets on record'),
  ('tickets_per_seat',
   CASE WHEN coalesce(load.ever, 0) > 0 AND coalesce(seats.seats, 0) > 0 THEN load.recent::numeric / seats.seats END,
   CASE WHEN coalesce(seats.seats, 0) = 0 THEN 'no licensed seats today' ELSE 'no support tickets on record' END),
  ('nps',
   CASE WHEN coalesce(voice.nps_responses, 0) > 0
        THEN 100.0 * (voice.promoters - voice.detractors) / voice.nps_responses END,
   'no NPS responses in the last 180 days'),
  ('csat', voice.csat, 'no CSAT responses in the last 90 days'),
  ('renewal_proximity', (renewal.renewal_date - CAST(:today AS date))::numeric, 'no upcoming renewal date'),
  ('manual', manual.score, 'no current manual score')
"""


@cache
def _statement() -> sa.TextClause:
    active = sql_for_today(active_lines)
    seats = sql_for_today(seats_by_account)
    renewals = sql_for_today(next_renewal_dates)
    open_statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
    # Only our own compiled Core SQL and constants are interpolated; values are bound parameters.
    return sa.text(f"""
WITH current_cards AS (
  SELECT DISTINCT ON (name, segment) id, name, segment, config, is_active
  FROM scorecards ORDER BY name, segment, version DESC
),
targets AS (
  SELECT DISTINCT ON (a.id, c.name) a.id AS account_id, c.id AS scorecard_id, c.name AS score_name, c.config
  FROM accounts a
  JOIN current_cards c ON c.is_active AND (c.segment = a.segment OR c.segment IS NULL)
  WHERE CAST(:ids AS uuid[]) IS NULL OR a.id = ANY(CAST(:ids AS uuid[]))
  ORDER BY a.id, c.name, c.segment IS NULL
),
scope AS (SELECT DISTINCT account_id FROM targets),
active AS ({active}),
seats AS ({seats}),
arr AS (SELECT account_id, currency, sum(mrr) * {MONTHS_PER_YEAR} AS arr FROM active GROUP BY account_id, currency),
renewal AS ({renewals}),
seen AS (
  SELECT account_id, count(*) AS known_users,
         count(*) FILTER (WHERE last_seen_at >= CAST(:now AS timestamptz) - interval '30 days') AS active_30,
         count(*) FILTER (WHERE last_seen_at >= CAST(:now AS timestamptz) - interval '7 days') AS seen_7
  FROM user_last_seen WHERE account_id IN (SELECT account_id FROM scope) GROUP BY account_id
),
trend AS (
  SELECT account_id,
         count(DISTINCT user_ref) FILTER (WHERE day > CAST(:today AS date) - 30) AS recent,
         count(DISTINCT user_ref) FILTER (WHERE day <= CAST(:today AS date) - 30) AS earlier
  FROM usage_daily_users
  WHERE account_id IN (SELECT account_id FROM scope)
    AND day > CAST(:today AS date) - 60 AND day <= CAST(:today AS date)
  GROUP BY account_id
),
features AS (
  SELECT account_id, count(DISTINCT feature) AS used FROM usage_daily
  WHERE account_id IN (SELECT account_id FROM scope) AND events > 0
    AND day > CAST(:today AS date) - 30 AND day <= CAST(:today AS date)
  GROUP BY account_id
),
catalogue AS (
  SELECT count(DISTINCT feature) AS available FROM usage_daily
  WHERE events > 0 AND day > CAST(:today AS date) - 90 AND day <= CAST(:today AS date)
),
load AS (
  SELECT account_id, count(*) AS ever,
         count(*) FILTER (WHERE status IN ({open_statuses}) AND priority IN ('high', 'urgent')) AS open_high,
         count(*) FILTER (WHERE opened_at >= CAST(:now AS timestamptz) - interval '90 days') AS recent
  FROM tickets WHERE account_id IN (SELECT account_id FROM scope) GROUP BY account_id
),
voice AS (
  SELECT account_id,
         count(*) FILTER (WHERE kind = 'nps' AND responded_at >= CAST(:now AS timestamptz) - interval '180 days')
           AS nps_responses,
         count(*) FILTER (WHERE kind = 'nps' AND responded_at >= CAST(:now AS timestamptz) - interval '180 days'
                          AND score >= 9) AS promoters,
         count(*) FILTER (WHERE kind = 'nps' AND responded_at >= CAST(:now AS timestamptz) - interval '180 days'
                          AND score <= 6) AS detractors,
         avg(score) FILTER (WHERE kind = 'csat' AND responded_at >= CAST(:now AS timestamptz) - interval '90 days')
           AS csat
  FROM survey_responses
  WHERE account_id IN (SELECT account_id FROM scope) AND responded_at <= CAST(:now AS timestamptz)
  GROUP BY account_id
),
manual AS (
  SELECT DISTINCT ON (account_id) account_id, score, comment || ' (' || created_by || ')' AS note FROM manual_scores
  WHERE account_id IN (SELECT account_id FROM scope)
    AND created_at <= CAST(:now AS timestamptz)
    AND (expires_at IS NULL OR expires_at > CAST(:now AS timestamptz))
  ORDER BY account_id, created_at DESC
),
inputs AS (
  SELECT scope.account_id, v.key, v.raw, v.reason, CASE WHEN v.key = 'manual' THEN manual.note END AS note
  FROM scope
  LEFT JOIN seats ON seats.account_id = scope.account_id
  LEFT JOIN seen ON seen.account_id = scope.account_id
  LEFT JOIN trend ON trend.account_id = scope.account_id
  LEFT JOIN features ON features.account_id = scope.account_id
  LEFT JOIN load ON load.account_id = scope.account_id
  LEFT JOIN voice ON voice.account_id = scope.account_id
  LEFT JOIN renewal ON renewal.account_id = scope.account_id
  LEFT JOIN manual ON manual.account_id = scope.account_id
  CROSS JOIN catalogue
  CROSS JOIN LATERAL (VALUES {_MEASURE_INPUTS}) AS v(key, raw, reason)
),
measured AS (
  SELECT t.account_id, t.scorecard_id, t.score_name, e.position,
         e.measure->>'key' AS key, (e.measure->>'weight')::numeric AS weight, i.raw,
         CASE WHEN i.raw IS NULL THEN NULL
              WHEN e.measure->'scale'->>'kind' = 'linear' THEN greatest(0, least(100,
                100 * (i.raw - (e.measure->'scale'->>'zero_at')::numeric)
                    / ((e.measure->'scale'->>'full_at')::numeric - (e.measure->'scale'->>'zero_at')::numeric)))
              ELSE (SELECT (b.band->>'score')::numeric
                    FROM jsonb_array_elements(e.measure->'scale'->'bands') WITH ORDINALITY AS b(band, position)
                    WHERE b.band->>'below' IS NULL OR i.raw < (b.band->>'below')::numeric
                    ORDER BY b.position LIMIT 1)
         END AS score,
         CASE WHEN i.raw IS NULL THEN i.reason END AS reason, i.note
  FROM targets t
  CROSS JOIN LATERAL jsonb_array_elements(t.config->'measures') WITH ORDINALITY AS e(measure, position)
  LEFT JOIN inputs i ON i.account_id = t.account_id AND i.key = e.measure->>'key'
),
weighed AS (
  SELECT *, sum(weight) FILTER (WHERE raw IS NOT NULL) OVER card AS present_weight,
         sum(weight) OVER card AS total_weight
  FROM measured WINDOW card AS (PARTITION BY account_id, score_name)
),
aggregated AS (
  -- grouped by the scorecard's id, not its (large) config document: the config is joined back below
  SELECT account_id, scorecard_id, score_name,
         coalesce(max(present_weight), 0) / max(total_weight) AS coverage,
         round(sum(weight * score) FILTER (WHERE raw IS NOT NULL) / max(present_weight), 2) AS mean,
         jsonb_agg(jsonb_build_object(
           'key', key, 'raw_value', round(raw, 4), 'score', round(score, 2), 'weight', weight,
           'contribution', round(weight * score / present_weight, 2),
           'missing', raw IS NULL, 'reason', reason, 'note', note) ORDER BY position) AS measures
  FROM weighed GROUP BY account_id, scorecard_id, score_name
),
scored AS (
  SELECT a.account_id, a.scorecard_id, a.score_name, a.coverage, a.measures, c.config,
         CASE WHEN a.coverage >= (c.config->>'min_coverage')::numeric THEN a.mean END AS score
  FROM aggregated a JOIN scorecards c ON c.id = a.scorecard_id
),
placed AS (
  SELECT s.account_id, s.scorecard_id, s.score_name, s.score, s.coverage, s.measures,
         CASE WHEN s.score IS NULL THEN NULL
              WHEN s.score < (s.config->'bands'->>'red_below')::numeric THEN 'red'
              WHEN s.score < (s.config->'bands'->>'yellow_below')::numeric THEN 'yellow'
              ELSE 'green' END AS band,
         tier.name AS tier, tier.touch_model, s.score - previous.score AS trend, previous.band AS previous_band
  FROM scored s
  LEFT JOIN arr ON arr.account_id = s.account_id AND arr.currency = s.config->>'currency'
  LEFT JOIN LATERAL (
    SELECT t.tier->>'name' AS name, t.tier->>'touch_model' AS touch_model
    FROM jsonb_array_elements(s.config->'tiers') WITH ORDINALITY AS t(tier, position)
    WHERE (t.tier->>'min_arr' IS NULL OR coalesce(arr.arr, 0) >= (t.tier->>'min_arr')::numeric)
      AND (t.tier->>'min_score' IS NULL OR s.score >= (t.tier->>'min_score')::numeric)
    ORDER BY t.position LIMIT 1
  ) AS tier ON true
  LEFT JOIN LATERAL (
    SELECT h.score, h.band FROM health_scores h
    WHERE h.account_id = s.account_id AND h.score_name = s.score_name AND h.score IS NOT NULL
    ORDER BY h.computed_at DESC LIMIT 1
  ) AS previous ON true
),
inserted AS (
  INSERT INTO health_scores
    (account_id, scorecard_id, score_name, score, band, previous_band, tier, touch_model, trend, coverage, measures,
     computed_at)
  SELECT account_id, scorecard_id, score_name, score, band, previous_band, tier, touch_model, trend,
         round(coverage, 4), measures, CAST(:now AS timestamptz)
  FROM placed
  RETURNING account_id, score
)
SELECT count(DISTINCT account_id) AS accounts, count(*) AS scores, count(score) AS scored FROM inserted
""")  # noqa: S608


@dataclass(frozen=True, slots=True)
class Recomputed:
    accounts: int  # accounts a scorecard applied to
    scores: int  # history rows written (one per account and score name)
    scored: int  # of those, rows with a score (the rest had too little data)
    computed_at: dt.datetime
    alerts_opened: int = 0  # set by the alert rules evaluated after the scores
    history_thinned: int = 0  # older scores deleted by the history thinning after them


async def recompute(
    conn: AsyncConnection, now: dt.datetime, account_ids: Sequence[uuid.UUID] | None = None
) -> Recomputed:
    """Score every account (or the given ones) with its current scorecards, as of ``now``."""
    ids = sa.bindparam("ids", list(account_ids) if account_ids is not None else None, type_=ARRAY(sa.Uuid))
    # Sessions run without JIT (service.db.pool): compiling this statement cost 1.5 s of a 6 s recompute.
    today = now.astimezone(dt.UTC).date()  # days are UTC, whatever zone ``now`` comes in
    row = (await conn.execute(_statement().bindparams(ids), {"now": now, "today": today})).one()
    return Recomputed(accounts=int(row.accounts), scores=int(row.scores), scored=int(row.scored), computed_at=now)
