"""The bench data: set-based SQL statements that seed a migrated, empty database, and running them.

What they build is described in the package docstring. ``{accounts}`` in a statement stands for the
validated account count. Bump SEED_VERSION whenever what is seeded changes: existing bench databases then
no longer match their marker and are rebuilt.
"""

import json
from collections.abc import Sequence

import asyncpg

from service.health_scores.config import DEFAULT_CONFIG

SEED_VERSION = 2

CSM_NAMES = (
    "Alex Kim",
    "Sam Rivera",
    "Priya Nair",
    "Jonas Berg",
    "Maya Cohen",
    "Luis Ortega",
    "Ada Okafor",
    "Tom Weiss",
)
FEATURES = (
    "login",
    "dashboard.view",
    "search",
    "report.export",
    "comment.create",
    "integration.sync",
    "insights.query",
    "automation.run",
)


NAME_PREFIXES = ("Atlas", "Blue", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper")


def _sql_array(values: Sequence[str]) -> str:
    return "(ARRAY[" + ", ".join(f"'{value}'" for value in values) + "])"


# Volatile functions: PostgreSQL pushes a WHERE condition down to the one relation it references (so
# ``WHERE random() < x`` on a join filters whole rows of one side) and runs an uncorrelated LATERAL once.
# Every random draw is therefore made in the select list of a subquery fenced with OFFSET 0 (evaluated
# once per row, never re-evaluated per reference) and filtered outside it.
SEED_STATEMENTS = (
    "SELECT setseed(0.360)",
    "CREATE TEMP TABLE seed_today AS SELECT (now() AT TIME ZONE 'UTC')::date AS today",
    """INSERT INTO products (name, family) VALUES
        ('Hub Core', 'platform'), ('Insights', 'analytics'), ('Automations', 'platform'), ('Premium Support', NULL)""",
    # One row per account with every attribute later statements need.
    f"""CREATE TEMP TABLE seed_accounts AS
    SELECT n, id, segment, name, csm_owner, currency, churned, tickets, parent_n,
           CASE segment WHEN 'enterprise' THEN 40 + floor(size * 80) WHEN 'mid_market' THEN 15 + floor(size * 45)
                        WHEN 'smb' THEN 5 + floor(size * 20) ELSE 3 + floor(size * 12) END::int AS users
    FROM (
        SELECT n, gen_random_uuid() AS id, random() AS size,
               {_sql_array(("enterprise", "mid_market", "smb", "startup"))}[1 + floor(random() * 4)::int] AS segment,
               {_sql_array(NAME_PREFIXES)}[1 + floor(random() * {len(NAME_PREFIXES)})::int] || ' ' ||
               {_sql_array(("Labs", "Systems", "Logistics", "Health", "Foods", "Capital", "Media", "Works"))}
                   [1 + floor(random() * 8)::int] || ' ' || lpad(n::text, 5, '0') AS name,
               CASE WHEN random() < 0.03 THEN NULL
                    ELSE {_sql_array(CSM_NAMES)}[1 + n % {len(CSM_NAMES)}] END AS csm_owner,
               CASE WHEN random() < 0.05 THEN 'EUR' ELSE 'USD' END AS currency,
               random() < 0.05 AS churned,
               14 + floor(random() * 13)::int AS tickets,
               CASE WHEN n > 100 AND n % 12 = 0 THEN 1 + (n * 37) % 100 END AS parent_n
        FROM generate_series(1, {{accounts}}) AS n
        OFFSET 0
    ) AS drawn""",
    """ALTER TABLE seed_accounts ADD COLUMN seats int, ADD COLUMN term_start date""",
    # A churned account's last term ended within the past year; the others' current term runs today.
    """UPDATE seed_accounts SET seats = greatest(1, round(users * (0.7 + random() * 0.6)))::int,
                                term_start = (SELECT today FROM seed_today) - floor(random() * 365)::int
                                             - CASE WHEN churned THEN 365 ELSE 0 END""",
    f"""INSERT INTO accounts (id, name, domain, industry, segment, lifecycle_stage, touch_model, csm_owner, sales_owner,
                              parent_account_id)
    SELECT s.id, s.name, lower(replace(s.name, ' ', '-')) || '.example',
           {_sql_array(("software", "retail", "healthcare", "finance", "manufacturing", "media"))}
               [1 + floor(random() * 6)::int],
           s.segment,
           CASE WHEN s.churned THEN 'churned'
                ELSE {_sql_array(("onboarding", "adoption", "expansion", "renewal"))}[1 + floor(random() * 4)::int] END,
           CASE s.segment WHEN 'enterprise' THEN 'high' WHEN 'mid_market' THEN 'low' ELSE 'tech' END,
           s.csm_owner,
           {_sql_array(("Dana Fox", "Eli Stone", "Noor Haddad"))}[1 + floor(random() * 3)::int],
           p.id
    FROM seed_accounts s LEFT JOIN seed_accounts p ON p.n = s.parent_n
    ORDER BY s.n""",
    """INSERT INTO source_links (source, object_type, external_id, entity_id, account_id, first_seen_at,
                                 last_synced_at, source_updated_at)
    SELECT 'crm', 'account', 'crm-' || lpad(n::text, 5, '0'), id, id, now() - interval '400 days', now(),
           now() - random() * interval '30 days'
    FROM seed_accounts
    UNION ALL
    SELECT 'product', 'account', 'ws-' || lpad(n::text, 5, '0'), id, id, now() - random() * interval '300 days', now(),
           NULL
    FROM seed_accounts""",
    # Contracts 1-4 are yearly terms; contract 5 is, by account, a draft renewal (with a tempting early
    # renewal date), a co-terminous expansion, or a cancelled deal overlapping today: neither draft nor
    # cancelled may count.
    """CREATE TEMP TABLE seed_contracts AS
    SELECT gen_random_uuid() AS id, a.id AS account_id, a.n, a.seats, a.currency, k,
           k = 5 AND a.n % 3 = 1 AS expansion, start_date, end_date,
           CASE WHEN k = 5 AND a.n % 3 = 0 THEN 'draft'
                WHEN k = 5 AND a.n % 3 = 2 THEN 'cancelled'
                WHEN end_date <= t.today THEN 'ended' ELSE 'active' END AS status,
           CASE WHEN k = 5 AND a.n % 3 = 0 THEN t.today + 10 ELSE end_date END AS renewal_date
    FROM seed_accounts a
    CROSS JOIN seed_today t
    CROSS JOIN generate_series(1, 5) AS k
    CROSS JOIN LATERAL (
        SELECT CASE WHEN k <= 4 THEN (a.term_start + make_interval(years => k - 4))::date
                    WHEN a.n % 3 = 0 THEN (a.term_start + interval '1 year')::date
                    WHEN a.n % 3 = 1 THEN a.term_start + 90
                    ELSE a.term_start - 180 END AS start_date,
               CASE WHEN k <= 4 THEN (a.term_start + make_interval(years => k - 3))::date
                    WHEN a.n % 3 = 0 THEN (a.term_start + interval '2 years')::date
                    WHEN a.n % 3 = 1 THEN (a.term_start + interval '1 year')::date
                    ELSE a.term_start + 185 END AS end_date
    ) AS dates""",
    """INSERT INTO contracts (id, account_id, status, start_date, end_date, renewal_date, auto_renew, currency)
    SELECT id, account_id, status, start_date, end_date, renewal_date, random() < 0.6, currency
    FROM seed_contracts ORDER BY n, k""",
    # 1-3 lines per contract; some start mid-term, some end mid-term, a few carry no unit price.
    """INSERT INTO contract_lines (contract_id, account_id, product_id, quantity, unit_price, mrr, start_date, end_date)
    SELECT contract_id, account_id, p.id, quantity, CASE WHEN priced THEN price END,
           round(quantity * price * CASE WHEN priced THEN 1 ELSE 0.9 END, 2), start_date, end_date
    FROM (
        SELECT c.id AS contract_id, c.account_id, j, product, random() AS keep, random() >= 0.1 AS priced,
               CASE product WHEN 'Hub Core' THEN 45.00 WHEN 'Insights' THEN 12.50 WHEN 'Automations' THEN 20.00
                            ELSE 500.00 END * CASE c.currency WHEN 'EUR' THEN 0.92 ELSE 1 END AS price,
               CASE product WHEN 'Hub Core' THEN greatest(1, round(c.seats * (0.7 + 0.1 * c.k)))
                            WHEN 'Insights' THEN greatest(1, ceil(c.seats * 0.4))
                            WHEN 'Automations' THEN greatest(1, ceil(c.seats * 0.25)) ELSE 1 END::int AS quantity,
               CASE WHEN j = 2 AND random() < 0.4 THEN c.start_date + 120 END AS start_date,
               CASE WHEN j = 3 AND random() < 0.3 THEN c.start_date + 200 END AS end_date
        FROM seed_contracts c
        CROSS JOIN generate_series(1, 3) AS j
        CROSS JOIN LATERAL (SELECT (ARRAY['Hub Core', 'Insights', 'Automations', 'Premium Support'])
                                   [j + CASE WHEN c.expansion THEN 1 ELSE 0 END] AS product) AS chosen
        OFFSET 0
    ) AS drawn
    JOIN products p ON p.name = drawn.product
    WHERE j = 1 OR (j = 2 AND keep < 0.6) OR (j = 3 AND keep < 0.3)""",
    # ~20 tickets per account over a year, the recent ones mostly open; SLA timestamps never in the future.
    f"""INSERT INTO tickets (account_id, subject, status, priority, category, opened_at, first_response_at, solved_at,
                             csat)
    SELECT account_id, subject, status, priority, category, opened_at, responded,
           CASE WHEN status IN ('solved', 'closed') THEN least(now(), responded + random() * interval '6 days') END,
           CASE WHEN status IN ('solved', 'closed') AND random() < 0.5 THEN 1 + floor(5 * sqrt(random()))::int END
    FROM (
        SELECT *, CASE WHEN status = 'new' THEN NULL
                       ELSE least(now(), opened_at + random() * interval '30 hours') END AS responded
        FROM (
            SELECT account_id, subject, priority, category, opened_at,
                   CASE WHEN opened_at > now() - interval '2 days' THEN CASE WHEN r < 0.5 THEN 'new' ELSE 'open' END
                        WHEN opened_at > now() - interval '21 days' THEN
                            CASE WHEN r < 0.25 THEN 'open' WHEN r < 0.4 THEN 'pending' WHEN r < 0.5 THEN 'on_hold'
                                 ELSE 'solved' END
                        WHEN r < 0.06 THEN 'open' WHEN r < 0.08 THEN 'on_hold' WHEN r < 0.6 THEN 'solved'
                        ELSE 'closed' END AS status
            FROM (
                SELECT a.id AS account_id,
                       CASE WHEN k % 9 = 4 THEN ' ' ELSE 'Ticket ' || a.n || '-' || k END AS subject,
                       now() - random() ^ 2 * interval '365 days' AS opened_at, random() AS r,
                       CASE WHEN k % 11 <> 5 THEN {_sql_array(("low", "normal", "high", "urgent"))}
                           [1 + floor(4 * random() ^ 2)::int] END AS priority,
                       {_sql_array(("bug", "question", "feature_request", "incident", "billing", "other"))}
                           [1 + floor(random() * 6)::int] AS category
                FROM seed_accounts a CROSS JOIN LATERAL generate_series(1, a.tickets) AS k
                OFFSET 0
            ) AS drawn
        ) AS classified
        OFFSET 0
    ) AS answered""",
    f"""INSERT INTO contacts (account_id, name, email, phone, title, role)
    SELECT account_id, CASE WHEN unnamed THEN NULL ELSE first_name || ' ' || last_name END,
           lower(first_name || '.' || last_name || '.' || k || '@' || replace(account_name, ' ', '-') || '.example'),
           phone, title, role
    FROM (
        SELECT a.id AS account_id, a.name AS account_name, k, random() < 0.05 AS unnamed,
               {_sql_array(("Riley", "Morgan", "Jordan", "Casey", "Avery", "Quinn", "Rowan", "Sasha"))}
                   [1 + floor(random() * 8)::int] AS first_name,
               {_sql_array(("Chen", "Lee", "Garcia", "Novak", "Singh", "Brown", "Rossi", "Sato"))}
                   [1 + floor(random() * 8)::int] AS last_name,
               '+1-555-' || lpad(floor(random() * 10000)::text, 4, '0') AS phone,
               {_sql_array(("VP Operations", "Head of Support", "IT Manager", "Analyst", "CFO"))}
                   [1 + floor(random() * 5)::int] AS title,
               {_sql_array(("decision_maker", "economic_buyer", "champion", "admin", "user", "billing", "technical"))}
                   [1 + floor(random() * 7)::int] AS role
        FROM seed_accounts a CROSS JOIN LATERAL generate_series(1, 3 + a.n % 4) AS k
        OFFSET 0
    ) AS drawn""",
    """INSERT INTO survey_responses (account_id, contact_email, kind, score, comment, responded_at)
    SELECT a.id, CASE WHEN random() < 0.5 THEN 'respondent.' || k || '@example.com' END, kind,
           CASE kind WHEN 'nps' THEN floor(11 * sqrt(random()))::int ELSE 1 + floor(5 * sqrt(random()))::int END,
           CASE WHEN k % 5 = 1 THEN 'Comment ' || k
                WHEN k % 5 = 3 THEN repeat(E'Slow  reports,\n  but support helps.   ', 6 + k % 3) END,
           now() - random() * CASE kind WHEN 'nps' THEN interval '180 days' ELSE interval '365 days' END
    FROM seed_accounts a
    CROSS JOIN LATERAL generate_series(1, a.n % 7 + 2) AS k
    CROSS JOIN LATERAL (SELECT CASE WHEN k % 3 = 0 THEN 'csat' ELSE 'nps' END AS kind) AS chosen""",
    f"""INSERT INTO timeline_events (account_id, kind, occurred_at, summary, actor, source)
    SELECT account_id, kind, occurred_at, initcap(kind) || ' with ' || account_name, actor, source
    FROM (
        SELECT a.id AS account_id, a.name AS account_name, a.csm_owner AS actor,
               {_sql_array(("meeting", "qbr", "call", "email", "note", "escalation", "renewal"))}
                   [1 + floor(random() * 7)::int] AS kind,
               now() - random() * interval '365 days' AS occurred_at, CASE WHEN random() < 0.7 THEN 'crm' END AS source
        FROM seed_accounts a CROSS JOIN LATERAL generate_series(1, 8 + a.n % 8) AS k
        OFFSET 0
    ) AS drawn""",
    # Who sent the records the timeline derives entries from: most contracts, tickets and surveys came from a
    # source system (a few tickets from two: the first sender counts), the rest were made in the hub.
    """INSERT INTO source_links (source, object_type, external_id, entity_id, account_id, first_seen_at, last_synced_at)
    SELECT source, object_type, source || '-' || object_type || '-' || entity_id, entity_id, account_id, first_seen_at,
           now()
    FROM (
        SELECT 'crm' AS source, 'contract' AS object_type, id AS entity_id, account_id,
               now() - interval '400 days' AS first_seen_at, random() < 0.9 AS linked
        FROM contracts
        UNION ALL
        SELECT 'support', 'ticket', id, account_id, opened_at, random() < 0.8 FROM tickets
        UNION ALL
        SELECT 'crm', 'ticket', id, account_id, opened_at + interval '1 hour', random() < 0.1 FROM tickets
        UNION ALL
        SELECT 'surveys', 'survey_response', id, account_id, responded_at, random() < 0.7 FROM survey_responses
        OFFSET 0
    ) AS drawn
    WHERE linked""",
    # A sales-to-CSM handoff for every fourth account over the last weeks: drafted, submitted, (for every
    # eighth) returned with a comment and submitted again, accepted, kickoff held.
    """CREATE TEMP TABLE seed_handoffs AS
    SELECT gen_random_uuid() AS id, id AS account_id, n, coalesce(csm_owner, 'Tom Weiss') AS csm,
           now() - (8 + n % 40) * interval '1 day' AS started_at
    FROM seed_accounts WHERE n % 4 = 0""",
    """INSERT INTO handoffs (id, account_id, state, created_by, sales_owner, csm_owner)
    SELECT id, account_id, 'KICKOFF_HELD', 'Dana Fox', 'Dana Fox', csm FROM seed_handoffs""",
    """INSERT INTO handoff_events (handoff_id, account_id, actor, actor_role, from_state, to_state, comment,
                                  occurred_at)
    SELECT h.id, h.account_id, CASE s.actor_role WHEN 'sales' THEN 'Dana Fox' ELSE h.csm END, s.actor_role,
           s.from_state, s.to_state, s.comment, h.started_at + s.step * interval '17 hours'
    FROM seed_handoffs h
    CROSS JOIN (VALUES (0, 'sales', NULL, 'DRAFT', NULL), (1, 'sales', 'DRAFT', 'SUBMITTED', '  '),
                       (2, 'csm', 'SUBMITTED', 'RETURNED', ' Success criteria missing '),
                       (3, 'sales', 'RETURNED', 'SUBMITTED', NULL), (4, 'csm', 'SUBMITTED', 'ACCEPTED', 'Thanks'),
                       (9, 'csm', 'ACCEPTED', 'KICKOFF_HELD', NULL)) AS s(step, actor_role, from_state, to_state,
                                                                          comment)
    WHERE h.n % 8 = 0 OR s.step NOT IN (2, 3)""",
    # Weekly overall health scores over the last 9 weeks; one in ten without enough data (no score, no band).
    """INSERT INTO health_scores (account_id, scorecard_id, score_name, score, band, coverage, computed_at)
    SELECT account_id, (SELECT id FROM scorecards WHERE name = 'overall'), 'overall', score,
           CASE WHEN score < 40 THEN 'red' WHEN score < 70 THEN 'yellow' WHEN score IS NOT NULL THEN 'green' END,
           CASE WHEN score IS NULL THEN 0.2 ELSE 0.9 END, computed_at
    FROM (
        SELECT a.id AS account_id, CASE WHEN random() >= 0.1 THEN round((20 + random() * 75)::numeric, 2) END AS score,
               now() - k * interval '7 days' - random() * interval '1 hour' AS computed_at
        FROM seed_accounts a CROSS JOIN generate_series(0, 8) AS k
        OFFSET 0
    ) AS drawn""",
    # Each score's previous band, as the recompute writes it.
    """UPDATE health_scores AS h SET previous_band = banded.previous_band
    FROM (
        SELECT id, lag(band) OVER (PARTITION BY account_id, score_name ORDER BY computed_at, id) AS previous_band
        FROM health_scores WHERE band IS NOT NULL
    ) AS banded
    WHERE banded.id = h.id AND banded.previous_band IS NOT NULL""",
    # Usage: per user a daily activity rate; one user in ten went dormant over 30 days ago. A row of
    # seed_usage is one user's events on one feature on one UTC day: what ingest folds events into.
    """CREATE TEMP TABLE seed_users AS
    SELECT a.id AS account_id, 'user-' || a.n || '-' || k AS user_ref, 0.05 + random() * 0.4 AS activity,
           random() < 0.1 AS dormant
    FROM seed_accounts a CROSS JOIN LATERAL generate_series(1, a.users) AS k""",
    """CREATE TEMP TABLE seed_days AS
    SELECT ago, t.today - ago AS day, (t.today - ago)::timestamp AT TIME ZONE 'UTC' AS starts,
           CASE WHEN ago = 0 THEN now() - t.today::timestamp AT TIME ZONE 'UTC' ELSE interval '1 day' END AS span
    FROM seed_today t CROSS JOIN generate_series(0, 34) AS ago""",
    f"""CREATE TEMP TABLE seed_usage AS
    SELECT account_id, user_ref, day, feature, sum(events)::int AS events, min(first_at) AS first_at,
           max(last_at) AS last_at
    FROM (
        SELECT account_id, user_ref, day, feature, events, first_at,
               CASE WHEN events = 1 THEN first_at ELSE first_at + random() * (starts + span - first_at) END AS last_at
        FROM (
            SELECT account_id, user_ref, day, starts, span,
                   {_sql_array(FEATURES)}[1 + floor({len(FEATURES)} * random() ^ 2)::int] AS feature,
                   1 + floor(random() * 6)::int AS events, starts + random() * span AS first_at
            FROM (
                SELECT active_day.account_id, active_day.user_ref, active_day.day, active_day.starts,
                       active_day.span, f, random() AS extra
                FROM (
                    SELECT u.account_id, u.user_ref, u.activity, d.day, d.starts, d.span, random() AS roll
                    FROM seed_users u JOIN seed_days d ON u.dormant = (d.ago > 30)
                    OFFSET 0
                ) AS active_day
                CROSS JOIN generate_series(1, 3) AS f
                WHERE active_day.roll < active_day.activity
                OFFSET 0
            ) AS feature_draw
            WHERE f = 1 OR extra < 0.35
            OFFSET 0
        ) AS drawn
        OFFSET 0
    ) AS timed
    GROUP BY account_id, user_ref, day, feature""",
    """INSERT INTO usage_daily_users (account_id, day, feature, user_ref)
    SELECT account_id, day, feature, user_ref FROM seed_usage ORDER BY account_id, day, feature, user_ref""",
    """INSERT INTO usage_daily (account_id, day, feature, events, active_users)
    SELECT account_id, day, feature, sum(events), count(*) FROM seed_usage GROUP BY account_id, day, feature
    ORDER BY account_id, day, feature""",
    """INSERT INTO user_last_seen (account_id, user_ref, first_seen_at, last_seen_at)
    SELECT account_id, user_ref, min(first_at), max(last_at) FROM seed_usage GROUP BY account_id, user_ref
    ORDER BY account_id, user_ref""",
)
# The shipped default scorecard, as the service stores it (health_scores.scorecards.ensure_default).
DEFAULT_SCORECARD = """INSERT INTO scorecards (name, segment, version, config, created_by)
    VALUES ('overall', NULL, 1, $1::jsonb, 'cshub')"""
SEEDED_TABLES = (
    "accounts",
    "source_links",
    "contacts",
    "products",
    "contracts",
    "contract_lines",
    "tickets",
    "survey_responses",
    "timeline_events",
    "handoff_events",
    "health_scores",
    "usage_daily",
    "usage_daily_users",
    "user_last_seen",
)


async def seed(dsn: str, accounts: int) -> None:
    """Run every statement on one connection (asyncpg DSN), in one transaction; then VACUUM ANALYZE."""
    conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
    try:
        async with conn.transaction():
            await conn.execute(DEFAULT_SCORECARD, json.dumps(DEFAULT_CONFIG.model_dump(mode="json", exclude_none=True)))
            for statement in SEED_STATEMENTS:
                await conn.execute(statement.replace("{accounts}", str(int(accounts))))
        await conn.execute(f"VACUUM ANALYZE {', '.join(SEEDED_TABLES)}")
    finally:
        await conn.close()
