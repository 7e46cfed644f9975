"""HubSpot payloads → ingest records (and account merges), written on the caller's connection (one transaction).

There is no second write path: every record is what ``POST /v1/ingest/{entity}`` would take, from the source
``hubspot`` (``CSHUB_HUBSPOT_SOURCE``), so idempotency (a re-sent record is ``unchanged``), stale protection
(``updated_at`` — ``updatedAt``, or an event's ``occurredAt`` — older than the stored one changes nothing),
partial records, identity resolution, the unmatched queue and provenance are the ingest service's; a
``company.merge`` is cshub's account merge (``service.customer360.merge``, as ``mergeAccounts`` does it). A
payload is written in rounds, so later rounds find what earlier ones made known:

1. companies → ``accounts`` (an archived company is skipped: cshub keeps the account);
2. company merges → the merged companies' accounts merged into the primary's;
3. contacts → ``contacts``; one that names no company (a property change) is placed in the account cshub has it
   in, and skipped when cshub does not know it;
4. deals in a mapped stage → ``contracts``; a deal that names no company is placed in the account cshub has it
   in. A deal whose stage maps to ``ended`` or ``cancelled`` (a lost or deleted deal) is skipped when cshub never
   had it.
"""

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from service.adapters.hubspot import queries
from service.adapters.hubspot.deals import DealItem
from service.adapters.hubspot.payloads import Merge, Translated
from service.adapters.writing import ItemResult, Pending, Target, Written, kept, refused, skipped, write
from service.customer360.merge import merge_accounts
from service.ingest.results import Status
from service.sources.queries import accounts_of

REFERENCE_FIELDS = ("account_external_id", "account_domain")
MERGED_BY = "hubspot company.merge"
CLOSED = ("ended", "cancelled")


async def write_payload(conn: AsyncConnection, translated: Translated, target: Target) -> Written:
    results = list(translated.answered)
    companies, answered = kept(
        [(item.pending, item.archived) for item in translated.companies],
        "cshub keeps the account of an archived company",
    )
    results += answered
    results += await write(conn, target, "accounts", companies)
    for merge in translated.merges:
        results.append(await _merge(conn, target, merge))
    contacts, answered = kept(
        [(item.pending, item.archived) for item in translated.contacts],
        "cshub keeps the contact of an archived HubSpot contact",
    )
    results += answered
    placed, answered = await _placed(conn, target.source, ("contact", "contact"), contacts)
    results += answered
    results += await write(conn, target, "contacts", placed)
    deals, answered = await _deals(conn, target.source, translated.deals)
    results += answered
    results += await write(conn, target, "contracts", deals)
    return Written.of(results)


def _reference(pending: Pending) -> dict[str, str]:
    return {name: pending.record[name] for name in REFERENCE_FIELDS if pending.record.get(name) is not None}


async def _placed(
    conn: AsyncConnection, source: str, kind: tuple[str, str], items: Sequence[Pending]
) -> tuple[list[Pending], list[ItemResult]]:
    """The records to write, each naming an account (theirs, else the one cshub has them in); the others
    answered. ``kind``: the records' object type in cshub's identity map, and what HubSpot calls them."""
    link_type, object_type = kind
    unplaced = [item.vendor_id for item in items if not _reference(item) and item.vendor_id is not None]
    known = await accounts_of(conn, source, link_type, unplaced)
    placed: list[Pending] = []
    answered: list[ItemResult] = []
    for item in items:
        if _reference(item):
            placed.append(item)
            continue
        account = known.get(item.vendor_id or "")
        reference = account.by_id() if account is not None else {}
        if reference:
            placed.append(replace(item, record={**item.record, **reference}))
        elif item.item.startswith("events"):
            answered.append(
                skipped(
                    item.item,
                    item.vendor_id,
                    item.entity,
                    f"cshub does not know this {object_type} yet, and a property change names no company: send it "
                    "through /hubspot/v1/objects first",
                )
            )
        else:
            answered.append(
                refused(
                    item.item,
                    item.vendor_id,
                    item.entity,
                    f"{item.item}.associations.companies",
                    f"the {object_type} names no company (associations.companies"
                    f"{', associatedcompanyid or an e-mail' if object_type == 'contact' else ''}): no account to "
                    "place it in",
                )
            )
    return placed, answered


async def _deals(
    conn: AsyncConnection, source: str, deals: Sequence[DealItem]
) -> tuple[list[Pending], list[ItemResult]]:
    known = await accounts_of(
        conn, source, "contract", [deal.pending.vendor_id for deal in deals if deal.pending.vendor_id is not None]
    )
    contracts: list[Pending] = []
    answered: list[ItemResult] = []
    for deal in deals:
        pending = deal.pending
        if deal.status is None:
            reason = (
                f"deal stage {deal.stage!r} is not a stage [deal.stages] maps to a contract status (not closed-won)"
                if deal.stage is not None
                else "the deal has no dealstage: not a contract"
            )
            answered.append(skipped(pending.item, pending.vendor_id, "contracts", reason))
        elif deal.missing_lines:
            message = (
                f"line items {', '.join(deal.missing_lines)} are associated with the deal but not in the payload's "
                "line_items: send a deal's line items beside it (a deal without them would lose its lines)"
            )
            answered.append(
                refused(
                    pending.item, pending.vendor_id, "contracts", f"{pending.item}.associations.line_items", message
                )
            )
        elif deal.status in CLOSED and (pending.vendor_id or "") not in known:
            answered.append(
                skipped(pending.item, pending.vendor_id, "contracts", f"a {deal.stage} deal cshub never had")
            )
        else:
            contracts.append(pending)
    placed, unplaced = await _placed(conn, source, ("contract", "deal"), contracts)
    return placed, answered + unplaced


async def _merge(conn: AsyncConnection, target: Target, merge: Merge) -> ItemResult:
    """The accounts of ``merge.merged`` companies merged into the primary's; unchanged when they already are it
    (a replayed event)."""
    found = await queries.company_accounts(conn, target.source, [merge.primary, *merge.merged])
    into = found.get(merge.primary)
    if into is None:
        return skipped(
            merge.item, merge.primary, "accounts", "cshub does not know the primary company: nothing to merge into"
        )
    others = sorted({found[company] for company in merge.merged if company in found} - {into})
    for merged in others:
        await merge_accounts(
            conn, merged_id=merged, into_id=into, merged_by=MERGED_BY, shared_domains=target.shared_domains
        )
    status = Status.UPDATED if others else Status.UNCHANGED
    return ItemResult(merge.item, merge.primary, "accounts", status.value, into)
