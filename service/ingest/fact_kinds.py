"""How each per-account record maps onto its table: the column values, and what else a write implies."""

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from service.contacts.tables import contacts
from service.contracts.tables import contract_lines, contracts, products
from service.events import emit
from service.ingest.facts import AfterWrite, FactKind, Written
from service.ingest.records import (
    ContactRecord,
    ContractRecord,
    SurveyResponseRecord,
    TicketRecord,
    TimelineEventRecord,
)
from service.ingest.rows_in_bulk import insert_rows
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


async def _link_survey_responses(conn: AsyncConnection, written: Sequence[Written]) -> None:
    """Survey responses that arrived before their contact (matched by e-mail on the same account) now
    point at it: delivery order must not decide whether a response knows who gave it. Of two contacts with
    one e-mail, the first written (external-id order) is the one."""
    named = [(w.account_id, w.record.email, w.entity_id) for w in written if w.record.email is not None]
    if not named:
        return
    await conn.execute(
        sa.text(
            "UPDATE survey_responses AS s SET contact_id = c.contact_id FROM ("
            " SELECT DISTINCT ON (account_id, email) account_id, email, contact_id"
            " FROM unnest(CAST(:accounts AS uuid[]), CAST(:emails AS text[]), CAST(:contacts AS uuid[]))"
            " WITH ORDINALITY AS n(account_id, email, contact_id, position)"
            " ORDER BY account_id, email, position) AS c"
            " WHERE s.account_id = c.account_id AND s.contact_email = c.email AND s.contact_id IS NULL"
        ).bindparams(
            sa.bindparam("accounts", [n[0] for n in named], type_=sa.ARRAY(sa.Uuid)),
            sa.bindparam("emails", [n[1] for n in named], type_=sa.ARRAY(sa.Text)),
            sa.bindparam("contacts", [n[2] for n in named], type_=sa.ARRAY(sa.Uuid)),
        )
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
        "kind": record.kind,
    }


_LINE_COLUMNS = ("account_id", "product_id", "quantity", "unit_price", "mrr", "start_date", "end_date")


async def _replace_contract_lines(conn: AsyncConnection, written: Sequence[Written]) -> None:
    """A contract record that has a ``lines`` key carries its whole set of lines: the stored lines become
    exactly those (``[]`` removes them). Without the key the stored lines stay. Lines that are stored exactly so
    already (a contract whose stage, dates elsewhere or renewal changed) are left as they are: their ids and
    ``created_at`` stay, and nothing is deleted and inserted again."""
    replaced = [w for w in written if "lines" in w.record.model_fields_set]
    if not replaced:
        return
    names = sorted({line.product for w in replaced for line in w.record.lines})
    product_ids: dict[str, uuid.UUID] = {}
    if names:
        wanted = sa.bindparam("names", names, type_=sa.ARRAY(sa.Text))
        await conn.execute(
            insert(products)
            .from_select(["name"], sa.select(sa.func.unnest(wanted)))
            .on_conflict_do_nothing(index_elements=["name"])
        )
        rows = await conn.execute(sa.select(products.c.name, products.c.id).where(products.c.name == sa.any_(wanted)))
        product_ids = {row[0]: row[1] for row in rows}
    # A line without dates runs with its contract: the line table carries effective dates,
    # so "active on day d" is start_date <= d < end_date everywhere (docs/kpis.md).
    lines = {
        w.entity_id: [
            {
                "contract_id": w.entity_id,
                "account_id": w.account_id,
                "product_id": product_ids[line.product],
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "mrr": line.line_mrr,
                "start_date": line.start_date or w.record.start_date,
                "end_date": line.end_date or w.record.end_date,
            }
            for line in w.record.lines
        ]
        for w in replaced
    }
    stored = await _stored_lines(conn, list(lines))
    changed = [contract_id for contract_id, rows in lines.items() if _as_stored(rows) != stored[contract_id]]
    if not changed:
        return
    ids = sa.bindparam("ids", changed, type_=sa.ARRAY(sa.Uuid))
    await conn.execute(sa.delete(contract_lines).where(contract_lines.c.contract_id == sa.any_(ids)))
    await insert_rows(conn, contract_lines, [row for contract_id in changed for row in lines[contract_id]])


def _as_stored(rows: Sequence[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(row[name] for name in _LINE_COLUMNS) for row in rows)


async def _stored_lines(
    conn: AsyncConnection, contract_ids: list[uuid.UUID]
) -> defaultdict[uuid.UUID, Counter[tuple[Any, ...]]]:
    """The stored lines of these contracts, each as the values ``_LINE_COLUMNS`` names (a contract without lines:
    empty)."""
    c = contract_lines.c
    ids = sa.bindparam("ids", contract_ids, type_=sa.ARRAY(sa.Uuid))
    rows = await conn.execute(
        sa.select(c.contract_id, *(c[name] for name in _LINE_COLUMNS)).where(c.contract_id == sa.any_(ids))
    )
    stored: defaultdict[uuid.UUID, Counter[tuple[Any, ...]]] = defaultdict(Counter)
    for contract_id, *values in rows:
        stored[contract_id][tuple(values)] += 1
    return stored


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


async def _contracts_written(conn: AsyncConnection, written: Sequence[Written]) -> None:
    await _replace_contract_lines(conn, written)
    await emit.contracts_written(
        conn,
        [
            emit.ContractWritten(
                contract_id=w.entity_id, account_id=w.account_id, external_id=w.record.external_id,
                status=w.record.status, start_date=w.record.start_date, end_date=w.record.end_date,
                renewal_date=w.record.renewal_date, currency=w.record.currency, kind=w.record.kind,
            )
            for w in written
        ],
    )  # fmt: skip


CONTRACTS = FactKind("contracts", "contract", contracts, _contract_values, _contracts_written)


async def _tickets_written(conn: AsyncConnection, written: Sequence[Written]) -> None:
    await emit.tickets_written(
        conn,
        [
            emit.TicketWritten(
                ticket_id=w.entity_id, account_id=w.account_id, external_id=w.record.external_id,
                priority=w.record.priority, status=w.record.status,
            )
            for w in written
        ],
    )  # fmt: skip


TICKETS = FactKind("tickets", "ticket", tickets, _ticket_values, _tickets_written)
SURVEY_RESPONSES = FactKind(
    "survey-responses",
    "survey_response",
    survey_responses,
    _survey_values,
    derived={"contact_id": "contact_email"},
    in_bulk=False,  # each response looks up its contact by e-mail
)


def _timeline_written(source: str) -> AfterWrite:
    async def written(conn: AsyncConnection, stored: Sequence[Written]) -> None:
        await emit.timeline_entries_added(
            conn,
            [
                emit.TimelineEntryAdded(
                    w.entity_id, w.account_id, w.record.kind, w.record.occurred_at, w.record.summary,
                    w.record.actor, source,
                )
                for w in stored
            ],
        )  # fmt: skip

    return written


def timeline_events_from(source: str) -> FactKind:
    return FactKind(
        "timeline-events", "timeline_event", timeline_events, _timeline_values(source), _timeline_written(source)
    )
