"""One Segment call (https://segment.com/docs/connections/spec/common/) read into a ``Call``, or refused.

What is read: ``type``, ``messageId``, ``userId``/``anonymousId``, ``groupId``, ``event`` (track), ``name``
(page, screen), ``traits``, ``properties``, ``context`` and the times. Every other field (``integrations``,
``writeKey``, ``previousId``…) is accepted and ignored, as Segment does.

**Time.** As Segment corrects a device's clock (https://segment.com/docs/connections/spec/common/#timestamps): when
the call (or its batch) has ``sentAt``, the event happened at ``timestamp - sentAt + receivedAt`` (receivedAt: when
cshub read the request); without ``sentAt`` at ``timestamp``; without ``timestamp`` ``originalTimestamp`` stands in,
and without either, ``receivedAt``. A time without an offset is UTC.

**The account** of a track, page or screen call, in this order: ``context.groupId`` (analytics.js' convention),
``context.traits.groupId``, ``properties.groupId``; an identify call also looks at ``traits.groupId``. Without any,
the account is the one the user was last placed in (``service``).
"""

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from service.ingest.results import FieldError

CALL_TYPES = ("track", "identify", "group", "page", "screen", "alias")
MAX_CALL_BYTES = 32 * 1024  # Segment's limit per call
MAX_BATCH_BYTES = 500 * 1024  # and per batch request
MAX_ID_LENGTH = 255  # as long as an ingest external id may be
# A call's size as Segment counts it (compact UTF-8). One encoder for every call: json.dumps with options builds
# a new one per call, which costs more than encoding a small call.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
# The most a call's JSON grows when it is read and written compactly: whitespace, escapes and repeated keys only
# shrink it, and the one thing that grows is a number in exponent form (`1e15`, 4 bytes, comes back as
# `1000000000000000.0`, 18). A call whose text was no longer than MAX_CALL_BYTES / MOST_GROWTH bytes is under the
# limit without being encoded again.
MOST_GROWTH = 4.5


@dataclass(frozen=True, slots=True)
class Call:
    index: int
    type: str
    message_id: str
    occurred_at: dt.datetime
    user_id: str | None = None
    anonymous_id: str | None = None
    group_id: str | None = None  # the group call's groupId, or the account another call names
    event: str | None = None  # track: the event; page/screen: the name
    traits: Mapping[str, Any] = field(default_factory=dict)
    properties: Mapping[str, Any] = field(default_factory=dict)

    @property
    def user(self) -> str | None:
        """Who did it: the user id, else the anonymous id."""
        return self.user_id or self.anonymous_id


@dataclass(frozen=True, slots=True)
class Rejection:
    """A call that was not taken, with why (paths are the call's own: ``traits.website``, ``timestamp``)."""

    index: int
    message_id: str | None
    errors: tuple[FieldError, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "messageId": self.message_id,
            "errors": [error.as_json() for error in self.errors],
        }


class _Refused(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.error = FieldError(path, message)


def read_batch(
    raw_calls: list[Any],
    shared_context: Any,
    sent_at: Any,
    *,
    received_at: dt.datetime,
    lengths: Sequence[int] | None = None,
) -> tuple[list[Call], list[Rejection]]:
    """A batch's calls read, and those that could not be. ``shared_context``: the batch's own ``context`` (Segment
    allows one beside ``batch``), under each call's, which wins; ``sent_at``: the batch's, for calls without their
    own. The batch's ``sentAt`` is read once: a bad one refuses each call that relies on it. ``lengths``: each
    call's length in bytes in the body it came from, when known (``service.http.segment_body``)."""
    batch_sent_at: dt.datetime | FieldError | None
    try:
        batch_sent_at = _time({"sentAt": sent_at}, "sentAt")
    except _Refused as refused:
        batch_sent_at = refused.error
    calls: list[Call] = []
    rejected: list[Rejection] = []
    if isinstance(shared_context, dict):
        lengths = None  # each call's context takes the batch's in: longer than its text
    for index, raw in enumerate(raw_calls):
        read = read_call(
            _with_context(raw, shared_context),
            index,
            received_at=received_at,
            batch_sent_at=batch_sent_at,
            length=None if lengths is None else lengths[index],
        )
        if isinstance(read, Call):
            calls.append(read)
        else:
            rejected.append(read)
    return calls, rejected


def _with_context(raw: Any, shared: Any) -> Any:
    if not isinstance(shared, dict) or not isinstance(raw, dict) or not isinstance(raw.get("context") or {}, dict):
        return raw
    return {**raw, "context": {**shared, **(raw.get("context") or {})}}


def read_call(
    raw: Any,
    index: int,
    *,
    received_at: dt.datetime,
    call_type: str | None = None,
    batch_sent_at: dt.datetime | FieldError | None = None,
    length: int | None = None,
) -> Call | Rejection:
    """``raw`` as a ``Call``; ``call_type`` is the route's (``/v1/track``), else the call's own ``type``;
    ``batch_sent_at``: the batch's ``sentAt`` as ``read_batch`` read it; ``length``: the call's length in bytes in
    the body, when known."""
    message_id = raw.get("messageId") if isinstance(raw, dict) else None
    shown_id = message_id if isinstance(message_id, str) else None
    try:
        if not isinstance(raw, dict):
            raise _Refused("", f"each call must be a JSON object, not {type(raw).__name__}")
        if length is not None and length * MOST_GROWTH <= MAX_CALL_BYTES:
            return _read(raw, index, received_at, call_type, batch_sent_at)
        size = len(_COMPACT.encode(raw).encode(errors="surrogatepass"))
        if size > MAX_CALL_BYTES:
            raise _Refused("", f"the call is {size} bytes, over Segment's limit of {MAX_CALL_BYTES} bytes per call")
        return _read(raw, index, received_at, call_type, batch_sent_at)
    except _Refused as refused:
        return Rejection(index, shown_id, (refused.error,))


def _read(
    raw: dict[str, Any],
    index: int,
    received_at: dt.datetime,
    route: str | None,
    batch_sent_at: dt.datetime | FieldError | None,
) -> Call:
    kind = route or raw.get("type")
    if not isinstance(kind, str) or (kind := kind.strip().lower()) not in CALL_TYPES:
        raise _Refused("type", f"must be one of {', '.join(CALL_TYPES)}")
    context = _object(raw, "context")
    traits = _object(raw, "traits")
    properties = _object(raw, "properties")
    user_id = _id(raw, "userId")
    anonymous_id = _id(raw, "anonymousId")
    if user_id is None and anonymous_id is None and kind != "group":
        raise _Refused("userId", "give userId or anonymousId")
    if kind == "group":
        group_id = _id(raw, "groupId")
        if group_id is None:
            raise _Refused("groupId", "required: the group (account) the traits describe")
    else:
        group_id = _named_group(kind, context, traits, properties)
    event = None
    if kind == "track":
        event = raw.get("event")
        if not isinstance(event, str) or not event.strip():
            raise _Refused("event", "required: the name of the action the user took")
        event = _text(event.strip(), "event")
    elif kind in ("page", "screen"):
        name = raw.get("name")
        event = (
            f"Viewed {_text(name.strip(), 'name')} {kind.title()}" if isinstance(name, str) and name.strip() else None
        )
        event = event or f"Loaded a {kind.title()}"  # Segment's own names for these (its Mixpanel destination's)
    message_id = _id(raw, "messageId") or _content_id(raw)
    return Call(
        index=index,
        type=kind,
        message_id=message_id,
        occurred_at=_occurred_at(raw, received_at, batch_sent_at),
        user_id=user_id,
        anonymous_id=anonymous_id,
        group_id=group_id,
        event=event,
        traits=traits,
        properties=properties,
    )


def _named_group(
    kind: str, context: Mapping[str, Any], traits: Mapping[str, Any], properties: Mapping[str, Any]
) -> str | None:
    """The account a call other than group names: the first place (in the module's order) that holds one."""
    found = _id(context, "groupId", "context.groupId")
    if found is None and isinstance(context_traits := context.get("traits"), dict):
        found = _id(context_traits, "groupId", "context.traits.groupId")
    if found is None and kind == "identify":
        found = _id(traits, "groupId", "traits.groupId")
    return found if found is not None else _id(properties, "groupId", "properties.groupId")


def _object(raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Refused(name, f"must be an object, not {type(value).__name__}")
    return value


def _id(raw: Mapping[str, Any], name: str, path: str | None = None) -> str | None:
    """An id as Segment takes it: a string or a number, trimmed; blank is absent."""
    value = raw.get(name)
    if isinstance(value, str):
        pass
    elif value is None:
        return None
    elif isinstance(value, bool):
        raise _Refused(path or name, "must be a string or a number")
    elif isinstance(value, int | float):
        value = str(value)
    else:
        raise _Refused(path or name, f"must be a string or a number, not {type(value).__name__}")
    value = _text(value.strip(), path or name)
    if len(value) > MAX_ID_LENGTH:
        raise _Refused(path or name, f"is longer than {MAX_ID_LENGTH} characters")
    return value or None


def _text(value: str, path: str) -> str:
    """Text PostgreSQL can store: a lone UTF-16 surrogate (``"\\ud800"`` is valid JSON) is not."""
    if value.isascii():  # (a constant-time check): only other text can hold one
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Refused(path, "is not valid Unicode text (it holds a lone surrogate escape)") from None
    return value


def _content_id(raw: Mapping[str, Any]) -> str:
    """A call without messageId is named by its content (times of sending aside), so a re-send is still a replay."""
    kept = {name: value for name, value in raw.items() if name not in ("sentAt", "receivedAt", "writeKey")}
    digest = hashlib.sha256(json.dumps(kept, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"sha256:{digest[:48]}"


def _time(raw: Mapping[str, Any], name: str) -> dt.datetime | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Refused(name, "must be an ISO 8601 date-time string such as 2026-11-21T09:12:00.000Z")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Refused(name, f"{value!r} is not an ISO 8601 date-time such as 2026-11-21T09:12:00.000Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _occurred_at(
    raw: Mapping[str, Any], received_at: dt.datetime, batch_sent_at: dt.datetime | FieldError | None
) -> dt.datetime:
    stamped = _time(raw, "timestamp") or _time(raw, "originalTimestamp")
    sent_at = _time(raw, "sentAt")
    if sent_at is None:
        if isinstance(batch_sent_at, FieldError):
            raise _Refused(batch_sent_at.path, batch_sent_at.message)
        sent_at = batch_sent_at
    if stamped is None:
        return received_at
    try:
        return stamped if sent_at is None else stamped - sent_at + received_at
    except OverflowError:
        raise _Refused("timestamp", "with sentAt's clock correction lies outside the calendar") from None
