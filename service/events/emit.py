"""What each domain's write appends to the outbox: one function per kind of change, called in its transaction.

The writing domains call these with plain values (no row types of theirs are imported here, so the events domain
sits below every domain it hears from). Payload keys are the catalogue's (``catalogue/<type>.json``).
"""

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.events.outbox import append_event
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


async def _emitted(conn: AsyncConnection, event_type: str, subject_id: uuid.UUID) -> bool:
    found = sa.select(sa.exists().where(events.c.subject_id == subject_id, events.c.type == event_type))
    return bool((await conn.execute(found)).scalar_one())


async def contract_written(
    conn: AsyncConnection,
    *,
    contract_id: uuid.UUID,
    account_id: uuid.UUID,
    external_id: str,
    status: str,
    start_date: dt.date,
    end_date: dt.date | None,
    renewal_date: dt.date | None,
    currency: str,
) -> None:
    """After an ingested contract is stored: ``contract.created`` the first time the hub has it, and
    ``contract.ended`` the first time it is ended or cancelled — each once per contract, whatever order or how
    often the source sends it (the outbox itself remembers what was said)."""
    if not await _emitted(conn, "contract.created", contract_id):
        payload = {
            "contractId": contract_id,
            "status": status,
            "startDate": start_date,
            "endDate": end_date,
            "renewalDate": renewal_date,
            "currency": currency,
            "externalId": external_id,
        }
        await append_event(conn, "contract.created", payload, account_id=account_id, subject_id=contract_id)
    if status in ENDED_CONTRACT_STATUSES and not await _emitted(conn, "contract.ended", contract_id):
        payload = {"contractId": contract_id, "status": status, "endDate": end_date, "externalId": external_id}
        await append_event(conn, "contract.ended", payload, account_id=account_id, subject_id=contract_id)


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


async def ticket_written(
    conn: AsyncConnection,
    *,
    ticket_id: uuid.UUID,
    account_id: uuid.UUID,
    external_id: str,
    priority: str | None,
    status: str,
) -> None:
    """After an ingested ticket is stored: ``ticket.escalated`` when its priority reaches a level of
    ``ESCALATED_PRIORITIES`` above the last one announced for it (high, then urgent: two events; sent as urgent
    from the start: one). Lowering the priority and raising it again announces nothing new. A breached SLA is
    announced by the clock's sweep (service.clock), with ``trigger: sla_breach``."""
    if priority not in ESCALATED_PRIORITIES:
        return
    e = events.c
    announced = (
        await conn.execute(
            sa.select(e.payload["priority"].astext)
            # the priority's announcements only: an SLA breach (service.clock) carries a dedupe key
            .where(e.subject_id == ticket_id, e.type == "ticket.escalated", e.dedupe_key.is_(None))
            .order_by(e.sequence.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if announced is not None and ESCALATED_PRIORITIES.index(announced) >= ESCALATED_PRIORITIES.index(priority):
        return
    payload = {
        "ticketId": ticket_id,
        "externalId": external_id,
        "priority": priority,
        "previouslyAnnounced": announced,
        "status": status,
        "trigger": "priority",
        "breach": None,
        "dueAt": None,
    }
    await append_event(conn, "ticket.escalated", payload, account_id=account_id, subject_id=ticket_id)


async def timeline_entry_added(
    conn: AsyncConnection,
    *,
    entry_id: uuid.UUID,
    account_id: uuid.UUID,
    kind: str,
    entry_occurred_at: dt.datetime,
    summary: str,
    entry_actor: str | None,
    source: str,
    actor: str | None,
) -> None:
    """``timeline.entry_added``: a touchpoint recorded on an account's timeline (added in the hub, or ingested),
    once per entry — a source sending the entry again, changed or not, announces nothing new. Derived entries
    (contracts, tickets, handoffs…) are computed on read and have their own events."""
    if await _emitted(conn, "timeline.entry_added", entry_id):
        return
    payload = {
        "timelineEntryId": entry_id,
        "kind": kind,
        "entryOccurredAt": entry_occurred_at,
        "summary": summary,
        "entryActor": entry_actor,
        "source": source,
    }
    await append_event(conn, "timeline.entry_added", payload, account_id=account_id, subject_id=entry_id, actor=actor)
