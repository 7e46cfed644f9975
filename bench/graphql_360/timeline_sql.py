"""The account timeline in hand-written SQL: recorded ``timeline_events`` rows and the entries the service
derives on read from contracts, tickets, surveys, handoff transitions and health band changes, as one
UNION ALL per account (columns: id, kind, origin, occurred_at, summary, actor, source, link_type, origin_id).

Written from the rules ``service.timeline.derived`` documents (ids, kinds, summaries, UTC midnights, renewal
detection, band changes), not from its SQLAlchemy, so that agreement with the API is evidence. A contract,
ticket or survey entry takes the source system that first sent its record (``source_links``), else
``cshub``; that lookup runs for the page's rows only (``entry_source``).

Parameter $2 is today (UTC).
"""

LIVE = "status NOT IN ('draft', 'cancelled')"  # contracts that ran
EXCERPT = 120  # characters of a survey comment in its summary, the ellipsis included
HANDOFF_VERBS = {
    "DRAFT": "created",
    "SUBMITTED": "submitted",
    "ACCEPTED": "accepted",
    "RETURNED": "returned",
    "KICKOFF_HELD": "kickoff held",
    "FIRST_VALUE_REACHED": "first value reached",
    "CANCELLED": "cancelled",
}


def derived_id(origin: str, row_id: str, kind: str) -> str:
    """A derived entry's stable id: md5('<origin>:<row id>:<kind>') read as a uuid."""
    return f"md5('{origin}:' || {row_id}::text || ':' || {kind})::uuid"


def midnight(day: str) -> str:
    return f"({day}::timestamp AT TIME ZONE 'UTC')"


def iso_day(day: str) -> str:
    return f"to_char({day}, 'YYYY-MM-DD')"


def _contract_follows(contract: str, mine: str, theirs: str) -> str:
    """A live contract of the same account whose ``theirs`` date is this contract's ``mine`` date."""
    return (
        f"EXISTS (SELECT FROM contracts o WHERE o.account_id = {contract}.account_id AND o.{theirs} = {contract}.{mine}"
        f" AND o.id <> {contract}.id AND o.{LIVE})"
    )


def _subject(ticket: str) -> str:
    return f"coalesce(nullif(btrim({ticket}.subject), ''), '(no subject)')"


def _excerpt(comment: str) -> str:
    flat = f"nullif(btrim(regexp_replace({comment}, '\\s+', ' ', 'g')), '')"
    return f"CASE WHEN length({flat}) > {EXCERPT} THEN left({flat}, {EXCERPT - 1}) || '…' ELSE {flat} END"


def entries(account: str) -> str:
    """Every timeline entry of ``account`` as of $2, recorded and derived."""
    verbs = " ".join(f"WHEN '{state}' THEN '{verb}'" for state, verb in HANDOFF_VERBS.items())
    ends = iso_day("c.end_date")
    runs_until = f"CASE WHEN c.end_date IS NULL THEN ' (no end date)' ELSE ' (ends ' || {ends} || ')' END"
    started = f"CASE WHEN {_contract_follows('c', 'start_date', 'end_date')} THEN 'renewed' ELSE 'started' END"
    return f"""
        SELECT id, kind, 'recorded' AS origin, occurred_at, summary, actor, source, NULL AS link_type, id AS origin_id
        FROM timeline_events WHERE account_id = {account}
        UNION ALL
        SELECT {derived_id("contract", "c.id", "'contract_' || v.verb")}, 'contract_' || v.verb, 'contract',
               {midnight("c.start_date")}, 'Contract ' || v.verb || {runs_until}, NULL, NULL, 'contract', c.id
        FROM contracts c CROSS JOIN LATERAL (SELECT {started} AS verb) AS v
        WHERE c.account_id = {account} AND c.{LIVE} AND c.start_date <= $2::date
        UNION ALL
        SELECT {derived_id("contract", "c.id", "'contract_ended'")}, 'contract_ended', 'contract',
               {midnight("c.end_date")}, 'Contract ended (started ' || {iso_day("c.start_date")} || ')', NULL, NULL,
               'contract', c.id
        FROM contracts c
        WHERE c.account_id = {account} AND c.{LIVE} AND c.end_date <= $2::date
          AND NOT {_contract_follows("c", "end_date", "start_date")}
        UNION ALL
        SELECT {derived_id("ticket", "t.id", "'ticket_opened'")}, 'ticket_opened', 'ticket', t.opened_at,
               'Ticket opened' || coalesce(' (' || t.priority || ')', '') || ': ' || {_subject("t")}, NULL, NULL,
               'ticket', t.id
        FROM tickets t WHERE t.account_id = {account}
        UNION ALL
        SELECT {derived_id("ticket", "t.id", "'ticket_solved'")}, 'ticket_solved', 'ticket', t.solved_at,
               'Ticket solved: ' || {_subject("t")}, NULL, NULL, 'ticket', t.id
        FROM tickets t WHERE t.account_id = {account} AND t.solved_at IS NOT NULL
        UNION ALL
        SELECT {derived_id("survey", "r.id", "'survey_answered'")}, 'survey_answered', 'survey', r.responded_at,
               upper(r.kind) || ' ' || r.score || coalesce(': "' || {_excerpt("r.comment")} || '"', ''),
               r.contact_email, NULL, 'survey_response', r.id
        FROM survey_responses r WHERE r.account_id = {account}
        UNION ALL
        SELECT {derived_id("handoff", "e.id", "'handoff_transition'")}, 'handoff_transition', 'handoff',
               e.occurred_at,
               'Handoff ' || CASE e.to_state {verbs} ELSE lower(e.to_state) END || ' ('
               || CASE WHEN e.from_state IS NULL THEN e.to_state ELSE e.from_state || ' → ' || e.to_state END || ')'
               || coalesce(': ' || nullif(btrim(e.comment), ''), ''),
               e.actor, 'cshub', NULL, e.id
        FROM handoff_events e WHERE e.account_id = {account}
        UNION ALL
        SELECT {derived_id("health", "h.id", "'health_band_changed'")}, 'health_band_changed', 'health',
               h.computed_at,
               h.score_name || ' health ' || h.previous_band || ' → ' || h.band
               || coalesce(' (score ' || trim_scale(h.score)::text || ')', ''),
               NULL, 'cshub', NULL, h.id
        FROM health_scores h WHERE h.account_id = {account} AND h.band <> h.previous_band"""


def entry_source(entry: str) -> str:
    """The entry's own source, else the system that first sent the record it derives from, else ``cshub``."""
    first_sender = (
        f"(SELECT sl.source FROM source_links sl WHERE sl.object_type = {entry}.link_type"
        f" AND sl.entity_id = {entry}.origin_id ORDER BY sl.first_seen_at, sl.source LIMIT 1)"
    )
    return f"CASE WHEN {entry}.link_type IS NULL THEN {entry}.source ELSE coalesce({first_sender}, 'cshub') END"
