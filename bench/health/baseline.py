"""The baseline: one hand-written SELECT computing, for every account, the raw value of each measure of the
default scorecard and the weighted score, coverage and band, with the default's weights and scales written
into the SQL (no INSERT, no explanation JSON, no tier, trend or alerts: those are the service's extra work).

It follows the rules the service documents (``health_scores.config.MEASURES``, the active-line rule of
``contracts.queries``) but is written independently of ``health_scores.compute``, so that agreement
between the two is evidence, not a tautology. ``check_default_config`` refuses to run when the shipped
default no longer is the scorecard hard-coded here.
"""

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.graphql_360.errors import BenchError
from service.health_scores.config import DEFAULT_CONFIG, ScorecardConfig

# The measures of the default scorecard, in its order: the columns of the statement's result, too.
MEASURE_KEYS = (
    "license_utilization",
    "active_user_trend",
    "feature_breadth",
    "login_recency",
    "open_high_priority_tickets",
    "nps",
    "csat",
    "renewal_proximity",
    "manual",
)

# What BASELINE_SQL hard-codes (weights, scales, bands, coverage); compared with DEFAULT_CONFIG.
HARD_CODED_CONFIG = ScorecardConfig.model_validate(
    {
        "measures": [
            {"key": "license_utilization", "weight": 25, "scale": {"kind": "linear", "zero_at": 0.2, "full_at": 0.8}},
            {"key": "active_user_trend", "weight": 15, "scale": {"kind": "linear", "zero_at": -0.3, "full_at": 0.1}},
            {"key": "feature_breadth", "weight": 10, "scale": {"kind": "linear", "zero_at": 0.1, "full_at": 0.6}},
            {"key": "login_recency", "weight": 15, "scale": {"kind": "linear", "zero_at": 0.1, "full_at": 0.6}},
            {
                "key": "open_high_priority_tickets",
                "weight": 10,
                "scale": {
                    "kind": "banded",
                    "bands": [{"below": 1, "score": 100}, {"below": 3, "score": 50}, {"score": 0}],
                },
            },
            {"key": "nps", "weight": 10, "scale": {"kind": "linear", "zero_at": -50, "full_at": 50}},
            {"key": "csat", "weight": 5, "scale": {"kind": "linear", "zero_at": 2, "full_at": 4.5}},
            {
                "key": "renewal_proximity",
                "weight": 5,
                "scale": {
                    "kind": "banded",
                    "bands": [{"below": 30, "score": 40}, {"below": 90, "score": 70}, {"score": 100}],
                },
            },
            {"key": "manual", "weight": 5, "scale": {"kind": "linear", "zero_at": 0, "full_at": 100}},
        ],
        "bands": {"red_below": 40, "yellow_below": 70},
        "tiers": [
            {"name": "strategic", "touch_model": "high", "min_arr": 100000},
            {"name": "growth", "touch_model": "low", "min_arr": 20000},
            {"name": "scale", "touch_model": "tech"},
        ],
        "currency": "USD",
        "min_coverage": 0.5,
    }
)

BASELINE_SQL = """
WITH seats AS (            -- licensed today: per product the summed quantity of active lines; the largest
  SELECT account_id, max(quantity) AS seats
  FROM (SELECT l.account_id, l.product_id, sum(l.quantity) AS quantity
        FROM contract_lines l JOIN contracts c ON c.id = l.contract_id
        WHERE c.status NOT IN ('draft', 'cancelled')
          AND coalesce(l.start_date, c.start_date) <= CAST(:today AS date)
          AND coalesce(l.end_date, c.end_date, 'infinity') > CAST(:today AS date)
        GROUP BY l.account_id, l.product_id) AS per_product
  GROUP BY account_id
),
users AS (                 -- known users, and those seen in the last 30 and 7 days
  SELECT account_id, count(*) AS known,
         count(*) FILTER (WHERE last_seen_at >= CAST(:now AS timestamptz) - interval '30 days') AS active_30,
         count(*) FILTER (WHERE last_seen_at >= CAST(:now AS timestamptz) - interval '7 days') AS seen_7
  FROM user_last_seen GROUP BY account_id
),
windows AS (               -- distinct active users in the last 30 days and in the 30 before
  SELECT account_id, count(*) FILTER (WHERE recent) AS recent, count(*) FILTER (WHERE earlier) AS earlier
  FROM (SELECT account_id, user_ref, bool_or(day > CAST(:today AS date) - 30) AS recent,
               bool_or(day <= CAST(:today AS date) - 30) AS earlier
        FROM usage_daily_users WHERE day > CAST(:today AS date) - 60 AND day <= CAST(:today AS date)
        GROUP BY account_id, user_ref) AS per_user
  GROUP BY account_id
),
feature_use AS (           -- features each account used in the last 90 days, and when last
  SELECT account_id, feature, max(day) AS last_day FROM usage_daily
  WHERE events > 0 AND day > CAST(:today AS date) - 90 AND day <= CAST(:today AS date)
  GROUP BY account_id, feature
),
breadth AS (
  SELECT account_id, count(*) FILTER (WHERE last_day > CAST(:today AS date) - 30) AS used
  FROM feature_use GROUP BY account_id
),
catalogue AS (SELECT count(DISTINCT feature) AS available FROM feature_use),
support AS (
  SELECT account_id, count(*) FILTER (WHERE status IN ('new', 'open', 'pending', 'on_hold')
                                        AND priority IN ('high', 'urgent')) AS open_high
  FROM tickets GROUP BY account_id
),
voice AS (
  SELECT account_id, count(*) FILTER (WHERE kind = 'nps') AS nps_n,
         count(*) FILTER (WHERE kind = 'nps' AND score >= 9) AS promoters,
         count(*) FILTER (WHERE kind = 'nps' AND score <= 6) AS detractors,
         avg(score) FILTER (WHERE kind = 'csat' AND responded_at >= CAST(:now AS timestamptz) - interval '90 days')
           AS csat
  FROM survey_responses
  WHERE responded_at >= CAST(:now AS timestamptz) - interval '180 days' AND responded_at <= CAST(:now AS timestamptz)
  GROUP BY account_id
),
renewal AS (
  SELECT account_id, min(renewal_date) AS next_renewal FROM contracts
  WHERE status NOT IN ('draft', 'cancelled') AND renewal_date >= CAST(:today AS date) GROUP BY account_id
),
manual AS (
  SELECT DISTINCT ON (account_id) account_id, score FROM manual_scores
  WHERE created_at <= CAST(:now AS timestamptz)
    AND (expires_at IS NULL OR expires_at > CAST(:now AS timestamptz))
  ORDER BY account_id, created_at DESC
),
raw AS (
  SELECT a.id AS account_id,
         CASE WHEN s.seats > 0 THEN coalesce(u.active_30, 0)::numeric / s.seats END AS license_utilization,
         CASE WHEN w.earlier > 0 THEN (w.recent - w.earlier)::numeric / w.earlier END AS active_user_trend,
         CASE WHEN u.known > 0 AND cat.available > 0 THEN coalesce(b.used, 0)::numeric / cat.available END
           AS feature_breadth,
         CASE WHEN u.known > 0 THEN u.seen_7::numeric / u.known END AS login_recency,
         t.open_high::numeric AS open_high_priority_tickets,
         CASE WHEN v.nps_n > 0 THEN 100.0 * (v.promoters - v.detractors) / v.nps_n END AS nps,
         v.csat,
         (r.next_renewal - CAST(:today AS date))::numeric AS renewal_proximity,
         m.score AS manual
  FROM accounts a
  LEFT JOIN seats s ON s.account_id = a.id
  LEFT JOIN users u ON u.account_id = a.id
  LEFT JOIN windows w ON w.account_id = a.id
  LEFT JOIN breadth b ON b.account_id = a.id
  LEFT JOIN support t ON t.account_id = a.id
  LEFT JOIN voice v ON v.account_id = a.id
  LEFT JOIN renewal r ON r.account_id = a.id
  LEFT JOIN manual m ON m.account_id = a.id
  CROSS JOIN catalogue cat
),
scored AS (
  SELECT raw.*, coalesce(weights.present, 0) / 100.0 AS coverage,
         CASE WHEN weights.present >= 50 THEN round(weights.weighted / weights.present, 2) END AS score
  FROM raw CROSS JOIN LATERAL (
    SELECT sum(w) FILTER (WHERE s IS NOT NULL) AS present, sum(w * s) AS weighted
    FROM (VALUES
      (25, CASE WHEN license_utilization IS NOT NULL
                THEN greatest(0, least(100, 100 * (license_utilization - 0.2) / 0.6)) END),
      (15, CASE WHEN active_user_trend IS NOT NULL
                THEN greatest(0, least(100, 100 * (active_user_trend + 0.3) / 0.4)) END),
      (10, CASE WHEN feature_breadth IS NOT NULL
                THEN greatest(0, least(100, 100 * (feature_breadth - 0.1) / 0.5)) END),
      (15, CASE WHEN login_recency IS NOT NULL
                THEN greatest(0, least(100, 100 * (login_recency - 0.1) / 0.5)) END),
      (10, CASE WHEN open_high_priority_tickets < 1 THEN 100 WHEN open_high_priority_tickets < 3 THEN 50
                WHEN open_high_priority_tickets IS NOT NULL THEN 0 END),
      (10, CASE WHEN nps IS NOT NULL THEN greatest(0, least(100, 100 * (nps + 50) / 100)) END),
      (5, CASE WHEN csat IS NOT NULL THEN greatest(0, least(100, 100 * (csat - 2) / 2.5)) END),
      (5, CASE WHEN renewal_proximity < 30 THEN 40 WHEN renewal_proximity < 90 THEN 70
               WHEN renewal_proximity IS NOT NULL THEN 100 END),
      (5, CASE WHEN manual IS NOT NULL THEN greatest(0, least(100, manual)) END)
    ) AS m(w, s)
  ) AS weights
)
SELECT *, CASE WHEN score < 40 THEN 'red' WHEN score < 70 THEN 'yellow' WHEN score IS NOT NULL THEN 'green' END
            AS band
FROM scored
"""


def baseline_statement() -> sa.TextClause:
    return sa.text(BASELINE_SQL)


def stored_default() -> str:
    """The default scorecard's configuration as ``scorecards.ensure_default`` stores it."""
    return json.dumps(DEFAULT_CONFIG.model_dump(mode="json", exclude_none=True))


async def check_default_config(conn: AsyncConnection) -> None:
    """Refuse to compare when the baseline's hard-coded scorecard is not the one the service scores with:
    the shipped default changed, or the bench database holds another (active) scorecard."""
    if HARD_CODED_CONFIG != DEFAULT_CONFIG:
        raise BenchError("DEFAULT_CONFIG changed: update the weights and scales hard-coded in bench/health/baseline.py")
    rows = (
        await conn.execute(
            sa.text(
                "SELECT name, segment, version, config = CAST(:config AS jsonb) AS same FROM scorecards WHERE is_active"
            ),
            {"config": stored_default()},
        )
    ).all()
    if [(row.name, row.segment, row.version, row.same) for row in rows] != [("overall", None, 1, True)]:
        found: list[Any] = [tuple(row) for row in rows]
        raise BenchError(f"the bench database must hold only the shipped default scorecard; found {found}")
