"""The baseline: each page's answer built by one hand-written SQL statement in PostgreSQL.

Parameters: $1 the CSM (portfolio) or account id (360, timeline), $2 today, $3/$4 the usage range [from, to)
(not the timeline's). Each statement returns one JSON text equal to the GraphQL ``data`` of the same page.
"""

from bench.graphql_360.pages import PORTFOLIO_SIZE, TIMELINE_CHECK_SIZE
from bench.graphql_360.sql_fragments import (
    OPEN_TICKETS,
    account_figures,
    connection,
    contract_list,
    figure_fields,
    global_id,
    json_list,
    money,
    obj,
    renewal_date,
    seconds_between,
    usage_series,
)
from bench.graphql_360.timeline_sql import entries, entry_source

PORTFOLIO_NODE = {
    "id": global_id("Account", "a.id"),
    "name": "a.name",
    "segment": "upper(a.segment)",
    "renewalDate": renewal_date("a.id"),
    **figure_fields(),
    "contracts": contract_list(
        "a.id",
        {
            "id": global_id("Contract", "c.id"),
            "status": "upper(c.status)",
            "startDate": "c.start_date",
            "endDate": "c.end_date",
            "renewalDate": "c.renewal_date",
        },
        {
            "product": "json_build_object('name', pr.name)",
            "quantity": "l.quantity",
            "mrr": money("l.mrr", "c.currency"),
        },
        where=" AND c.status = 'active'",
    ),
    "tickets": connection(
        {
            "id": global_id("Ticket", "t.id"),
            "subject": "t.subject",
            "status": "upper(t.status)",
            "priority": "upper(t.priority)",
            "openedAt": "t.opened_at",
            "timeToFirstResponseSeconds": seconds_between("t.opened_at", "t.first_response_at"),
        },
        "tickets",
        f"account_id = a.id AND status IN {OPEN_TICKETS}",
        "opened_at",
        5,
        page_info=True,
    ),
    "usage": usage_series("a.id"),
}

# The list cursor is base64url(JSON ["name.asc", name, id]) as the service encodes it (names are ASCII here).
PORTFOLIO_CURSOR = (
    "rtrim(translate(encode(convert_to('[\"name.asc\",' || to_json(name)::text || ',' || to_json(id::text)::text"
    " || ']', 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"
)

PORTFOLIO_SQL = f"""
WITH listed AS (
    SELECT id, name FROM accounts WHERE csm_owner = $1::text ORDER BY name, id LIMIT {PORTFOLIO_SIZE + 1}
),
page AS (SELECT id, name FROM listed ORDER BY name, id LIMIT {PORTFOLIO_SIZE})
SELECT json_build_object('accounts', json_build_object(
    'edges', (SELECT coalesce(json_agg(json_build_object('node', {obj(PORTFOLIO_NODE)}) ORDER BY a.name, a.id),
                              '[]'::json)
              FROM page JOIN accounts a ON a.id = page.id {account_figures("a.id")}),
    'pageInfo', json_build_object(
        'hasNextPage', (SELECT count(*) > {PORTFOLIO_SIZE} FROM listed),
        'endCursor', (SELECT {PORTFOLIO_CURSOR} FROM page ORDER BY name DESC, id DESC LIMIT 1))))
"""

TIMELINE_NODE = {
    "id": global_id("TimelineEvent", "t.id"),
    "kind": "upper(t.kind)",
    "occurredAt": "t.occurred_at",
    "summary": "t.summary",
    "actor": "t.actor",
    "source": entry_source("t"),
}

TIMELINE_ENTRIES = f"({entries('a.id')}) AS entries"

ACCOUNT_360_NODE = {
    "id": global_id("Account", "a.id"),
    "name": "a.name",
    "domain": "a.domain",
    "industry": "a.industry",
    "segment": "upper(a.segment)",
    "lifecycleStage": "upper(a.lifecycle_stage)",
    "touchModel": "upper(a.touch_model)",
    "csmOwner": "a.csm_owner",
    "salesOwner": "a.sales_owner",
    "createdAt": "a.created_at",
    "updatedAt": "a.updated_at",
    "sources": json_list(
        obj(
            {
                "source": "s.source",
                "externalId": "s.external_id",
                "firstSeenAt": "s.first_seen_at",
                "lastSyncedAt": "s.last_synced_at",
                "sourceUpdatedAt": "s.source_updated_at",
            }
        ),
        "s.first_seen_at, s.source, s.external_id",
        "source_links s WHERE s.object_type = 'account' AND s.entity_id = a.id",
    ),
    "parent": f"(SELECT {obj({'id': global_id('Account', 'p.id'), 'name': 'p.name'})}"
    " FROM accounts p WHERE p.id = a.parent_account_id)",
    "children": json_list(
        obj({"id": global_id("Account", "ch.id"), "name": "ch.name"}),
        "ch.name, ch.id",
        "accounts ch WHERE ch.parent_account_id = a.id",
    ),
    "contacts": json_list(
        obj(
            {
                "id": global_id("Contact", "p.id"),
                "name": "p.name",
                "email": "p.email",
                "phone": "p.phone",
                "title": "p.title",
                "role": "upper(p.role)",
            }
        ),
        "p.name NULLS LAST, p.email, p.id",
        "contacts p WHERE p.account_id = a.id",
    ),
    "contracts": contract_list(
        "a.id",
        {
            "id": global_id("Contract", "c.id"),
            "status": "upper(c.status)",
            "startDate": "c.start_date",
            "endDate": "c.end_date",
            "renewalDate": "c.renewal_date",
            "autoRenew": "c.auto_renew",
            "currency": "c.currency",
        },
        {
            "product": "json_build_object('name', pr.name, 'family', pr.family)",
            "quantity": "l.quantity",
            "unitPrice": f"CASE WHEN l.unit_price IS NULL THEN NULL ELSE {money('l.unit_price', 'c.currency')} END",
            "mrr": money("l.mrr", "c.currency"),
            "startDate": "l.start_date",
            "endDate": "l.end_date",
        },
    ),
    "renewalDate": renewal_date("a.id"),
    **figure_fields(),
    "usage": usage_series("a.id"),
    "featureAdoption": json_list(
        obj({"feature": "e.feature", "events": "e.events", "users": "coalesce(u.users, 0)"}),
        "e.events DESC, e.feature",
        """(SELECT feature, sum(events) AS events FROM usage_daily
            WHERE account_id = a.id AND day >= $2::date - 29 AND day < $2::date + 1 GROUP BY feature) AS e
           LEFT JOIN (SELECT feature, count(DISTINCT user_ref) AS users FROM usage_daily_users
            WHERE account_id = a.id AND day >= $2::date - 29 AND day < $2::date + 1 GROUP BY feature) AS u
           USING (feature)""",
    ),
    "lastSeenDistribution": f"""(SELECT {
        obj(
            {
                "within1Day": "count(*) FILTER (WHERE last_seen_at >= now() - interval '1 day')",
                "within7Days": "count(*) FILTER (WHERE last_seen_at < now() - interval '1 day'"
                " AND last_seen_at >= now() - interval '7 days')",
                "within30Days": "count(*) FILTER (WHERE last_seen_at < now() - interval '7 days'"
                " AND last_seen_at >= now() - interval '30 days')",
                "over30Days": "count(*) FILTER (WHERE last_seen_at < now() - interval '30 days')",
            }
        )
    } FROM user_last_seen WHERE account_id = a.id)""",
    "tickets": connection(
        {
            "id": global_id("Ticket", "t.id"),
            "subject": "t.subject",
            "status": "upper(t.status)",
            "priority": "upper(t.priority)",
            "category": "upper(t.category)",
            "openedAt": "t.opened_at",
            "firstResponseAt": "t.first_response_at",
            "solvedAt": "t.solved_at",
            "csat": "t.csat",
            "timeToFirstResponseSeconds": seconds_between("t.opened_at", "t.first_response_at"),
            "timeToResolutionSeconds": seconds_between("t.opened_at", "t.solved_at"),
        },
        "tickets",
        "account_id = a.id",
        "opened_at",
        20,
        page_info=True,
    ),
    "surveys": connection(
        {
            "id": global_id("SurveyResponse", "t.id"),
            "kind": "upper(t.kind)",
            "score": "t.score",
            "comment": "t.comment",
            "contactEmail": "t.contact_email",
            "respondedAt": "t.responded_at",
        },
        "survey_responses",
        "account_id = a.id",
        "responded_at",
        10,
        page_info=False,
    ),
    "nps": f"""(SELECT {
        obj(
            {
                "responses": "count(*)",
                "promoters": "count(*) FILTER (WHERE score >= 9)",
                "passives": "count(*) FILTER (WHERE score BETWEEN 7 AND 8)",
                "detractors": "count(*) FILTER (WHERE score <= 6)",
                "nps": "CASE WHEN count(*) = 0 THEN NULL ELSE round(100.0 * (count(*) FILTER (WHERE score >= 9)"
                " - count(*) FILTER (WHERE score <= 6)) / count(*), 2) END",
            }
        )
    } FROM survey_responses WHERE account_id = a.id AND kind = 'nps'
        AND responded_at >= ($2::date - 89)::timestamp AT TIME ZONE 'UTC'
        AND responded_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC')""",
    "timeline": connection(TIMELINE_NODE, TIMELINE_ENTRIES, "true", "occurred_at", 10, page_info=False),
}

ACCOUNT_360_SQL = f"""
SELECT json_build_object('account', (
    SELECT {obj(ACCOUNT_360_NODE)}
    FROM accounts a {account_figures("a.id")}
    WHERE a.id = $1::uuid))
"""

# The agreement check's extra page: one account's whole timeline (up to TIMELINE_CHECK_SIZE entries).
WHOLE_TIMELINE = connection(
    {**TIMELINE_NODE, "origin": "upper(t.origin)"},
    TIMELINE_ENTRIES,
    "true",
    "occurred_at",
    TIMELINE_CHECK_SIZE,
    page_info=True,
)
TIMELINE_SQL = f"""
SELECT json_build_object('account', (
    SELECT json_build_object('timeline', {WHOLE_TIMELINE}) FROM accounts a WHERE a.id = $1::uuid))
"""
