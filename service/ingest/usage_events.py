"""Usage events: the high-volume path, written set-based: one statement for a batch's events, one for their rollups.

Raw events are kept (deduplicated on the source's event id), and the rollups are maintained from exactly the rows
that were new (the insert's RETURNING rows): ``usage_daily`` (events and distinct active users per account, UTC day
and feature) and ``user_last_seen``. Distinct users are decided by the primary key of ``usage_daily_users``
(insert-if-absent), so replays and concurrent batches count each user once. Rollup rows are touched in key order, so
concurrent batches cannot deadlock on them. Concurrent batches wait for each other's rollup rows until commit, so
the rollups are the transaction's last write (``Rollups``): the events' own write (and its foreign-key checks), the
batch's results and its audit entry stay out of that wait.

An event dated more than ``UsagePolicy.max_future_skew`` ahead of the server clock is rejected: it would
count as activity "in the last 30 days" for as long as its date lies ahead. A user id is compared as sent,
trimmed (by the record model), and lower-cased when ``UsagePolicy.user_ids_case_insensitive`` says so.
"""

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.pool import plans_kept_for_checks
from service.ingest import unmatched
from service.ingest.facts import Item
from service.ingest.identity import resolve_accounts
from service.ingest.records import UsageEventRecord
from service.ingest.results import FieldError, RecordResult, Status
from service.settings import Settings

ENTITY = "usage-events"


@dataclass(frozen=True, slots=True)
class UsagePolicy:
    """What usage ingest accepts and how it tells users apart (``CSHUB_INGEST_MAX_FUTURE_SKEW_MINUTES``,
    ``CSHUB_USAGE_USER_IDS_CASE_INSENSITIVE``)."""

    max_future_skew: dt.timedelta = dt.timedelta(minutes=60)
    user_ids_case_insensitive: bool = False
    # An event id already stored is a replay whatever the event says now (``unchanged``, never refused as a
    # changed event): for sources whose event ids are dedupe keys of retries that may differ (Segment's
    # ``messageId``, whose corrected timestamp moves with each retry's network delay).
    stored_ids_are_replays: bool = False

    @classmethod
    def of(cls, settings: Settings) -> "UsagePolicy":
        return cls(
            max_future_skew=dt.timedelta(minutes=settings.ingest_max_future_skew_minutes),
            user_ids_case_insensitive=settings.usage_user_ids_case_insensitive,
        )

    def user_ref(self, user_id: str | None) -> str | None:
        if user_id is None or not self.user_ids_case_insensitive:
            return user_id
        return user_id.lower()

    def future_error(self, occurred_at: dt.datetime, now: dt.datetime) -> FieldError | None:
        if occurred_at <= now + self.max_future_skew:
            return None
        minutes = self.max_future_skew / dt.timedelta(minutes=1)
        return FieldError(
            "occurred_at",
            f"is more than {minutes:g} minutes ahead of the server clock ({now.isoformat(timespec='seconds')}); "
            "an event from the future would count as current activity",
        )


DEFAULT_USAGE = UsagePolicy()


# The events: rows new to the table come back (RETURNING), and the rollups are made of exactly those, not read again.
_INSERT = sa.text("""
INSERT INTO usage_events (account_id, source, source_event_id, user_ref, event_name, occurred_at, value)
SELECT account_id, :source, source_event_id, user_ref, event_name, occurred_at, value FROM unnest(
    CAST(:account_ids AS uuid[]), CAST(:event_ids AS text[]), CAST(:user_refs AS text[]),
    CAST(:events AS text[]), CAST(:occurred_at AS timestamptz[]), CAST(:amounts AS numeric[])
) AS t(account_id, source_event_id, user_ref, event_name, occurred_at, value)
ORDER BY source_event_id
ON CONFLICT (source, source_event_id) DO NOTHING
RETURNING source_event_id, id
""")

# The rollups of the events a batch stored. Their rows are what concurrent batches wait for (an account's users, days
# and features) until commit: each table's rows are touched in key order, the tables in one order, and the statement
# runs as the batch's last (``Rollups``), so that nothing else of the batch happens while others wait.
_ROLL_UP = sa.text("""
WITH inserted AS (
    SELECT * FROM unnest(
        CAST(:account_ids AS uuid[]), CAST(:user_refs AS text[]), CAST(:events AS text[]),
        CAST(:occurred_at AS timestamptz[])
    ) AS t(account_id, user_ref, event_name, occurred_at)
),
new_users AS (
    INSERT INTO usage_daily_users (account_id, day, feature, user_ref)
    SELECT DISTINCT account_id, (occurred_at AT TIME ZONE 'UTC')::date, event_name, user_ref
    FROM inserted WHERE user_ref IS NOT NULL
    ORDER BY 1, 2, 3, 4
    ON CONFLICT DO NOTHING
    RETURNING account_id, day, feature
),
daily AS (
    INSERT INTO usage_daily (account_id, day, feature, events, active_users)
    SELECT e.account_id, e.day, e.feature, e.events, coalesce(u.users, 0)
    FROM (
        SELECT account_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, event_name AS feature, count(*) AS events
        FROM inserted GROUP BY 1, 2, 3
    ) AS e
    LEFT JOIN (SELECT account_id, day, feature, count(*) AS users FROM new_users GROUP BY 1, 2, 3) AS u
        USING (account_id, day, feature)
    ORDER BY 1, 2, 3
    ON CONFLICT (account_id, day, feature) DO UPDATE
    SET events = usage_daily.events + excluded.events,
        active_users = usage_daily.active_users + excluded.active_users
),
last_seen AS (
    INSERT INTO user_last_seen (account_id, user_ref, first_seen_at, last_seen_at)
    SELECT account_id, user_ref, min(occurred_at), max(occurred_at)
    FROM inserted WHERE user_ref IS NOT NULL
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (account_id, user_ref) DO UPDATE
    SET first_seen_at = least(user_last_seen.first_seen_at, excluded.first_seen_at),
        last_seen_at = greatest(user_last_seen.last_seen_at, excluded.last_seen_at)
)
SELECT count(*) FROM inserted
""")


@dataclass
class Rollups:
    """The rollups a transaction's usage batches still owe: the events they stored, rolled up by ``apply`` as the
    transaction's last write (``service.ingest_audited`` calls it after the audit entry), or at the end of the batch
    when nobody collects them."""

    account_ids: list[uuid.UUID] = field(default_factory=list)
    user_refs: list[str | None] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    occurred_at: list[dt.datetime] = field(default_factory=list)

    def add(self, account_id: uuid.UUID, user_ref: str | None, event: str, occurred_at: dt.datetime) -> None:
        self.account_ids.append(account_id)
        self.user_refs.append(user_ref)
        self.events.append(event)
        self.occurred_at.append(occurred_at)

    async def apply(self, conn: AsyncConnection) -> None:
        if not self.account_ids:
            return
        columns = {
            "account_ids": self.account_ids,
            "user_refs": self.user_refs,
            "events": self.events,
            "occurred_at": self.occurred_at,
        }
        async with plans_kept_for_checks(conn):  # each rollup row's account is checked: a kept plan, not one per row
            await conn.execute(_ROLL_UP, columns)
        self.account_ids, self.user_refs, self.events, self.occurred_at = [], [], [], []


_STORED = sa.text("""
SELECT source_event_id, id, account_id, user_ref, event_name, occurred_at, value
FROM usage_events WHERE source = :source AND source_event_id = ANY(CAST(:event_ids AS text[]))
""")

_Fingerprint = tuple[uuid.UUID, str | None, str, object, Decimal | None]


async def _stored_accounts(conn: AsyncConnection, source: str, event_ids: Sequence[str]) -> dict[str, uuid.UUID]:
    if not event_ids:
        return {}
    rows = await conn.execute(_STORED, {"source": source, "event_ids": list(event_ids)})
    return {row.source_event_id: row.account_id for row in rows}


def _fingerprint(record: UsageEventRecord, account_id: uuid.UUID, policy: UsagePolicy) -> _Fingerprint:
    value = None if record.value is None else record.value.normalize()
    return (account_id, policy.user_ref(record.user_id), record.event, record.occurred_at, value)


def _immutable(index: int, event_id: str) -> RecordResult:
    message = f"event {event_id!r} was already recorded with different content; usage events are immutable"
    return RecordResult(index, Status.REJECTED, errors=(FieldError("event_id", message),))


async def write_usage_events(
    conn: AsyncConnection,
    source: str,
    all_items: Sequence[Item],
    shared_domains: Collection[str],
    policy: UsagePolicy,
    rollups: Rollups,
) -> list[RecordResult]:
    """Store the batch's events; their rollups are added to ``rollups``, which the caller makes last."""
    results: dict[int, RecordResult] = {}
    now = dt.datetime.now(dt.UTC)
    items: list[Item] = []
    for item in all_items:
        error = policy.future_error(item.record.occurred_at, now)
        if error is None:
            items.append(item)
        else:
            results[item.index] = RecordResult(item.index, Status.REJECTED, errors=(error,))
    records: list[UsageEventRecord] = [item.record for item in items]
    resolutions = await resolve_accounts(conn, source, records, shared_domains)
    first: dict[str, tuple[Item, uuid.UUID]] = {}  # the first matched occurrence of each event id
    repeats: list[tuple[Item, uuid.UUID]] = []
    pending = await unmatched.waiting_among(conn, source, ENTITY, [item.record.event_id for item in items])
    # A stored event sent again is answered from what is stored, even if its reference no longer resolves.
    unresolved = [item.record.event_id for item, r in zip(items, resolutions, strict=True) if r.account_id is None]
    stored_accounts = await _stored_accounts(conn, source, unresolved)
    # In event-id order, concurrent batches lock the same rows in the same order: no deadlocks.
    for item, resolution in sorted(zip(items, resolutions, strict=True), key=lambda pair: pair[0].record.event_id):
        account_id = resolution.account_id or stored_accounts.get(item.record.event_id)
        if account_id is None:
            kept = await unmatched.keep_unmatched(
                conn,
                source=source,
                entity=ENTITY,
                external_id=item.record.event_id,
                record=item.record,
                raw=item.raw,
                candidates=resolution.candidates,
            )
            results[item.index] = RecordResult(item.index, Status.UNMATCHED, kept)
        elif item.record.event_id in first:
            repeats.append((item, account_id))
        else:
            first[item.record.event_id] = (item, account_id)

    firsts = list(first.values())
    inserted: dict[str, uuid.UUID] = {}
    if firsts:
        user_refs = [policy.user_ref(item.record.user_id) for item, _ in firsts]
        # Each event's account is checked: a kept plan, not one per row.
        async with plans_kept_for_checks(conn):
            rows = await conn.execute(
                _INSERT,
                {
                    "source": source,
                    "account_ids": [account_id for _, account_id in firsts],
                    "event_ids": [item.record.event_id for item, _ in firsts],
                    "user_refs": user_refs,
                    "events": [item.record.event for item, _ in firsts],
                    "occurred_at": [item.record.occurred_at for item, _ in firsts],
                    "amounts": [item.record.value for item, _ in firsts],
                },
            )
        inserted = {row[0]: row[1] for row in rows}
        for (item, account_id), user_ref in zip(firsts, user_refs, strict=True):
            if item.record.event_id in inserted:
                rollups.add(account_id, user_ref, item.record.event, item.record.occurred_at)
    already = [event_id for event_id in first if event_id not in inserted]
    stored: dict[str, tuple[uuid.UUID, _Fingerprint]] = {}
    if already:
        for event_id, row_id, account_id, user_ref, event_name, occurred_at, value in await conn.execute(
            _STORED, {"source": source, "event_ids": already}
        ):
            amount = None if value is None else value.normalize()
            fingerprint = (account_id, policy.user_ref(user_ref), event_name, occurred_at, amount)
            stored[event_id] = (row_id, fingerprint)

    for event_id, (item, account_id) in first.items():
        if event_id in inserted:
            results[item.index] = RecordResult(item.index, Status.CREATED, inserted[event_id])
            continue
        row_id, fingerprint = stored[event_id]
        same = policy.stored_ids_are_replays or fingerprint == _fingerprint(item.record, account_id, policy)
        results[item.index] = (
            RecordResult(item.index, Status.UNCHANGED, row_id) if same else _immutable(item.index, event_id)
        )
    for item, account_id in repeats:
        original, original_account = first[item.record.event_id]
        same = policy.stored_ids_are_replays or _fingerprint(item.record, account_id, policy) == _fingerprint(
            original.record, original_account, policy
        )
        row_id = results[original.index].id
        results[item.index] = (
            RecordResult(item.index, Status.UNCHANGED, row_id) if same else _immutable(item.index, item.record.event_id)
        )
    resolved = [(item.record.event_id, account_id) for item, account_id in firsts if item.record.event_id in pending]
    await unmatched.mark_resolved(conn, source, ENTITY, resolved)
    return [results[item.index] for item in all_items]
