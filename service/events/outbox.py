"""The transactional outbox: ``append_event`` writes an event, and queues its deliveries, on the caller's connection.

The caller's transaction decides: commit, and the event and its deliveries exist; roll back, and neither does.
One statement does both, so an endpoint is matched against the event as the transaction sees it: its patterns
(``*``, ``handoff.*``, ``alert.opened``) and its account filter (segments, CSM owners, read from the account now).
"""

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from service.events.catalogue import EVENT_TYPES


def endpoint_wants(event: str) -> str:
    """The matching rule, as SQL: endpoint ``w`` wants event ``event`` (an alias with ``type``) of account ``a``
    (the event's account, left-joined: null when it has none or it no longer exists) — one of its patterns names
    the type and the account passes its segment and CSM-owner filters. Fan-out and replay both use it."""
    return f"""EXISTS (
    SELECT 1 FROM unnest(w.event_types) AS p(pattern)
    WHERE p.pattern = '*' OR p.pattern = {event}.type
       OR (right(p.pattern, 2) = '.*' AND starts_with({event}.type, left(p.pattern, -1))))
  AND (w.segments IS NULL OR a.segment = ANY(w.segments))
  AND (w.csm_owners IS NULL OR a.csm_owner = ANY(w.csm_owners))"""  # noqa: S608  # an alias, never input


# One delivery per enabled endpoint that wants an appended event.
_FAN_OUT = f"""
queued AS (
  INSERT INTO webhook_deliveries (endpoint_id, event_id)
  SELECT w.id, appended.id FROM appended
  JOIN webhook_endpoints AS w ON w.enabled
  LEFT JOIN accounts AS a ON a.id = appended.account_id
  WHERE {endpoint_wants("appended")}
)
SELECT id FROM appended ORDER BY sequence
"""  # noqa: S608

_APPEND_ONE = sa.text(f"""
WITH appended AS (
  INSERT INTO events (type, occurred_at, account_id, subject_id, actor, payload)
  VALUES (:type, coalesce(CAST(:occurred_at AS timestamptz), now()), :account_id, :subject_id, :actor,
          CAST(:payload AS jsonb))
  RETURNING id, sequence, type, account_id
),
{_FAN_OUT}""")  # noqa: S608


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"an event payload cannot hold {type(value).__name__}")


# One encoder for every payload: ``json.dumps(..., default=...)`` builds a new one per call, which costs more
# than encoding a small payload.
_dumps = json.JSONEncoder(default=_plain).encode


async def append_event(
    conn: AsyncConnection,
    event_type: str,
    payload: Mapping[str, Any],
    *,
    account_id: uuid.UUID | None,
    subject_id: uuid.UUID | None = None,
    actor: str | None = None,
    occurred_at: dt.datetime | None = None,
) -> uuid.UUID:
    """Append one event (and its deliveries) in the caller's transaction; its id."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"{event_type!r} is not in the event catalogue (service/events/catalogue.py)")
    params = {
        "type": event_type,
        "occurred_at": occurred_at,
        "account_id": account_id,
        "subject_id": subject_id,
        "actor": actor,
        "payload": _dumps(payload),
    }
    statement = _APPEND_ONE.bindparams(
        sa.bindparam("account_id", type_=sa.Uuid), sa.bindparam("subject_id", type_=sa.Uuid)
    )
    appended: uuid.UUID = (await conn.execute(statement, params)).scalar_one()
    return appended


_APPEND_MANY = sa.text(f"""
WITH appended AS (
  INSERT INTO events (type, occurred_at, account_id, subject_id, actor, payload)
  SELECT e.type, coalesce(e.occurred_at, now()), e.account_id, e.subject_id, e.actor, CAST(e.payload AS jsonb)
  FROM unnest(CAST(:types AS text[]), CAST(:occurred_at AS timestamptz[]), CAST(:account_ids AS uuid[]),
              CAST(:subject_ids AS uuid[]), CAST(:actors AS text[]), CAST(:payloads AS text[]))
       WITH ORDINALITY AS e(type, occurred_at, account_id, subject_id, actor, payload, n)
  ORDER BY e.n
  RETURNING id, sequence, type, account_id
),
{_FAN_OUT}""")  # noqa: S608


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append with ``append_events``; the fields of ``append_event``."""

    type: str
    payload: Mapping[str, Any]
    account_id: uuid.UUID | None
    subject_id: uuid.UUID | None = None
    actor: str | None = None
    occurred_at: dt.datetime | None = None


async def append_events(conn: AsyncConnection, new: Sequence[NewEvent]) -> list[uuid.UUID]:
    """Append several events (and their deliveries) in one statement, in the given order (their sequence
    numbers follow it): what ``append_event`` does for each, for a batch of writes."""
    if not new:
        return []
    for event in new:
        if event.type not in EVENT_TYPES:
            raise ValueError(f"{event.type!r} is not in the event catalogue (service/events/catalogue.py)")
    statement = _APPEND_MANY.bindparams(
        sa.bindparam("types", [e.type for e in new], type_=ARRAY(sa.Text)),
        sa.bindparam("occurred_at", [e.occurred_at for e in new], type_=ARRAY(sa.DateTime(timezone=True))),
        sa.bindparam("account_ids", [e.account_id for e in new], type_=ARRAY(sa.Uuid)),
        sa.bindparam("subject_ids", [e.subject_id for e in new], type_=ARRAY(sa.Uuid)),
        sa.bindparam("actors", [e.actor for e in new], type_=ARRAY(sa.Text)),
        sa.bindparam("payloads", [_dumps(e.payload) for e in new], type_=ARRAY(sa.Text)),
    )
    return [row[0] for row in await conn.execute(statement)]


# Set-based appends for the hub's own rules, which change many accounts in one statement.
_HEALTH_EVENTS = sa.text(f"""
WITH scored AS (
  SELECT s.id, s.account_id, s.score_name, s.score, s.band, s.computed_at, previous.band AS previous_band
  FROM health_scores AS s
  JOIN LATERAL (
    SELECT h.band FROM health_scores AS h
    WHERE h.account_id = s.account_id AND h.score_name = s.score_name AND h.computed_at < s.computed_at
    ORDER BY h.computed_at DESC LIMIT 1
  ) AS previous ON true
  WHERE s.computed_at = CAST(:now AS timestamptz)
    AND (CAST(:ids AS uuid[]) IS NULL OR s.account_id = ANY(CAST(:ids AS uuid[])))
),
appended AS (
  INSERT INTO events (type, occurred_at, account_id, subject_id, actor, payload)
  SELECT 'health.band_changed', computed_at, account_id, id, NULL,
         jsonb_build_object('healthScoreId', id, 'scoreName', score_name, 'fromBand', previous_band,
                            'toBand', band, 'score', score, 'computedAt', computed_at)
  FROM scored WHERE band IS DISTINCT FROM previous_band
  UNION ALL
  SELECT 'alert.opened', opened_at, account_id, id, NULL,
         jsonb_build_object('alertId', id, 'rule', rule, 'message', message, 'details', details)
  FROM alerts
  WHERE opened_at = CAST(:now AS timestamptz)
    AND (CAST(:ids AS uuid[]) IS NULL OR account_id = ANY(CAST(:ids AS uuid[])))
  ORDER BY 3, 1
  RETURNING id, sequence, type, account_id
),
{_FAN_OUT}""")  # noqa: S608


async def append_health_events(
    conn: AsyncConnection, computed_at: dt.datetime, account_ids: Sequence[uuid.UUID] | None = None
) -> int:
    """``health.band_changed`` for each score computed at ``computed_at`` whose band differs from the previous
    score's (of the same account and name), and ``alert.opened`` for each alert opened then; how many."""
    ids = sa.bindparam("ids", list(account_ids) if account_ids is not None else None, type_=ARRAY(sa.Uuid))
    appended = await conn.execute(_HEALTH_EVENTS.bindparams(ids), {"now": computed_at})
    return len(appended.all())


@dataclass(frozen=True, slots=True)
class OnceEvent:
    """An event announced at most once per ``(event_type, subject_id, dedupe_key)`` — what the clock says."""

    event_type: str
    subject_id: uuid.UUID
    dedupe_key: str
    account_id: uuid.UUID | None
    payload: Mapping[str, Any]


_APPEND_ONCE = sa.text(f"""
WITH given AS (
  SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb))
    AS r(ord int, type text, subject_id uuid, dedupe_key text, account_id uuid, payload jsonb)
),
appended AS (
  INSERT INTO events (type, occurred_at, account_id, subject_id, actor, payload, dedupe_key)
  SELECT type, CAST(:occurred_at AS timestamptz), account_id, subject_id, NULL, payload, dedupe_key
  FROM given ORDER BY ord
  ON CONFLICT (type, subject_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
  RETURNING id, sequence, type, account_id
),
{_FAN_OUT}""")  # noqa: S608


async def append_once(conn: AsyncConnection, batch: Sequence[OnceEvent], *, occurred_at: dt.datetime) -> int:
    """Append (with their deliveries) the events of ``batch`` not announced before, in one statement; how many.

    The unique index on ``(type, subject_id, dedupe_key)`` decides: an event already in the outbox — or being
    appended by a transaction not yet committed, which this one then waits for — is skipped, so two processes
    running the same sweep at once announce each event once. Order of ``batch`` is append order."""
    unknown = {one.event_type for one in batch} - set(EVENT_TYPES)
    if unknown:
        raise ValueError(f"{sorted(unknown)} not in the event catalogue (service/events/catalogue.py)")
    if not batch:
        return 0
    rows = [
        {
            "ord": index,
            "type": one.event_type,
            "subject_id": one.subject_id,
            "dedupe_key": one.dedupe_key,
            "account_id": one.account_id,
            "payload": dict(one.payload),
        }
        for index, one in enumerate(batch)
    ]
    appended = await conn.execute(_APPEND_ONCE, {"rows": _dumps(rows), "occurred_at": occurred_at})
    return len(appended.all())
