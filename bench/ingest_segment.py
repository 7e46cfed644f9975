"""The Segment half of ``bench.ingest``: the bench's usage events as the Segment HTTP Tracking API takes them
(``POST /segment/v1/batch``, service.http.segment_routes), built as analytics-python builds them.

Each event is a ``track`` call: a random UUID ``messageId`` (Segment's dedupe key), ``userId``, the account as
``context.groupId`` (analytics.js' convention), ``event``, ``properties`` (``value`` where the generic record has
one), an ISO ``timestamp``, ``context.library`` and empty ``integrations``; a batch carries ``sentAt`` and
``writeKey`` beside ``batch``, and the key comes as HTTP Basic with the write key as user name. The accounts are
made once, before the measurement, by one batch of ``group`` calls.
"""

import base64
import datetime as dt
import json
import random
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

PATH = "/segment/v1/batch"
LIBRARY = {"name": "analytics-python", "version": "2.3.3"}


class UsageEvent(Protocol):
    """What a bench event gives (``bench.ingest.Event``)."""

    @property
    def account(self) -> int: ...
    @property
    def user(self) -> int: ...
    @property
    def event(self) -> str: ...
    @property
    def occurred_at(self) -> dt.datetime: ...
    @property
    def value(self) -> Any: ...


def headers(key: str) -> dict[str, str]:
    """As Segment's SDKs send the write key: HTTP Basic, the key as user name, no password."""
    return {
        "Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode(),
        "Content-Type": "application/json",
    }


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat()  # analytics-python: datetime.isoformat() of an aware time


def _batch(calls: Sequence[dict[str, Any]], key: str, sent_at: dt.datetime) -> bytes:
    return json.dumps({"batch": list(calls), "sentAt": _stamp(sent_at), "writeKey": key}).encode()


def group_batch(key: str, accounts: int) -> bytes:
    """One group call per account (``acct-NNNN``, named), so the track calls' ``context.groupId`` resolve."""
    now = dt.datetime.now(dt.UTC)
    calls = [
        {
            "type": "group",
            "messageId": str(uuid.uuid4()),
            "groupId": f"acct-{i:04d}",
            "traits": {"name": f"Bench Account {i:04d}"},
            "timestamp": _stamp(now),
            "context": {"library": LIBRARY},
            "integrations": {},
        }
        for i in range(accounts)
    ]
    return _batch(calls, key, now)


def message_ids(count: int, rng: random.Random) -> list[str]:
    """Random UUIDs, as Segment's libraries make them: the rows' keys land all over the unique index."""
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


def track_batches(
    events: Sequence[UsageEvent], ids: Sequence[str], key: str, batch_size: int, sent_at: dt.datetime
) -> list[bytes]:
    """The events as ready-to-send ``batch`` bodies (encoded before timing), ``batch_size`` track calls each; the
    i-th event's messageId is ``ids[i]``."""
    calls = [
        {
            "type": "track",
            "messageId": message_id,
            "userId": f"user-{e.account:04d}-{e.user:03d}",
            "anonymousId": None,
            "event": e.event,
            "properties": {} if e.value is None else {"value": float(e.value)},
            "timestamp": _stamp(e.occurred_at),
            "context": {"library": LIBRARY, "groupId": f"acct-{e.account:04d}"},
            "integrations": {},
        }
        for e, message_id in zip(events, ids, strict=True)
    ]
    return [_batch(calls[start : start + batch_size], key, sent_at) for start in range(0, len(calls), batch_size)]


def refusal(status: int, content: bytes) -> str | None:
    """Why an answer is not "every call taken", or None when it is."""
    if status != 200:
        return f"segment batch answered {status}: {content[:500]!r}"
    answer = json.loads(content)
    if answer != {"success": True, "rejected": []}:
        return f"segment batch did not take every call: {str(answer)[:500]}"
    return None
