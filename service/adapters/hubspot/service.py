"""HubSpot payloads → ingest records (and account merges), written on the caller's connection (one transaction).

There is no second write path: every record is what ``POST /v1/ingest/{entity}`` would take, from the source
``hubspot`` (``CSHUB_HUBSPOT_SOURCE``), so idempotency (a re-sent record is ``unchanged``), stale protection
(``updated_at`` — ``updatedAt``, or an event's ``occurredAt`` — older than the stored one changes nothing),
partial records, identity resolution, the unmatched queue and provenance are the ingest service's; a
``company.merge`` is cshub's account merge (``service.customer360.merge``, as ``mergeAccounts`` does it). A
payload is written in rounds, so later rounds find what earlier ones made known:

1. companies → ``accounts`` (an archived company is skipped: cshub keeps the account);
2. company merges → the merged companies' accounts merged into the primary's;
3. contacts → ``contacts``; one that names no company is placed in the account cshub has it in, else in the
   account of the company that lists it in its associations (kept from each company written, ``source_associations``:
   dlt's verified HubSpot source asks for associations on companies only). A property change of a contact cshub
   does not know is skipped;
4. deals in a mapped stage → ``contracts``; a deal that names no company is placed as a contact is. A deal whose
   stage maps to ``ended`` or ``cancelled`` (a lost or deleted deal) is skipped when cshub never had it.
"""

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from service.adapters.hubspot import queries
from service.adapters.hubspot.deals import DealItem
from service.adapters.hubspot.objects import ObjectItem
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
    written = await write(conn, target, "accounts", companies)
    results += written
    await queries.name_in_companies(conn, target.source, _named(translated.companies, written))
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


def _event(pending: Pending) -> bool:
    return pending.item.startswith("events")


def _reference(pending: Pending) -> dict[str, str]:
    return {name: pending.record[name] for name in REFERENCE_FIELDS if pending.record.get(name) is not None}


def _named(companies: Sequence[ObjectItem], written: Sequence[ItemResult]) -> list[tuple[str, str, str]]:
    """What the companies cshub took (written, or unchanged) list in their associations."""
    taken = {result.item for result in written if not result.rejected}
    return [
        (object_type, named_id, company.pending.vendor_id)
        for company in companies
        if company.pending.item in taken and company.pending.vendor_id is not None
        for object_type, named_id in company.names
    ]


async def _placed(
    conn: AsyncConnection, source: str, kind: tuple[str, str], items: Sequence[Pending]
) -> tuple[list[Pending], list[ItemResult]]:
    """The records to write, each naming an account; the others answered. ``kind``: the records' object type in
    cshub's identity map, and what HubSpot calls them. A record that names no company goes to the account cshub has
    it in, else to the company that lists it in its associations; that company also comes before a contact's
    e-mail domain (a guess). A property change is never placed by a company's list (one property makes no record)."""
    link_type, object_type = kind
    unnamed = [
        item.vendor_id
        for item in items
        if item.vendor_id is not None and "account_external_id" not in _reference(item) and not _event(item)
    ]
    naming = await queries.naming_companies(conn, source, link_type, unnamed)
    unplaced = [item.vendor_id for item in items if not _reference(item) and item.vendor_id is not None]
    known = await accounts_of(conn, source, link_type, unplaced)
    placed: list[Pending] = []
    answered: list[ItemResult] = []
    for item in items:
        reference = _reference(item)
        account = known.get(item.vendor_id or "")
        company = naming.get(item.vendor_id or "") if "account_external_id" not in reference else None
        if company is not None and (reference or account is None):
            record = {name: value for name, value in item.record.items() if name != "account_domain"}
            placed.append(replace(item, record={**record, "account_external_id": company}))
        elif reference:
            placed.append(item)
        elif account is not None and (by_id := account.by_id()):
            placed.append(replace(item, record={**item.record, **by_id}))
        elif _event(item):
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
                    f"{', associatedcompanyid or an e-mail' if object_type == 'contact' else ''}) and no company "
                    "cshub has lists it in its associations: no account to place it in",
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
        if deal.change and deal.stage is None and (pending.vendor_id or "") not in known:
            reason = (
                "a change of a deal cshub does not have as a contract: its other properties are read with its "
                "dealstage (send the deal to /hubspot/v1/objects/deals)"
            )
            answered.append(skipped(pending.item, pending.vendor_id, "contracts", reason))
        elif deal.change and deal.stage is None:
            contracts.append(pending)  # a partial record of the contract cshub has: its status is kept
        elif deal.status is None:
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
