"""Handoff writes: create, edit (with a version check) and move through the workflow. Callers own the transaction.

Every write locks the handoff row (``FOR UPDATE``) before it reads the state, so two concurrent steps
are serialized: the second sees the first's result (a new version, a new state) and is refused
clearly instead of overwriting it. Every transition writes a ``handoff_events`` row in the same
transaction as the state change.
"""

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.api_keys.service import Principal
from service.contacts.tables import contacts
from service.contracts.tables import contracts
from service.errors import Conflict, IncompleteRecord, InvalidInput, NotFound, VersionConflict
from service.events import emit
from service.handoffs import workflow
from service.handoffs.queries import COLUMNS, HandoffRow
from service.handoffs.record import (
    MAX_TEXT,
    HandoffRecord,
    column_values,
    missing_for_submit,
    record_from,
    validated,
)
from service.handoffs.tables import handoff_events, handoffs
from service.handoffs.workflow import Action, State

h = handoffs.c
MAX_COMMENT = MAX_TEXT


def record_of(row: HandoffRow) -> HandoffRecord:
    return record_from(row, row.details)


async def _check_references(
    conn: AsyncConnection, account_id: uuid.UUID, record: HandoffRecord, now: dt.datetime
) -> None:
    problems: list[str] = []
    if record.contract_id is not None:
        owner = await conn.scalar(sa.select(contracts.c.account_id).where(contracts.c.id == record.contract_id))
        if owner != account_id:
            problems.append("contractId: not a contract of this account")
    contact_ids = {person.contact_id for person in record.stakeholders if person.contact_id is not None}
    if contact_ids:
        known = set(
            await conn.scalars(
                sa.select(contacts.c.id).where(contacts.c.id.in_(contact_ids), contacts.c.account_id == account_id)
            )
        )
        for index, person in enumerate(record.stakeholders):
            if person.contact_id is not None and person.contact_id not in known:
                problems.append(f"stakeholders.{index}.contactId: not a contact of this account")
    if record.deal.closed_at is not None and record.deal.closed_at > now:
        problems.append("deal.closedAt: must not be in the future")
    if problems:
        raise InvalidInput("invalid handoff: " + "; ".join(problems))


async def _event(
    conn: AsyncConnection,
    row: HandoffRow | None,
    handoff_id: uuid.UUID,
    account_id: uuid.UUID,
    to: State,
    *,
    by: Principal,
    now: dt.datetime,
    comment: str | None,
) -> None:
    await conn.execute(
        sa.insert(handoff_events).values(
            handoff_id=handoff_id,
            account_id=account_id,
            actor=by.actor,
            actor_role=by.role.value,
            from_state=row.state if row else None,
            to_state=to.value,
            comment=comment,
            occurred_at=now,
        )
    )


def _comment(comment: str | None) -> str | None:
    if comment is None or not comment.strip():
        return None
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"comment: at most {MAX_COMMENT} characters")
    return comment.strip()


def _created_by(row: HandoffRow, by: Principal) -> bool:
    """Whether ``by`` created the handoff: the same person (from any device), or the same API key."""
    if by.person is not None:
        return row.created_by_person_id == by.person.id
    return by.key_id is not None and row.created_by_key_id == by.key_id


async def create_handoff(
    conn: AsyncConnection, account_id: uuid.UUID, document: dict[str, Any], *, by: Principal, now: dt.datetime
) -> HandoffRow:
    """A new DRAFT for the account (any group may still be empty: drafts are written as sales learns)."""
    workflow.check_create(by.role)
    # The account row locked: two requests cannot each start "the" open handoff of one deal.
    locked = sa.select(accounts.c.id).where(accounts.c.id == account_id).with_for_update(key_share=True)
    if await conn.scalar(locked) is None:
        raise NotFound("no such account")
    record = validated(document)
    await _check_references(conn, account_id, record, now)
    await _one_open_per_deal(conn, account_id, record.opportunity_ref)
    inserted = await conn.execute(
        sa.insert(handoffs)
        .values(
            account_id=account_id,
            state=State.DRAFT.value,
            version=1,
            created_by=by.actor,
            created_by_key_id=by.key_id,
            created_by_person_id=by.person.id if by.person else None,
            created_at=now,
            updated_at=now,
            **column_values(record),
        )
        .returning(*COLUMNS)
    )
    row = HandoffRow(**inserted.one()._mapping)
    await _event(conn, None, row.id, account_id, State.DRAFT, by=by, now=now, comment="created")
    return row


async def _one_open_per_deal(
    conn: AsyncConnection, account_id: uuid.UUID, deal: str | None, *, other_than: uuid.UUID | None = None
) -> None:
    """One open handoff (DRAFT, SUBMITTED, RETURNED) per account and deal (``opportunityRef``, none counting as
    one deal): a second one would split what sales writes down, and the CSM would accept one of them."""
    open_states = [state.value for state in workflow.OPEN_STATES]
    found = sa.select(h.state).where(
        h.account_id == account_id, h.state.in_(open_states), h.opportunity_ref.is_not_distinct_from(deal)
    )
    if other_than is not None:
        found = found.where(h.id != other_than)
    state = await conn.scalar(found.limit(1))
    if state is not None:
        named = f"deal {deal!r}" if deal is not None else "this account without an opportunityRef"
        raise Conflict(
            f"there is already an open handoff ({state}) for {named}: edit that one (or cancel it) instead of "
            "starting another",
            field="opportunityRef",
        )


async def _locked(conn: AsyncConnection, handoff_id: uuid.UUID) -> HandoffRow:
    found = (await conn.execute(sa.select(*COLUMNS).where(h.id == handoff_id).with_for_update())).one_or_none()
    if found is None:
        raise NotFound("no such handoff")
    return HandoffRow(**found._mapping)


def _check_version(row: HandoffRow, expected: int | None) -> None:
    if expected is not None and expected != row.version:
        raise VersionConflict(
            f"the handoff changed since you read it: it is at version {row.version}, not {expected}; "
            "reload it, reapply your change and send the new version",
            current_version=row.version,
        )


async def update_handoff(
    conn: AsyncConnection,
    handoff_id: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    by: Principal,
    now: dt.datetime,
) -> HandoffRow:
    """Replace the groups in ``changes`` (group name → its new value; other groups stay as they are)."""
    row = await _locked(conn, handoff_id)
    workflow.check_edit(State(row.state), by.role, own=_created_by(row, by))
    _check_version(row, expected_version)
    document = record_of(row).model_dump(mode="json") | dict(changes)
    record = validated(document)
    await _check_references(conn, row.account_id, record, now)
    if record.opportunity_ref != row.opportunity_ref:
        await conn.execute(
            sa.select(accounts.c.id).where(accounts.c.id == row.account_id).with_for_update(key_share=True)
        )
        await _one_open_per_deal(conn, row.account_id, record.opportunity_ref, other_than=handoff_id)
    updated = await conn.execute(
        sa.update(handoffs)
        .where(h.id == handoff_id)
        .values(version=h.version + 1, updated_at=now, **column_values(record))
        .returning(*COLUMNS)
    )
    return HandoffRow(**updated.one()._mapping)


async def transition(
    conn: AsyncConnection,
    handoff_id: uuid.UUID,
    action: Action,
    *,
    by: Principal,
    now: dt.datetime,
    comment: str | None = None,
    expected_version: int | None = None,
    first_value_on: dt.date | None = None,
) -> HandoffRow:
    """Take one workflow step; the refusal says why (role, state, version, missing fields, comment)."""
    row = await _locked(conn, handoff_id)
    step = workflow.check_step(action, State(row.state), by.role, own=_created_by(row, by))
    _check_version(row, expected_version)
    note = _comment(comment)
    values: dict[str, Any] = {"state": step.target.value, "version": h.version + 1, "updated_at": now}
    if action is Action.SUBMIT:
        missing = missing_for_submit(record_of(row))
        if missing:
            raise IncompleteRecord(
                f"cannot submit: the handoff lacks {len(missing)} required field(s): " + "; ".join(missing),
                missing=missing,
            )
        values["submitted_at"] = sa.func.coalesce(h.submitted_at, now)
    elif action is Action.ACCEPT:
        values["accepted_at"] = now
        values["csm_owner"] = sa.func.coalesce(h.csm_owner, by.name)  # who accepted owns it, unless sales named one
    elif action is Action.RETURN:
        if note is None:
            raise InvalidInput("comment: returning a handoff needs a comment telling sales what to fix")
        values["returned_count"] = h.returned_count + 1
    elif action is Action.HOLD_KICKOFF:
        values["kickoff_held_at"] = now
    elif action is Action.REACH_FIRST_VALUE:
        values["first_value_on"] = _first_value_day(row, first_value_on, now)
    elif action is Action.CANCEL:
        values["cancelled_at"] = now
    if first_value_on is not None and action is not Action.REACH_FIRST_VALUE:
        raise InvalidInput("firstValueOn: only for reaching first value")
    updated = await conn.execute(sa.update(handoffs).where(h.id == handoff_id).values(**values).returning(*COLUMNS))
    await _event(conn, row, handoff_id, row.account_id, step.target, by=by, now=now, comment=note)
    stepped = HandoffRow(**updated.one()._mapping)
    await emit.handoff_stepped(
        conn, handoff_id=handoff_id, account_id=row.account_id, from_state=row.state, to_state=stepped.state,
        version=stepped.version, actor=by.actor, comment=note, at=now,
    )  # fmt: skip
    return stepped


def _first_value_day(row: HandoffRow, given: dt.date | None, now: dt.datetime) -> dt.date:
    day = given or now.astimezone(dt.UTC).date()
    if day > now.astimezone(dt.UTC).date():
        raise InvalidInput("firstValueOn: must not be in the future")
    if row.contract_start_date is not None and day < row.contract_start_date:
        raise InvalidInput(
            f"firstValueOn: must not be before the contract start ({row.contract_start_date.isoformat()})"
        )
    return day
