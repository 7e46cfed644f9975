"""The health bench data: set-based SQL statements that seed a migrated, empty database, and running them.

What they build is described in the package docstring. ``{accounts}`` in a statement stands for the
validated account count. Bump SEED_VERSION whenever what is seeded changes: existing bench databases then
no longer match their marker and are rebuilt.
"""

import asyncpg

from bench.graphql_360.seed import CSM_NAMES, FEATURES, _sql_array

SEED_VERSION = 1
USAGE_DAYS = 62  # days of usage, today included: both 30-day trend windows, plus two days outside them

# Volatile functions (random()) are only drawn in select lists of subqueries fenced with OFFSET 0 and
# filtered outside them, as in bench.graphql_360.seed: a WHERE random() would be pushed down or run once.
SEED_STATEMENTS = (
    "SELECT setseed(0.42)",
    "CREATE TEMP TABLE seed_today AS SELECT (now() AT TIME ZONE 'UTC')::date AS today",
    """INSERT INTO products (name, family) VALUES
        ('Hub Core', 'platform'), ('Insights', 'analytics'), ('Premium Support', NULL)""",
    # One row per account with every attribute later statements need. kind: 3% never used the product,
    # 2% went quiet three or more weeks ago; adoption/attrition: the share of users who joined/left lately.
    f"""CREATE TEMP TABLE seed_accounts AS
    SELECT n, gen_random_uuid() AS id, segment, kind, breadth, adoption, attrition, churned, tickets, spike,
           nps_count, csat_count, tilt, manual_count, term_offset, users,
           CASE WHEN users = 0 THEN 3 + floor(size * 10) ELSE greatest(1, round(users * seats_factor)) END::int AS seats
    FROM (
        SELECT *, CASE WHEN kind = 'no_usage' THEN 0
                       ELSE CASE segment WHEN 'enterprise' THEN 20 + floor(size * 40)
                                         WHEN 'mid_market' THEN 8 + floor(size * 20)
                                         WHEN 'smb' THEN 3 + floor(size * 9) ELSE 2 + floor(size * 5) END
                  END::int AS users
        FROM (
            SELECT n, random() AS size, 0.6 + random() * 0.9 AS seats_factor,
                   CASE WHEN r_segment < 0.1 THEN 'enterprise' WHEN r_segment < 0.4 THEN 'mid_market'
                        WHEN r_segment < 0.8 THEN 'smb' ELSE 'startup' END AS segment,
                   CASE WHEN r_kind < 0.03 THEN 'no_usage' WHEN r_kind < 0.05 THEN 'quiet' ELSE 'normal' END AS kind,
                   2 + floor(random() * {len(FEATURES) - 1})::int AS breadth,
                   0.3 * random() AS adoption, 0.35 * random() ^ 2 AS attrition,
                   random() < 0.05 AS churned,
                   CASE WHEN random() < 0.05 THEN 0 ELSE 2 + floor(random() * 25)::int END AS tickets,
                   random() < 0.03 AS spike,
                   CASE WHEN random() < 0.15 THEN 0 ELSE 1 + floor(random() * 6)::int END AS nps_count,
                   CASE WHEN random() < 0.25 THEN 0 ELSE 1 + floor(random() * 5)::int END AS csat_count,
                   0.35 + random() * 1.3 AS tilt,
                   CASE WHEN r_manual < 0.08 THEN 1 + floor(r_manual / 0.08 * 3)::int ELSE 0 END AS manual_count,
                   floor(random() * 365)::int AS term_offset
            FROM (
                SELECT n, random() AS r_segment, random() AS r_kind, random() AS r_manual
                FROM generate_series(1, {{accounts}}) AS n
                OFFSET 0
            ) AS first_draws
            OFFSET 0
        ) AS drawn
    ) AS sized""",
    f"""INSERT INTO accounts (id, name, domain, segment, lifecycle_stage, touch_model, csm_owner)
    SELECT id, 'Health Account ' || lpad(n::text, 6, '0'), 'health-' || n || '.example', segment,
           CASE WHEN churned THEN 'churned' ELSE 'adoption' END,
           CASE segment WHEN 'enterprise' THEN 'high' WHEN 'mid_market' THEN 'low' ELSE 'tech' END,
           {_sql_array(CSM_NAMES)}[1 + n % {len(CSM_NAMES)}]
    FROM seed_accounts ORDER BY n""",
    # Per account: the previous yearly term (ended), the current one (active today unless churned: then it
    # ended within the past year), for some a draft renewal with a tempting renewal date in 5 days or a
    # cancelled deal overlapping today renewing in 20: neither may count.
    """CREATE TEMP TABLE seed_contracts AS
    SELECT gen_random_uuid() AS id, account_id, seats, k, start_date, end_date, renewal_date,
           CASE WHEN k = 3 THEN 'draft' WHEN k = 4 THEN 'cancelled'
                WHEN end_date <= today THEN 'ended' ELSE 'active' END AS status
    FROM (
        SELECT a.id AS account_id, a.seats, k, t.today,
               CASE k WHEN 1 THEN (ts - interval '1 year')::date WHEN 2 THEN ts
                      WHEN 3 THEN (ts + interval '1 year')::date ELSE t.today - 30 END AS start_date,
               CASE k WHEN 1 THEN ts WHEN 2 THEN (ts + interval '1 year')::date
                      WHEN 3 THEN (ts + interval '2 years')::date ELSE t.today + 335 END AS end_date,
               CASE k WHEN 1 THEN ts WHEN 2 THEN (ts + interval '1 year')::date
                      WHEN 3 THEN t.today + 5 ELSE t.today + 20 END AS renewal_date
        FROM seed_accounts a
        CROSS JOIN seed_today t
        CROSS JOIN LATERAL (SELECT t.today - a.term_offset - CASE WHEN a.churned THEN 365 ELSE 0 END AS ts) AS term
        CROSS JOIN generate_series(1, 4) AS k
        WHERE k <= 2 OR (k = 3 AND a.n % 10 < 3) OR (k = 4 AND a.n % 10 = 3)
    ) AS dated""",
    """INSERT INTO contracts (id, account_id, status, start_date, end_date, renewal_date, auto_renew, currency)
    SELECT id, account_id, status, start_date, end_date, renewal_date, k = 2, 'USD' FROM seed_contracts
    ORDER BY account_id, k""",
    # Lines: the core seats; often Insights for half of them (sometimes ending mid-term); sometimes an
    # expansion of the core seats starting mid-term (maybe not yet: then it does not count today); support.
    """INSERT INTO contract_lines (contract_id, account_id, product_id, quantity, unit_price, mrr, start_date, end_date)
    SELECT contract_id, account_id, p.id, quantity, price, quantity * price, start_date, end_date
    FROM (
        SELECT c.id AS contract_id, c.account_id, j, random() AS keep,
               CASE j WHEN 2 THEN 'Insights' WHEN 4 THEN 'Premium Support' ELSE 'Hub Core' END AS product,
               CASE j WHEN 1 THEN greatest(1, round(c.seats * CASE WHEN c.k = 1 THEN 0.8 ELSE 1 END))
                      WHEN 2 THEN greatest(1, ceil(c.seats * 0.5))
                      WHEN 3 THEN greatest(1, ceil(c.seats * 0.2)) ELSE 1 END::int AS quantity,
               CASE j WHEN 2 THEN 12.50 WHEN 4 THEN 500.00 ELSE 45.00 END AS price,
               CASE WHEN j = 3 THEN c.start_date + 100 + floor(random() * 200)::int END AS start_date,
               CASE WHEN j = 2 AND random() < 0.3 THEN c.start_date + 200 END AS end_date
        FROM seed_contracts c CROSS JOIN generate_series(1, 4) AS j
        OFFSET 0
    ) AS drawn
    JOIN products p ON p.name = drawn.product
    WHERE j = 1 OR (j = 2 AND keep < 0.6) OR (j = 3 AND keep < 0.25) OR (j = 4 AND keep < 0.3)""",
    # Tickets over 400 days, the recent ones mostly open; a spiking account has 4-7 more in the last 5 days.
    f"""INSERT INTO tickets (account_id, subject, status, priority, category, opened_at, first_response_at, solved_at)
    SELECT account_id, subject, status, priority, category, opened_at, responded,
           CASE WHEN status IN ('solved', 'closed') THEN least(now(), responded + random() * interval '5 days') END
    FROM (
        SELECT *, CASE WHEN status = 'new' THEN NULL
                       ELSE least(now(), opened_at + random() * interval '30 hours') END AS responded
        FROM (
            SELECT account_id, subject, priority, category, opened_at,
                   CASE WHEN opened_at > now() - interval '3 days' THEN CASE WHEN r < 0.5 THEN 'new' ELSE 'open' END
                        WHEN opened_at > now() - interval '30 days' THEN
                            CASE WHEN r < 0.3 THEN 'open' WHEN r < 0.45 THEN 'pending' WHEN r < 0.55 THEN 'on_hold'
                                 ELSE 'solved' END
                        WHEN r < 0.05 THEN 'open' WHEN r < 0.07 THEN 'on_hold' WHEN r < 0.6 THEN 'solved'
                        ELSE 'closed' END AS status
            FROM (
                SELECT a.id AS account_id, 'Ticket ' || a.n || '-' || k AS subject, random() AS r,
                       CASE WHEN k > a.tickets THEN now() - random() * interval '5 days'
                            ELSE now() - random() ^ 2 * interval '400 days' END AS opened_at,
                       CASE WHEN random() < 0.05 THEN NULL
                            ELSE {_sql_array(("low", "normal", "high", "urgent"))}[1 + floor(4 * random() ^ 2)::int]
                       END AS priority,
                       {_sql_array(("bug", "question", "feature_request", "incident", "billing", "other"))}
                           [1 + floor(random() * 6)::int] AS category
                FROM seed_accounts a
                CROSS JOIN LATERAL generate_series(1, a.tickets + CASE WHEN a.spike THEN 4 + a.n % 4 ELSE 0 END) AS k
                OFFSET 0
            ) AS drawn
        ) AS classified
        OFFSET 0
    ) AS answered""",
    # NPS over a year (about half inside the 180-day window), CSAT over 180 days (half inside 90); an
    # account's tilt under 1 skews its answers up, over 1 down.
    """INSERT INTO survey_responses (account_id, contact_email, kind, score, responded_at)
    SELECT a.id, 'respondent.' || k || '@health-' || a.n || '.example', 'nps', floor(11 * random() ^ a.tilt)::int,
           now() - random() * interval '365 days'
    FROM seed_accounts a CROSS JOIN LATERAL generate_series(1, a.nps_count) AS k
    UNION ALL
    SELECT a.id, NULL, 'csat', 1 + floor(5 * random() ^ a.tilt)::int, now() - random() * interval '180 days'
    FROM seed_accounts a CROSS JOIN LATERAL generate_series(1, a.csat_count) AS k""",
    # 1-3 manual scores for 8% of accounts, 20 days apart; some expired (the one before then applies, if any).
    """INSERT INTO manual_scores (account_id, score, comment, created_by, created_at, expires_at)
    SELECT account_id, score, 'Checked in call ' || k, 'Alex Kim', created_at,
           CASE WHEN r < 0.3 THEN created_at + interval '5 days' WHEN r < 0.5 THEN now() + interval '30 days' END
    FROM (
        SELECT a.id AS account_id, k, round((random() * 100)::numeric, 0) AS score, random() AS r,
               now() - make_interval(days => 20 * k) - random() * interval '10 days' AS created_at
        FROM seed_accounts a CROSS JOIN LATERAL generate_series(1, a.manual_count) AS k
        OFFSET 0
    ) AS drawn""",
    # Usage. Users: a daily activity rate; some joined lately (active only since joined_ago days), some
    # left (active only before left_ago days); a quiet account's users all left 21-50 days ago.
    """CREATE TEMP TABLE seed_users AS
    SELECT a.id AS account_id, 'user-' || a.n || '-' || k AS user_ref, a.breadth, 0.03 + random() * 0.15 AS activity,
           CASE WHEN random() < a.adoption THEN floor(random() * 55)::int END AS joined_ago,
           CASE WHEN a.kind = 'quiet' THEN 21 + floor(random() * 30)::int
                WHEN random() < a.attrition THEN 3 + floor(random() * 55)::int END AS left_ago
    FROM seed_accounts a CROSS JOIN LATERAL generate_series(1, a.users) AS k""",
    f"""CREATE TEMP TABLE seed_days AS
    SELECT ago, t.today - ago AS day, (t.today - ago)::timestamp AT TIME ZONE 'UTC' AS starts,
           CASE WHEN ago = 0 THEN now() - t.today::timestamp AT TIME ZONE 'UTC' ELSE interval '1 day' END AS span,
           CASE WHEN extract(isodow FROM t.today - ago) >= 6 THEN 0.3 ELSE 1 END AS weekday_factor
    FROM seed_today t CROSS JOIN generate_series(0, {USAGE_DAYS - 1}) AS ago""",
    # One row per user, UTC day and feature used (what ingest folds that user's events into): login on
    # every active day, each further feature of the account's first `breadth` ones with falling odds.
    f"""CREATE TEMP TABLE seed_usage AS
    SELECT account_id, user_ref, day, feature, events, first_at,
           CASE WHEN events = 1 THEN first_at ELSE first_at + random() * (starts + span - first_at) END AS last_at
    FROM (
        SELECT d.account_id, d.user_ref, d.day, d.starts, d.span, f, random() AS roll,
               {_sql_array(FEATURES)}[f] AS feature, 1 + floor(random() * 6)::int AS events,
               d.starts + random() * d.span AS first_at
        FROM (
            SELECT account_id, user_ref, breadth, day, starts, span
            FROM (
                SELECT u.account_id, u.user_ref, u.breadth, u.activity * d.weekday_factor AS odds, d.day, d.starts,
                       d.span, random() AS roll
                FROM seed_users u
                JOIN seed_days d ON (u.joined_ago IS NULL OR d.ago <= u.joined_ago)
                                AND (u.left_ago IS NULL OR d.ago > u.left_ago)
                OFFSET 0
            ) AS user_day
            WHERE roll < odds
        ) AS d
        CROSS JOIN LATERAL generate_series(1, d.breadth) AS f
        OFFSET 0
    ) AS drawn
    WHERE f = 1 OR roll < 0.7 / f""",
    """INSERT INTO usage_daily_users (account_id, day, feature, user_ref)
    SELECT account_id, day, feature, user_ref FROM seed_usage ORDER BY account_id, day, feature, user_ref""",
    """INSERT INTO usage_daily (account_id, day, feature, events, active_users)
    SELECT account_id, day, feature, sum(events), count(*) FROM seed_usage GROUP BY account_id, day, feature
    ORDER BY account_id, day, feature""",
    """INSERT INTO user_last_seen (account_id, user_ref, first_seen_at, last_seen_at)
    SELECT account_id, user_ref, min(first_at), max(last_at) FROM seed_usage GROUP BY account_id, user_ref
    ORDER BY account_id, user_ref""",
)
SEEDED_TABLES = (
    "accounts",
    "contracts",
    "contract_lines",
    "tickets",
    "survey_responses",
    "manual_scores",
    "usage_daily",
    "usage_daily_users",
    "user_last_seen",
)


async def seed(dsn: str, accounts: int) -> None:
    """Run every statement on one connection (asyncpg DSN), in one transaction; then VACUUM ANALYZE.
    The session gets a larger work_mem so its sorts stay in memory; measurements use the server's settings."""
    conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC", "work_mem": "256MB"})
    try:
        async with conn.transaction():
            for statement in SEED_STATEMENTS:
                await conn.execute(statement.replace("{accounts}", str(int(accounts))))
        await conn.execute(f"VACUUM ANALYZE {', '.join(SEEDED_TABLES)}")
    finally:
        await conn.close()
