"""Salesforce payloads → ingest records, written by the ingest service on the caller's connection (one transaction).

There is no second write path: every record is what ``POST /v1/ingest/{entity}`` would take, from the source
``salesforce`` (``CSHUB_SALESFORCE_SOURCE``), so idempotency (a re-sent record is ``unchanged``), stale protection
(``updated_at``: LastModifiedDate / SystemModstamp / commitTimestamp), identity resolution (Website → domain), the
unmatched queue and provenance are the ingest service's. A payload is written in rounds, so later rounds find
what earlier ones made known:

1. Accounts → ``accounts`` (a deleted Account is skipped: cshub keeps its customers);
2. Contacts → ``contacts`` (a deleted one is skipped); one that names no AccountId goes to the account cshub has
   it in, else to the one its e-mail domain names;
3. closed-won Opportunities → ``contracts`` with their lines, dated by their Type (``opportunities``); one that
   is lost, reopened or deleted cancels the contract cshub has for it (and is skipped when there is none); line
   items alone replace the lines of the contract cshub has for their opportunity;
4. Cases → ``tickets``; a deleted Case closes the ticket cshub has (skipped when there is none); a Case without
   AccountId goes to the account cshub has it in, else its ContactId's.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from service.adapters.salesforce import queries
from service.adapters.salesforce.fields import add_months
from service.adapters.salesforce.mapping import SalesforceMapping
from service.adapters.salesforce.objects import Read
from service.adapters.salesforce.opportunities import Opportunity, cancelled, dated
from service.adapters.salesforce.payloads import Translated
from service.adapters.writing import ItemResult, Pending, Target, Written, kept, refused, skipped, write
from service.sources.queries import accounts_of


async def write_payload(
    conn: AsyncConnection, translated: Translated, target: Target, mapping: SalesforceMapping, today: dt.date
) -> Written:
    results = list(translated.answered)
    accounts, answered = kept(
        [(read.pending, read.deleted) for read in translated.accounts],
        "a deleted Salesforce Account: cshub keeps its account",
    )
    results += answered + await write(conn, target, "accounts", accounts)
    contacts, answered = kept(
        [(read.pending, read.deleted) for read in translated.contacts],
        "a deleted Salesforce Contact: cshub keeps its contact",
    )
    placed, unplaced = await _placed(conn, target.source, "contact", contacts, {})
    results += answered + unplaced + await write(conn, target, "contacts", placed)
    contracts, answered = await _contracts(conn, target.source, translated.opportunities, today)
    results += answered + await write(conn, target, "contracts", contracts)
    tickets, answered = await _tickets(conn, target.source, translated.cases, mapping)
    results += answered + await write(conn, target, "tickets", tickets)
    return Written.of(results)


async def _account_ids(
    conn: AsyncConnection, source: str, object_type: str, external_ids: Sequence[str]
) -> dict[str, str | None]:
    """Each known record → Salesforce's id for its account (None: an account only other sources name)."""
    known = await accounts_of(conn, source, object_type, external_ids)
    return {external_id: account.external_id for external_id, account in known.items()}


def _named(pending: Pending) -> bool:
    return "account_external_id" in pending.record or "account_domain" in pending.record


async def _placed(
    conn: AsyncConnection, source: str, object_type: str, pending: Sequence[Pending], fallback: dict[str, str]
) -> tuple[list[Pending], list[ItemResult]]:
    """Records that name no account placed in the one cshub has them in, else ``fallback`` (item → account id),
    else (contacts) their e-mail domain; the rest refused."""
    known = await _account_ids(
        conn, source, object_type, [item.vendor_id for item in pending if item.vendor_id and not _named(item)]
    )
    placed: list[Pending] = []
    answered: list[ItemResult] = []
    for item in pending:
        if _named(item):
            placed.append(item)
            continue
        account = known.get(item.vendor_id or "") or fallback.get(item.item)
        email = item.record.get("email")
        if account is not None:
            placed.append(replace(item, record={**item.record, "account_external_id": account}))
        elif isinstance(email, str) and "@" in email:
            placed.append(replace(item, record={**item.record, "account_domain": email.rsplit("@", 1)[1]}))
        else:
            message = "names no AccountId and cshub does not know the record's account: query it with AccountId"
            answered.append(refused(item.item, item.vendor_id, item.entity, f"{item.item}.AccountId", message))
    return placed, answered


async def _contracts(
    conn: AsyncConnection, source: str, opportunities: Sequence[Opportunity], today: dt.date
) -> tuple[list[Pending], list[ItemResult]]:
    ids = [item.pending.vendor_id for item in opportunities if item.pending.vendor_id]
    known = await _account_ids(conn, source, "contract", ids)
    accounts = [item.pending.record["account_external_id"] for item in opportunities if _named(item.pending)]
    held_by = await queries.contracts_of(conn, source, [*accounts, *(a for a in known.values() if a)])
    out: list[Pending] = []
    answered: list[ItemResult] = []
    # Earliest first, each placed among those before it (stored, or earlier in the payload): a replay places
    # them the same way.
    for item in sorted(opportunities, key=lambda item: item.start or dt.date.min):
        pending, opportunity_id = item.pending, item.pending.vendor_id or ""
        if item.deleted or item.won is False or item.lines_only or item.won is None:
            if opportunity_id not in known:
                answered.append(skipped(pending.item, pending.vendor_id, "contracts", _why_not(item)))
                continue
            pending = cancelled(item) if item.deleted or item.won is False else pending
            out.append(_with_account(pending, known[opportunity_id]))
            continue
        account = pending.record.get("account_external_id") or known.get(opportunity_id) or ""
        others = [held for held in held_by.get(account, []) if held.opportunity_id != opportunity_id]
        start, end = _placed_term(item, others)
        out.append(_with_account(dated(item, start, end, today), known.get(opportunity_id)))
        if start is not None:
            end = end or add_months(start, item.months)
            held_by.setdefault(account, []).append(queries.SourceContract(opportunity_id, start, end))
    return out, answered


def _placed_term(item: Opportunity, others: Sequence[queries.SourceContract]) -> tuple[dt.date | None, dt.date | None]:
    """A renewal starts when the contract it renews ends (the latest end of those begun by its start); an expansion
    ends with the contract it grows (the latest end of those running on its start)."""
    start, end = item.start, item.end
    if start is None or end is not None:
        return start, end
    if item.kind == "renewal":
        return max([start, *(held.end for held in others if held.end is not None and held.start <= start)]), None
    if item.kind == "expansion":
        ends = [held.end for held in others if held.end is not None and held.start <= start < held.end]
        return start, max(ends) if ends else None
    return start, None


def _why_not(item: Opportunity) -> str:
    if item.deleted:
        return "a deleted Opportunity cshub has no contract for"
    if item.lines_only:
        return "line items of an Opportunity cshub has no contract for: send the closed-won Opportunity first"
    if item.won is None:
        return "neither IsWon nor StageName: query them so cshub can tell a closed-won Opportunity"
    return "not closed-won: only closed-won Opportunities become contracts"


def _with_account(pending: Pending, account: str | None) -> Pending:
    if _named(pending) or account is None:
        return pending
    return replace(pending, record={**pending.record, "account_external_id": account})


async def _tickets(
    conn: AsyncConnection, source: str, cases: Sequence[Read], mapping: SalesforceMapping
) -> tuple[list[Pending], list[ItemResult]]:
    known = await _account_ids(conn, source, "ticket", [read.pending.vendor_id or "" for read in cases if read.deleted])
    keep: list[Pending] = []
    answered: list[ItemResult] = []
    for read in cases:
        pending = read.pending
        if read.deleted:
            if (pending.vendor_id or "") not in known:
                answered.append(skipped(pending.item, pending.vendor_id, "tickets", "a deleted Case cshub never had"))
                continue
            closed: dict[str, Any] = {
                "external_id": pending.record["external_id"],
                "status": mapping.case_statuses.get("closed", "closed"),
            }
            if "updated_at" in pending.record:
                closed["updated_at"] = pending.record["updated_at"]
            pending = replace(pending, record=closed)
        keep.append(pending)
    contacts = await _account_ids(
        conn, source, "contact", [read.contact_id for read in cases if read.contact_id and not _named(read.pending)]
    )
    fallback = {
        read.pending.item: account
        for read in cases
        if read.contact_id and (account := contacts.get(read.contact_id)) is not None
    }
    placed, unplaced = await _placed(conn, source, "ticket", keep, fallback)
    return placed, answered + unplaced
