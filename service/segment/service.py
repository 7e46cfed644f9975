"""Segment calls → ingest records, written by the ingest service (``ingest_audited``) on the caller's connection.

There is no second write path: each call becomes the record the REST ingest route would take, so identity
resolution, the unmatched queue, provenance, partial updates, stale protection and the usage rollups are the
ingest service's. A batch is written in three rounds, so that calls may refer to what earlier rounds made known:

1. **group** → an ``accounts`` record in the Segment source (external id: ``groupId``; traits mapped by
   ``mapping``; a new group without a name trait is named by its id), matched like any account record (this
   source's link, then the domain). A group call with a ``userId`` also places that user in the account: a
   ``contacts`` record with only the account reference (the contact's other fields are kept).
2. **identify** → a ``contacts`` record (external id: ``userId``; traits mapped by ``mapping``; ``firstName`` and
   ``lastName`` make the name when no name trait is mapped) in the account the call names, else the user's.
   An identify with only an ``anonymousId`` is accepted and writes nothing: cshub's contacts are known users.
3. **track, page, screen** → ``usage-events`` records (event id: ``messageId``; user: ``userId``, else
   ``anonymousId``; feature: the event, or ``Viewed <name> Page``/``Screen``; value: a numeric
   ``properties.value``) in the account the call names, else the user's. A ``messageId`` already stored writes
   nothing: Segment's dedupe key, even when a retry's corrected timestamp differs by the network's jitter.

``alias`` is accepted and writes nothing (cshub keeps users by the id they send). A call whose record the ingest
service rejects is answered as a ``Rejection`` with the call's own field names; ``unmatched`` is accepted (it
waits in the unmatched queue for its account). ``updated_at`` of contacts and accounts is the call's time, so a
late-arriving older identify or group call is stale and changes nothing.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from service.audit.service import Who
from service.ingest.results import BatchResult, FieldError, Status
from service.ingest.service import ingest_audited
from service.ingest.shared_domains import SHARED_DOMAINS
from service.ingest.usage_events import DEFAULT_USAGE, UsagePolicy
from service.segment import queries
from service.segment.calls import Call, Rejection
from service.segment.mapping import DEFAULT_MAPPING, TraitMapping
from service.sources.queries import KnownAccount, accounts_of

USAGE_CALLS = ("track", "page", "screen")


@dataclass(frozen=True, slots=True)
class Target:
    """Where the records go and how they are written: the ingest service's settings for this source."""

    source: str
    who: Who
    request_id: str | None = None
    mapping: TraitMapping = DEFAULT_MAPPING
    source_priority: Sequence[str] = ()
    usage: UsagePolicy = DEFAULT_USAGE
    shared_domains: Collection[str] = SHARED_DOMAINS


@dataclass(frozen=True, slots=True)
class CallsWritten:
    rejected: list[Rejection]
    changed: frozenset[str]  # the ingest entities that were written (score inputs for the health refresher)


@dataclass(frozen=True, slots=True)
class _Pending:
    call: Call
    record: dict[str, Any]
    paths: Mapping[str, str]  # record field → the call's field, for errors


async def ingest_calls(conn: AsyncConnection, calls: Sequence[Call], target: Target) -> CallsWritten:
    """Write ``calls`` (already read) in the caller's transaction; answer the calls the ingest service rejected."""
    rounds = [
        await _groups(conn, target, [call for call in calls if call.type == "group"]),
        # An identify with only an anonymousId writes nothing: contacts are known users.
        await _placed(conn, target, "contacts", [call for call in calls if call.type == "identify" and call.user_id]),
        await _placed(conn, target, "usage-events", [call for call in calls if call.type in USAGE_CALLS]),
    ]
    rejected = sorted((r for done in rounds for r in done.rejected.values()), key=lambda rejection: rejection.index)
    return CallsWritten(rejected, frozenset().union(*(done.changed for done in rounds)))


async def _groups(conn: AsyncConnection, target: Target, groups: Sequence[Call]) -> "_Written":
    """Group calls: the accounts, then each user's place in theirs (only where the account was taken)."""
    known = await queries.known_groups(conn, target.source, [call.group_id for call in groups if call.group_id])
    named: dict[str, Any] = {}
    placed = await _ingest(conn, target, "accounts", [_account(call, target.mapping, known, named) for call in groups])
    members = [_membership(call) for call in groups if call.user_id and call.index not in placed.rejected]
    joined = await _ingest(conn, target, "contacts", members)
    return _Written({**placed.rejected, **joined.rejected}, placed.changed | joined.changed)


async def _placed(conn: AsyncConnection, target: Target, entity: str, calls: Sequence[Call]) -> "_Written":
    """Identify calls as ``contacts`` or usage calls as ``usage-events``, each in the account it names, else in
    its user's (as placed by the rounds before)."""
    wanted = [call.user_id for call in calls if call.user_id and not call.group_id]
    users = await accounts_of(conn, target.source, "contact", wanted)
    rejected: dict[int, Rejection] = {}
    pending: list[_Pending] = []
    for call in calls:
        reference = _account_reference(call, users)
        if reference is None:
            rejected[call.index] = _no_account(call)
        elif entity == "contacts":
            pending.append(_contact(call, target.mapping, reference))
        else:
            pending.append(_usage_event(call, reference))
    written = await _ingest(conn, target, entity, pending)
    return _Written({**rejected, **written.rejected}, written.changed)


@dataclass(frozen=True, slots=True)
class _Written:
    rejected: dict[int, Rejection]
    changed: frozenset[str]


async def _ingest(conn: AsyncConnection, target: Target, entity: str, pending: Sequence[_Pending]) -> _Written:
    if not pending:
        return _Written({}, frozenset())
    batch: BatchResult = await ingest_audited(
        conn,
        target.source,
        entity,
        [item.record for item in pending],
        who=target.who,
        request_id=target.request_id,
        source_priority=target.source_priority,
        usage=replace(target.usage, stored_ids_are_replays=True),  # a message id already stored: a retry
        shared_domains=target.shared_domains,
    )
    rejected: dict[int, Rejection] = {}
    for item, result in zip(pending, batch.results, strict=True):
        if result.status == Status.REJECTED:
            errors = tuple(FieldError(_call_path(error.path, item.paths), error.message) for error in result.errors)
            rejected[item.call.index] = Rejection(item.call.index, item.call.message_id, errors)
    written = any(result.status in (Status.CREATED, Status.UPDATED) for result in batch.results)
    return _Written(rejected, frozenset({entity} if written else ()))


def _call_path(path: str, paths: Mapping[str, str]) -> str:
    head, dot, rest = path.partition(".")
    return paths.get(head, head) + dot + rest if path else ""


def _when(call: Call) -> str:
    return call.occurred_at.isoformat()


def _text(value: Any) -> Any:
    """Segment traits are loosely typed: a number where cshub keeps text is taken as its text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _traits(call: Call, mapping: TraitMapping) -> tuple[dict[str, Any], dict[str, str]]:
    fields = mapping.fields(call.type, call.traits)
    return (
        {name: _text(value) for name, (_, value) in fields.items()},
        {name: f"traits.{trait}" for name, (trait, _) in fields.items()},
    )


def _account(call: Call, mapping: TraitMapping, known: set[str], named: dict[str, Any]) -> _Pending:
    """``known``: the groups stored before this batch; ``named``: the names this batch gave new groups so far."""
    assert call.group_id is not None  # read_call requires it of a group call
    values, paths = _traits(call, mapping)
    if "name" in values:
        named[call.group_id] = values["name"]
    elif call.group_id not in known:
        # A new account needs a name: the one an earlier call of this batch gave it, else its id (a later group
        # call's name trait replaces that).
        values["name"] = named.setdefault(call.group_id, call.group_id)
        paths["name"] = "groupId"
    record = {**values, "external_id": call.group_id, "updated_at": _when(call)}
    return _Pending(call, record, {**paths, "external_id": "groupId", "updated_at": "timestamp"})


def _membership(call: Call) -> _Pending:
    record = {"external_id": call.user_id, "account_external_id": call.group_id}
    return _Pending(call, record, {"external_id": "userId", "account_external_id": "groupId"})


def _account_reference(call: Call, users: Mapping[str, KnownAccount]) -> dict[str, str] | None:
    """The group the call names, else the account cshub has its user in: by its group, else its domain."""
    if call.group_id is not None:
        return {"account_external_id": call.group_id}
    known = users.get(call.user_id or "")
    return (known.by_id_or_domain() or None) if known is not None else None


def _no_account(call: Call) -> Rejection:
    who = f"user {call.user_id!r}" if call.user_id else "an anonymous user"
    message = (
        f"no account is known for {who}: send a group call with this userId and the account's groupId first "
        "(in this batch or before), or name the account in context.groupId"
    )
    return Rejection(call.index, call.message_id, (FieldError("context.groupId", message),))


_REFERENCE_PATHS = {"account_external_id": "context.groupId", "account_domain": "context.groupId"}


def _contact(call: Call, mapping: TraitMapping, reference: dict[str, str]) -> _Pending:
    values, paths = _traits(call, mapping)
    if "name" not in values:
        parts = [call.traits.get(trait) for trait in ("firstName", "lastName")]
        name = " ".join(str(part).strip() for part in parts if isinstance(part, str | int) and str(part).strip())
        if name:
            values["name"], paths["name"] = name, "traits.firstName"
    record = {**values, **reference, "external_id": call.user_id, "updated_at": _when(call)}
    return _Pending(call, record, {**paths, **_REFERENCE_PATHS, "external_id": "userId", "updated_at": "timestamp"})


def _usage_event(call: Call, reference: dict[str, str]) -> _Pending:
    record: dict[str, Any] = {
        **reference,
        "event_id": call.message_id,
        "user_id": call.user,
        "event": call.event,
        "occurred_at": _when(call),
    }
    value = call.properties.get("value")
    if isinstance(value, int | float) and not isinstance(value, bool):
        record["value"] = _amount(value)
    return _Pending(call, record, _USAGE_PATHS[call.type == "track", call.user_id is not None])


# Record field → the call's field of a usage call, by (track rather than page/screen, has a userId): one mapping per
# kind of call, shared by its calls.
_USAGE_PATHS = {
    (track, identified): {
        **_REFERENCE_PATHS,
        "event_id": "messageId",
        "user_id": "userId" if identified else "anonymousId",
        "event": "event" if track else "name",
        "occurred_at": "timestamp",
        "value": "properties.value",
    }
    for track in (True, False)
    for identified in (True, False)
}
_FOUR_PLACES = Decimal("0.0001")


def _amount(value: float) -> str | float:
    """To the column's four decimals (0.1 + 0.2 is not refused for its binary tail), as text: records are JSON."""
    try:
        return str(Decimal(str(value)).quantize(_FOUR_PLACES))
    except InvalidOperation:
        return value  # NaN, infinity, too large: the record model refuses it with its reason
