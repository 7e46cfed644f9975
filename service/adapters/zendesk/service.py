"""Zendesk payloads → ingest records, written by the ingest service on the caller's connection (one transaction).

There is no second write path: every record is what ``POST /v1/ingest/{entity}`` would take, from the source
``zendesk`` (``CSHUB_ZENDESK_SOURCE``), so idempotency (a re-sent record is ``unchanged``), stale protection
(``updated_at`` older than the stored one changes nothing), identity resolution, the unmatched queue and
provenance are the ingest service's. A payload is written in rounds, so later rounds find what earlier ones
made known:

1. organizations → ``accounts``;
2. end users → ``contacts``;
3. tickets → ``tickets`` (and ticket metric events → the first response and solved times of the tickets cshub
   has; skipped for the others). A ticket that names no account (a webhook event without organization) is placed in the
   account cshub already has it in, else its requester's; with neither it is rejected. A deleted ticket
   (status ``deleted``, or a deleting event) is written with the status the mapping gives ``deleted``
   (``closed``) when cshub knows it, and skipped otherwise;
4. satisfaction ratings of the tickets written → CSAT ``survey-responses`` (keyed by the ticket id; a response
   whose score and comment did not change keeps its first ``responded_at``, so a re-sent ticket is a no-op).
"""

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from service.adapters.writing import ItemResult, Pending, Target, Written, refused, skipped, write
from service.adapters.zendesk import queries
from service.adapters.zendesk.payloads import Translated
from service.adapters.zendesk.tickets import TicketItem
from service.sources.queries import accounts_of

REFERENCE_FIELDS = ("account_external_id", "account_domain")


async def write_payload(conn: AsyncConnection, translated: Translated, target: Target) -> Written:
    results = list(translated.answered)
    results += await write(conn, target, "accounts", translated.accounts)
    results += await write(conn, target, "contacts", translated.contacts)
    placed, answered = await _placed(conn, target.source, translated.tickets)
    results += answered
    ticket_results = await write(conn, target, "tickets", [item.ticket for item in placed])
    results += ticket_results
    surveys = [
        replace(item.survey, record={**item.survey.record, **_reference(item.ticket)})
        for item, result in zip(placed, ticket_results, strict=True)
        if item.survey is not None and not result.rejected
    ]
    results += await write(conn, target, "survey-responses", await _stable(conn, target.source, surveys))
    return Written.of(results)


def _reference(pending: Pending) -> dict[str, str]:
    return {name: pending.record[name] for name in REFERENCE_FIELDS if name in pending.record}


async def _placed(
    conn: AsyncConnection, source: str, tickets: Sequence[TicketItem]
) -> tuple[list[TicketItem], list[ItemResult]]:
    """The tickets to write, each naming an account; the others answered (skipped deletions, no account)."""
    ids = [item.ticket.vendor_id for item in tickets if item.ticket.vendor_id is not None]
    known = await accounts_of(conn, source, "ticket", ids)
    unplaced = [item for item in tickets if not _reference(item.ticket)]
    requesters = await accounts_of(
        conn, source, "contact", [item.requester_id for item in unplaced if item.requester_id is not None]
    )
    placed: list[TicketItem] = []
    answered: list[ItemResult] = []
    for item in tickets:
        ticket_id = item.ticket.vendor_id or ""
        if item.deleted and ticket_id not in known:
            answered.append(
                skipped(item.ticket.item, item.ticket.vendor_id, "tickets", "a deleted ticket cshub never had")
            )
            continue
        if item.known_only and ticket_id not in known:
            reason = "cshub does not have this ticket (yet): its metric events land once the ticket was sent"
            answered.append(skipped(item.ticket.item, item.ticket.vendor_id, "tickets", reason))
            continue
        if _reference(item.ticket):
            placed.append(item)
            continue
        account = known.get(ticket_id) or requesters.get(item.requester_id or "")
        reference = account.by_id_or_domain() if account is not None else {}
        if not reference:
            message = (
                "the ticket names no organization and cshub knows neither it nor its requester's account: send "
                "the ticket with its organization_id, or its requester (users sideload) with an organization or "
                "e-mail first"
            )
            ticket = item.ticket
            answered.append(
                refused(ticket.item, ticket.vendor_id, "tickets", f"{ticket.item}.organization_id", message)
            )
            continue
        placed.append(replace(item, ticket=replace(item.ticket, record={**item.ticket.record, **reference})))
    return placed, answered


async def _stable(conn: AsyncConnection, source: str, surveys: list[Pending]) -> list[Pending]:
    """A rating re-sent unchanged keeps the ``responded_at`` stored with it (the ticket's later updates are not a
    new answer); a changed score or comment is answered anew at the ticket's update."""
    stored = await queries.stored_records(
        conn, source, "survey_response", [survey.vendor_id for survey in surveys if survey.vendor_id is not None]
    )
    out = []
    for survey in surveys:
        before = stored.get(survey.vendor_id or "")
        record = survey.record
        if before is not None and (before.get("score"), before.get("comment")) == (record["score"], record["comment"]):
            survey = replace(survey, record={**record, "responded_at": before.get("responded_at")})
        out.append(survey)
    return out
