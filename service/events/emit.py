"""What each domain's write appends to the outbox: one function per kind of change, called in its transaction.

The writing domains call these with plain values (no row types of theirs are imported here, so the events domain
sits below every domain it hears from). Payload keys are the catalogue's (``catalogue/<type>.json``).
"""

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from service.events.outbox import NewEvent, append_event, append_events
from service.events.tables import events

ENDED_CONTRACT_STATUSES = frozenset({"ended", "cancelled"})
ESCALATED_PRIORITIES = ("high", "urgent")  # lowest first


async def handoff_stepped(
    conn: AsyncConnection,
    *,
    handoff_id: uuid.UUID,
    account_id: uuid.UUID,
    from_state: str,
    to_state: str,
    version: int,
    actor: str,
    comment: str | None,
    at: dt.datetime,
) -> None:
    """``handoff.<new state>``: submitted, returned, accepted, kickoff_held, first_value_reached, cancelled."""
    payload = {
        "handoffId": handoff_id,
        "fromState": from_state,
        "toState": to_state,
        "comment": comment,
        "handoffVersion": version,
    }
    await append_event(
        conn, f"handoff.{to_state.lower()}", payload, account_id=account_id, subject_id=handoff_id, actor=actor,
        occurred_at=at,
    )  # fmt: skip


async def alert_stepped(
    conn: AsyncConnection,
    *,
    alert_id: uuid.UUID,
    account_id: uuid.UUID,
    rule: str,
    status: str,
    note: str | None,
    actor: str | None,
    at: dt.datetime | None,
) -> None:
    """``alert.acknowledged`` or ``alert.resolved`` (``alert.opened`` comes set-based with a recompute)."""
    payload = {"alertId": alert_id, "rule": rule, "note": note}
    await append_event(
        conn, f"alert.{status}", payload, account_id=account_id, subject_id=alert_id, actor=actor, occurred_at=at
    )


async def override_set(
    conn: AsyncConnection,
    *,
    override_id: uuid.UUID,
    account_id: uuid.UUID,
    score_name: str,
    score: Decimal,
    reason: str,
    expires_at: dt.datetime,
    actor: str,
    at: dt.datetime,
) -> None:
    payload = {
        "overrideId": override_id,
        "scoreName": score_name,
        "score": score,
        "reason": reason,
        "expiresAt": expires_at,
    }
    await append_event(
        conn, "health.override_set", payload, account_id=account_id, subject_id=override_id, actor=actor,
        occurred_at=at,
    )  # fmt: skip


async def override_lifted(
    conn: AsyncConnection,
    *,
    override_id: uuid.UUID,
    account_id: uuid.UUID,
    score_name: str,
    actor: str,
    at: dt.datetime,
) -> None:
    payload = {"overrideId": override_id, "scoreName": score_name}
    await append_event(
        conn, "health.override_lifted", payload, account_id=account_id, subject_id=override_id, actor=actor,
        occurred_at=at,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ContractWritten:
    """An ingested contract as stored: what its events say."""

    contract_id: uuid.UUID
    account_id: uuid.UUID
    external_id: str
    status: str
    start_date: dt.date
    end_date: dt.date | None
    renewal_date: dt.date | None
    currency: str
    kind: str | None  # new business, renewal or expansion, as the source said; None when it did not


async def _already_emitted(
    conn: AsyncConnection, event_types: Sequence[str], subject_ids: Sequence[uuid.UUID]
) -> set[tuple[uuid.UUID, str]]:
    found = await conn.execute(
        sa.select(events.c.subject_id, events.c.type)
        .where(
            events.c.subject_id == sa.any_(sa.bindparam("subjects", list(subject_ids), type_=ARRAY(sa.Uuid))),
            events.c.type.in_(event_types),
        )
        .distinct()
    )
    return {(subject_id, event_type) for subject_id, event_type in found}


async def contracts_written(conn: AsyncConnection, written: Sequence[ContractWritten]) -> None:
    """After ingested contracts are stored (in this order): ``contract.created`` the first time the hub has one,
    and ``contract.ended`` the first time it is ended or cancelled — each once per contract, whatever order or how
    often the source sends it (the outbox itself remembers what was said). One read and one append per batch."""
    if not written:
        return
    said = await _already_emitted(conn, ("contract.created", "contract.ended"), [w.contract_id for w in written])
    new: list[NewEvent] = []
    for w in written:
        if (w.contract_id, "contract.created") not in said:
            payload = {
                "contractId": w.contract_id,
                "status": w.status,
                "startDate": w.start_date,
                "endDate": w.end_date,
                "renewalDate": w.renewal_date,
                "currency": w.currency,
                "kind": w.kind,
                "externalId": w.external_id,
            }
            new.append(NewEvent("contract.created", payload, w.account_id, w.contract_id))
        if w.status in ENDED_CONTRACT_STATUSES and (w.contract_id, "contract.ended") not in said:
            ended = {"contractId": w.contract_id, "status": w.status, "endDate": w.end_date}
            ended["externalId"] = w.external_id
            new.append(NewEvent("contract.ended", ended, w.account_id, w.contract_id))
    await append_events(conn, new)


async def accounts_merged(
    conn: AsyncConnection,
    *,
    merge_id: uuid.UUID,
    merged_account_id: uuid.UUID,
    merged_account_name: str,
    into_account_id: uuid.UUID,
    moved: Mapping[str, int],
    actor: str,
) -> None:
    payload = {
        "mergedAccountId": merged_account_id,
        "mergedAccountName": merged_account_name,
        "intoAccountId": into_account_id,
        "moved": dict(moved),
    }
    await append_event(conn, "account.merged", payload, account_id=into_account_id, subject_id=merge_id, actor=actor)


async def record_unmatched(
    conn: AsyncConnection,
    *,
    unmatched_record_id: uuid.UUID,
    source: str,
    entity: str,
    external_id: str,
    account_external_id: str | None,
    account_domain: str | None,
    candidates: Sequence[uuid.UUID],
) -> None:
    payload = {
        "unmatchedRecordId": unmatched_record_id,
        "source": source,
        "entity": entity,
        "externalId": external_id,
        "accountExternalId": account_external_id,
        "accountDomain": account_domain,
        "candidateAccountIds": list(candidates),
    }
    await append_event(conn, "ingest.unmatched", payload, account_id=None, subject_id=unmatched_record_id)


async def goal_status_changed(
    conn: AsyncConnection,
    *,
    goal_id: uuid.UUID,
    account_id: uuid.UUID,
    from_status: str,
    to_status: str,
    achieved_on: dt.date | None,
    note: str | None,
    actor: str,
    at: dt.datetime,
) -> None:
    """Only when the status changes: setting a goal to the status it has is no event."""
    if from_status == to_status:
        return
    payload = {
        "goalId": goal_id,
        "fromStatus": from_status,
        "toStatus": to_status,
        "achievedOn": achieved_on,
        "note": note,
    }
    await append_event(
        conn, "goal.status_changed", payload, account_id=account_id, subject_id=goal_id, actor=actor, occurred_at=at
    )


@dataclass(frozen=True, slots=True)
class TicketWritten:
    """An ingested ticket as stored: what ``ticket.escalated`` says."""

    ticket_id: uuid.UUID
    account_id: uuid.UUID
    external_id: str
    priority: str | None
    status: str


async def tickets_written(conn: AsyncConnection, written: Sequence[TicketWritten]) -> None:
    """After ingested tickets are stored (in this order; one write per ticket): ``ticket.escalated`` when a
    ticket's priority reaches a level of ``ESCALATED_PRIORITIES`` above the last one announced for it (high, then
    urgent: two events; sent as urgent from the start: one). Lowering the priority and raising it again
    announces nothing new. One read and one append per batch. A breached SLA is announced by the clock's sweep
    (service.clock), with ``trigger: sla_breach``."""
    escalated = [w for w in written if w.priority in ESCALATED_PRIORITIES]
    if not escalated:
        return
    e = events.c
    rows = await conn.execute(
        sa.select(e.subject_id, e.payload["priority"].astext)
        .where(
            e.subject_id == sa.any_(sa.bindparam("subjects", [w.ticket_id for w in escalated], type_=ARRAY(sa.Uuid))),
            e.type == "ticket.escalated",
            e.dedupe_key.is_(None),  # the priority's announcements only: an SLA breach (service.clock) has a key
        )
        .order_by(e.subject_id, e.sequence.desc())
        .ext(distinct_on(e.subject_id))
    )
    announced: dict[uuid.UUID, str] = {row[0]: row[1] for row in rows}
    new: list[NewEvent] = []
    for w in escalated:
        assert w.priority is not None
        last = announced.get(w.ticket_id)
        if last is not None and ESCALATED_PRIORITIES.index(last) >= ESCALATED_PRIORITIES.index(w.priority):
            continue
        payload = {
            "ticketId": w.ticket_id,
            "externalId": w.external_id,
            "priority": w.priority,
            "previouslyAnnounced": last,
            "status": w.status,
            "trigger": "priority",
            "breach": None,
            "dueAt": None,
        }
        new.append(NewEvent("ticket.escalated", payload, w.account_id, w.ticket_id))
    await append_events(conn, new)


@dataclass(frozen=True, slots=True)
class TimelineEntryAdded:
    """A touchpoint as stored on an account's timeline: what ``timeline.entry_added`` says."""

    entry_id: uuid.UUID
    account_id: uuid.UUID
    kind: str
    entry_occurred_at: dt.datetime
    summary: str
    entry_actor: str | None
    source: str
    actor: str | None = None  # who recorded it in the hub (``Principal.actor``); None when ingested


async def timeline_entries_added(conn: AsyncConnection, added: Sequence[TimelineEntryAdded]) -> None:
    """``timeline.entry_added``: a touchpoint recorded on an account's timeline (added in the hub, or ingested),
    once per entry — a source sending the entry again, changed or not, announces nothing new. Derived entries
    (contracts, tickets, handoffs…) are computed on read and have their own events. One read and one append."""
    if not added:
        return
    said = await _already_emitted(conn, ("timeline.entry_added",), [a.entry_id for a in added])
    new: list[NewEvent] = []
    for a in added:
        if (a.entry_id, "timeline.entry_added") in said:
            continue
        payload = {
            "timelineEntryId": a.entry_id,
            "kind": a.kind,
            "entryOccurredAt": a.entry_occurred_at,
            "summary": a.summary,
            "entryActor": a.entry_actor,
            "source": a.source,
        }
        new.append(NewEvent("timeline.entry_added", payload, a.account_id, a.entry_id, actor=a.actor))
        said.add((a.entry_id, "timeline.entry_added"))
    await append_events(conn, new)
