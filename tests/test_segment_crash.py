"""A ``cshub serve`` process killed (SIGKILL) while Segment batches are being written loses and duplicates nothing once
every batch is sent again, as Segment's SDKs re-send a batch they got no answer for: each batch is one transaction
(its group, identify and track calls, and the usage rollups, commit together or not at all), and a re-sent call's
``messageId`` is already stored or its account, contact and event are written afresh."""

import datetime as dt
from pathlib import Path
from typing import Any

import httpx

from tests.crash_harness import ingest_key, send_all_again, sigkill_while_sending
from tests.ingesting import query
from tests.segment_calls import basic, batch, group, identify, track
from tests.serve_process import cshub_env
from tests.test_ingest_service import ROLLUPS_MATCH_EVENTS

BATCHES = 24
GROUPS = 20  # batch b's calls go to group g(b % GROUPS): some groups are sent by two batches
USERS = 5  # per batch, each placed by a group call of that batch
TRACKS = 300  # per batch
FEATURES = ("login", "report.view", "export.csv")
START = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=20)


def _batch(number: int) -> dict[str, Any]:
    """Group calls placing the batch's users, their identify calls, then track calls over 20 days: half naming the
    group in ``context.groupId``, half only their user (whose account the group calls of this batch decided)."""
    group_id = f"g{number % GROUPS}"
    users = [f"u{number}-{j}" for j in range(USERS)]
    calls: list[dict[str, Any]] = [
        group(group_id, user, name=f"Group {group_id}", website=f"https://{group_id}.example") for user in users
    ]
    calls += [identify(user, email=f"{user}@{group_id}.example", name=f"User {user}") for user in users]
    for i in range(TRACKS):
        at = START + dt.timedelta(hours=(number * 7 + i) % 480)
        calls.append(
            track(users[i % USERS], FEATURES[i % 3], group_id if i % 2 else None, timestamp=at.isoformat())
            | {"messageId": f"b{number}-m{i}"}
        )
    return batch(*calls)


def _taken(response: httpx.Response) -> set[str]:
    assert response.json() == {"success": True, "rejected": []}, response.text
    return {"taken"}


WHOLE_BATCHES = """
SELECT (SELECT array_agg(n ORDER BY n) FROM (
          SELECT count(*) AS n FROM usage_events GROUP BY split_part(source_event_id, '-', 1)) AS events),
       (SELECT array_agg(n ORDER BY n) FROM (
          SELECT count(*) AS n FROM source_links WHERE object_type = 'contact'
          GROUP BY split_part(external_id, '-', 1)) AS contacts),
       (SELECT count(DISTINCT split_part(source_event_id, '-', 1)) FROM usage_events),
       (SELECT count(DISTINCT split_part(external_id, '-', 1)) FROM source_links WHERE object_type = 'contact')
"""

# Each contact with the group its account came by; the events whose user is a contact of their account.
CONTACT_GROUPS = """
SELECT l.external_id, g.external_id FROM source_links l JOIN contacts c ON c.id = l.entity_id
LEFT JOIN source_links g ON g.entity_id = c.account_id AND g.object_type = 'account'
WHERE l.object_type = 'contact'
"""
EVENTS_OF_THEIR_USERS_ACCOUNT = """
SELECT count(*) FROM usage_events e
JOIN source_links l ON l.object_type = 'contact' AND l.external_id = e.user_ref
JOIN contacts c ON c.id = l.entity_id AND c.account_id = e.account_id
"""


def _group_of(user: str) -> str:
    return f"g{int(user[1:].split('-')[0]) % GROUPS}"


def test_sigkill_mid_segment_batches_then_resend_everything(database_url: str, engine: object, tmp_path: Path) -> None:
    env = cshub_env(CSHUB_DATABASE_URL=database_url, CSHUB_DATA_DIR=str(tmp_path / "data"))
    key = ingest_key(env)
    batches = [_batch(number) for number in range(BATCHES)]

    def send(base_url: str, body: Any) -> httpx.Response:
        return httpx.post(f"{base_url}/segment/v1/batch", json=body, headers=basic(key), timeout=60)

    sigkill_while_sending(env, tmp_path, send, batches, wait_seconds=120, join_seconds=60)
    events, contacts, event_batches, contact_batches = query(database_url, WHOLE_BATCHES)[0]
    assert 0 < event_batches < BATCHES
    assert (events, contacts) == ([TRACKS] * event_batches, [USERS] * event_batches)  # committed batches are whole
    assert contact_batches == event_batches
    assert query(database_url, ROLLUPS_MATCH_EVENTS) == [(True, True)]

    resent = send_all_again(env, tmp_path, send, batches, statuses_of=_taken)
    calls = len(batches[0]["batch"])
    print(f"segment re-send after SIGKILL: {BATCHES} batches of {calls} calls in {resent.seconds:.1f} s")
    total = BATCHES * TRACKS
    assert query(database_url, "SELECT count(*), count(DISTINCT (source, source_event_id)) FROM usage_events") == [
        (total, total)
    ]
    assert query(database_url, WHOLE_BATCHES)[0] == ([TRACKS] * BATCHES, [USERS] * BATCHES, BATCHES, BATCHES)
    assert query(database_url, ROLLUPS_MATCH_EVENTS) == [(True, True)]
    assert query(database_url, "SELECT count(*), count(DISTINCT domain) FROM accounts") == [(GROUPS, GROUPS)]
    assert query(database_url, "SELECT count(*) FROM contacts") == [(BATCHES * USERS,)]
    assert sorted(query(database_url, CONTACT_GROUPS)) == sorted(
        (f"u{number}-{j}", _group_of(f"u{number}-{j}")) for number in range(BATCHES) for j in range(USERS)
    )
    assert query(database_url, EVENTS_OF_THEIR_USERS_ACCOUNT) == [(total,)]
    assert query(database_url, "SELECT count(*) FROM unmatched_records") == [(0,)]
