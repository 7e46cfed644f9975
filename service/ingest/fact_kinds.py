"""How each per-account record maps onto its table: the column values, and what else a write implies."""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from service.contacts.tables import contacts
from service.contracts.tables import contract_lines, contracts, products
from service.events import emit
from service.ingest.facts import FactKind
from service.ingest.records import (
    ContactRecord,
    ContractRecord,
    SurveyResponseRecord,
    TicketRecord,
    TimelineEventRecord,
)
from service.surveys.tables import survey_responses
from service.tickets.tables import tickets
from service.timeline.tables import timeline_events


async def _contact_values(conn: AsyncConnection, record: ContactRecord, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "name": record.name,
        "email": record.email,
        "phone": record.phone,
        "title": record.title,
        "role": record.role,
    }


async def _link_survey_responses(
    conn: AsyncConnection, record: ContactRecord, contact_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    """Survey responses that arrived before their contact (matched by e-mail on the same account) now
    point at it: delivery order must not decide whether a response knows who gave it."""
    if record.email is None:
        return
    await conn.execute(
        sa.update(survey_responses)
        .where(
            survey_responses.c.account_id == account_id,
            survey_responses.c.contact_email == record.email,
            survey_responses.c.contact_id.is_(None),
        )
        .values(contact_id=contact_id)
    )


async def _contract_values(conn: AsyncConnection, record: ContractRecord, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "status": record.status,
        "start_date": record.start_date,
        "end_date": record.end_date,
        "renewal_date": record.renewal_date,
        "auto_renew": record.auto_renew,
        "currency": record.currency,
    }


async def _replace_contract_lines(
    conn: AsyncConnection, record: ContractRecord, contract_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    """A contract record that has a ``lines`` key carries its whole set of lines: the stored lines become
    exactly those (``[]`` removes them). Without the key the stored lines stay."""
    if "lines" not in record.model_fields_set:
        return
    await conn.execute(sa.delete(contract_lines).where(contract_lines.c.contract_id == contract_id))
    if not record.lines:
        return
    names = sorted({line.product for line in record.lines})
    await conn.execute(insert(products).values([{"name": name} for name in names]).on_conflict_do_nothing())
    rows = await conn.execute(
        sa.select(products.c.name, products.c.id).where(
            products.c.name == sa.any_(sa.bindparam("names", names, type_=sa.ARRAY(sa.Text)))
        )
    )
    product_ids = {row[0]: row[1] for row in rows}
    await conn.execute(
        sa.insert(contract_lines),
        [
            {
                "contract_id": contract_id,
                "account_id": account_id,
                "product_id": product_ids[line.product],
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "mrr": line.line_mrr,
                # A line without dates runs with its contract: the line table carries effective dates,
                # so "active on day d" is start_date <= d < end_date everywhere (docs/kpis.md).
                "start_date": line.start_date or record.start_date,
                "end_date": line.end_date or record.end_date,
            }
            for line in record.lines
        ],
    )


async def _ticket_values(conn: AsyncConnection, record: TicketRecord, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "subject": record.subject,
        "status": record.status,
        "priority": record.priority,
        "category": record.category,
        "opened_at": record.opened_at,
        "first_response_at": record.first_response_at,
        "solved_at": record.solved_at,
        "csat": record.csat,
    }


async def _survey_values(conn: AsyncConnection, record: SurveyResponseRecord, account_id: uuid.UUID) -> dict[str, Any]:
    contact_id = None
    if record.contact_email:
        contact_id = (
            await conn.execute(
                sa.select(contacts.c.id)
                .where(contacts.c.account_id == account_id, contacts.c.email == record.contact_email)
                .order_by(contacts.c.created_at, contacts.c.id)
                .limit(1)
            )
        ).scalar_one_or_none()
    return {
        "account_id": account_id,
        "contact_id": contact_id,
        "contact_email": record.contact_email,
        "kind": record.kind,
        "score": record.score,
        "comment": record.comment,
        "responded_at": record.responded_at,
    }


def _timeline_values(source: str) -> Any:
    async def values(conn: AsyncConnection, record: TimelineEventRecord, account_id: uuid.UUID) -> dict[str, Any]:
        return {
            "account_id": account_id,
            "kind": record.kind,
            "occurred_at": record.occurred_at,
            "summary": record.summary,
            "actor": record.actor,
            "source": source,
        }

    return values


CONTACTS = FactKind("contacts", "contact", contacts, _contact_values, _link_survey_responses)


async def _contract_written(
    conn: AsyncConnection, record: ContractRecord, contract_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    await _replace_contract_lines(conn, record, contract_id, account_id)
    await emit.contract_written(
        conn, contract_id=contract_id, account_id=account_id, external_id=record.external_id, status=record.status,
        start_date=record.start_date, end_date=record.end_date, renewal_date=record.renewal_date,
        currency=record.currency,
    )  # fmt: skip


CONTRACTS = FactKind("contracts", "contract", contracts, _contract_values, _contract_written)


async def _ticket_written(
    conn: AsyncConnection, record: TicketRecord, ticket_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    await emit.ticket_written(
        conn, ticket_id=ticket_id, account_id=account_id, external_id=record.external_id,
        priority=record.priority, status=record.status,
    )  # fmt: skip


TICKETS = FactKind("tickets", "ticket", tickets, _ticket_values, _ticket_written)
SURVEY_RESPONSES = FactKind(
    "survey-responses", "survey_response", survey_responses, _survey_values, derived={"contact_id": "contact_email"}
)


def _timeline_written(source: str) -> Any:
    async def written(
        conn: AsyncConnection, record: TimelineEventRecord, entry_id: uuid.UUID, account_id: uuid.UUID
    ) -> None:
        await emit.timeline_entry_added(
            conn, entry_id=entry_id, account_id=account_id, kind=record.kind, entry_occurred_at=record.occurred_at,
            summary=record.summary, entry_actor=record.actor, source=source, actor=None,
        )  # fmt: skip

    return written


def timeline_events_from(source: str) -> FactKind:
    return FactKind(
        "timeline-events", "timeline_event", timeline_events, _timeline_values(source), _timeline_written(source)
    )
