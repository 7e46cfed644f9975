"""The ingest service: one batch of one entity from one source, written as one unit of work.

``ingest_batch`` validates every record, writes the valid ones on the caller's connection (the
caller owns the transaction and commits), and answers one result per record in input order. When an
accounts batch makes accounts known (or a merge makes an ambiguous domain name one account), records
that were waiting as unmatched for them are re-ingested in the same transaction.
"""

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from service.audit import service as audit
from service.audit.service import Who
from service.db.pool import planned_for_each_run
from service.db.statistics import report_counts_at_commit
from service.ingest import fact_kinds, unmatched
from service.ingest.account_records import OBJECT_TYPE as ACCOUNT_OBJECT_TYPE
from service.ingest.accounts_in_bulk import write_accounts_in_bulk
from service.ingest.facts import FactKind, Item
from service.ingest.facts_in_bulk import write_facts_in_bulk
from service.ingest.identity import domains_of
from service.ingest.records import (
    AccountRecord,
    ContactRecord,
    ContractRecord,
    SurveyResponseRecord,
    TicketRecord,
    TimelineEventRecord,
    UsageEventRecord,
)
from service.ingest.results import BatchResult, FieldError, RecordResult, Status
from service.ingest.shared_domains import SHARED_DOMAINS
from service.ingest.usage_events import DEFAULT_USAGE, Rollups, UsagePolicy, write_usage_events
from service.ingest.validation import validate_record
from service.sources.tables import source_links

MODELS: dict[str, type[BaseModel]] = {
    "accounts": AccountRecord,
    "contacts": ContactRecord,
    "contracts": ContractRecord,
    "tickets": TicketRecord,
    "usage-events": UsageEventRecord,
    "survey-responses": SurveyResponseRecord,
    "timeline-events": TimelineEventRecord,
}
ENTITIES = tuple(MODELS)
# Re-resolution order: contacts before survey responses, so a response can find its contact.
_RESOLVE_ORDER = ("contacts", "contracts", "tickets", "survey-responses", "timeline-events", "usage-events")


def _fact_kind(entity: str, source: str) -> FactKind:
    kinds = {
        "contacts": fact_kinds.CONTACTS,
        "contracts": fact_kinds.CONTRACTS,
        "tickets": fact_kinds.TICKETS,
        "survey-responses": fact_kinds.SURVEY_RESPONSES,
    }
    return kinds[entity] if entity in kinds else fact_kinds.timeline_events_from(source)


async def ingest_batch(
    conn: AsyncConnection,
    source: str,
    entity: str,
    raw_records: Sequence[Any],
    *,
    source_priority: Sequence[str] = (),
    usage: UsagePolicy = DEFAULT_USAGE,
    shared_domains: Collection[str] = SHARED_DOMAINS,
    rollups: Rollups | None = None,
) -> BatchResult:
    """Validate and write one batch; ``entity`` must be one of ``ENTITIES``. ``source_priority`` ranks the
    sources whose account profiles disagree (see ``account_records``); ``usage`` bounds usage events;
    ``shared_domains`` never identify an account (see ``shared_domains``). ``rollups`` collects the usage rollups
    the batch owes, for the caller to make as its transaction's last write; without it they are made here."""
    model = MODELS[entity]
    batch = BatchResult(entity=entity, source=source)
    results: dict[int, RecordResult] = {}
    items: list[Item] = []
    lacking: dict[int, tuple[FieldError, ...]] = {}
    for index, raw in enumerate(raw_records):
        checked = validate_record(model, raw)
        if isinstance(checked, tuple):
            lacking[index] = checked
        else:
            items.append(Item(index, checked, raw))
    for index, checked in (await _completed_updates(conn, source, entity, raw_records, lacking)).items():
        if isinstance(checked, tuple):
            results[index] = RecordResult(index, Status.REJECTED, errors=checked)
        else:
            items.append(Item(index, checked, raw_records[index]))
    if items:
        await planned_for_each_run(conn)
        owed = Rollups() if rollups is None else rollups
        for result in await _write(conn, source, entity, items, source_priority, usage, shared_domains, owed):
            results[result.index] = result
        if rollups is None:
            await owed.apply(conn)
    batch.results = [results[index] for index in range(len(raw_records))]
    return batch


def _object_type(entity: str, source: str) -> str | None:
    """The identity map's name for an entity's records; None for usage events, which have no source links."""
    if entity == "accounts":
        return ACCOUNT_OBJECT_TYPE
    return None if entity == "usage-events" else _fact_kind(entity, source).object_type


async def _completed_updates(
    conn: AsyncConnection,
    source: str,
    entity: str,
    raw_records: Sequence[Any],
    refused: dict[int, tuple[FieldError, ...]],
) -> dict[int, BaseModel | tuple[FieldError, ...]]:
    """Records refused only for lacking required fields, retried as updates: a record this source sent before
    is checked with what it omits taken from the last one stored (``partial``), so a source may send only the
    fields that changed. The record keeps only the fields it sent as set, so ``_upsert`` completes it again
    from the stored payload it locks. The rest keep their errors."""
    object_type = _object_type(entity, source)
    candidates = {
        index: raw["external_id"]
        for index, errors in refused.items()
        if object_type is not None
        and all(error.message == "required" for error in errors)
        and isinstance(raw := raw_records[index], dict)
        and isinstance(raw.get("external_id"), str)
    }
    stored: dict[str, dict[str, Any]] = {}
    if candidates:
        rows = await conn.execute(
            sa.select(source_links.c.external_id, source_links.c.payload).where(
                source_links.c.source == source,
                source_links.c.object_type == object_type,
                source_links.c.external_id.in_(list(candidates.values())),
                source_links.c.payload.is_not(None),
            )
        )
        stored = {row.external_id: row.payload for row in rows}
    model = MODELS[entity]
    outcome: dict[int, BaseModel | tuple[FieldError, ...]] = dict(refused)
    for index, external_id in candidates.items():
        if external_id not in stored:
            continue
        raw = raw_records[index]
        kept = {name: value for name, value in stored[external_id].items() if name in model.model_fields}
        checked = validate_record(model, {**kept, **raw})
        if not isinstance(checked, tuple):
            checked.__pydantic_fields_set__ &= set(raw)  # what was sent; the rest comes from the stored record
        outcome[index] = checked
    return outcome


async def ingest_audited(
    conn: AsyncConnection,
    source: str,
    entity: str,
    raw_records: Sequence[Any],
    *,
    who: Who,
    request_id: str | None = None,
    source_priority: Sequence[str] = (),
    usage: UsagePolicy = DEFAULT_USAGE,
    shared_domains: Collection[str] = SHARED_DOMAINS,
) -> BatchResult:
    """``ingest_batch`` and its audit entry (entity, source, totals — never the records), in the caller's
    transaction: the batch and its entry commit or roll back together."""
    rollups = Rollups()
    batch = await ingest_batch(
        conn,
        source,
        entity,
        raw_records,
        source_priority=source_priority,
        usage=usage,
        shared_domains=shared_domains,
        rollups=rollups,
    )
    details = {"source": source, "records": len(raw_records), "totals": batch.totals()}
    await audit.record(conn, who, f"ingest:{entity}", target=entity, details=details, request_id=request_id)
    await report_counts_at_commit(conn)  # the statistics keeper sees this batch's rows as soon as it commits
    # Last: concurrent usage batches wait for the rollup rows this touches until the transaction ends.
    await rollups.apply(conn)
    return batch


async def _write(
    conn: AsyncConnection,
    source: str,
    entity: str,
    items: list[Item],
    priority: Sequence[str],
    usage: UsagePolicy,
    shared: Collection[str],
    rollups: Rollups,
) -> list[RecordResult]:
    if entity == "accounts":
        results, written = await write_accounts_in_bulk(conn, source, items, priority, shared)
        await resolve_waiting(conn, written, shared, usage, rollups)
        return results
    if entity == "usage-events":
        return await write_usage_events(conn, source, items, shared, usage, rollups)
    return await write_facts_in_bulk(conn, source, _fact_kind(entity, source), items, shared)


async def resolve_waiting(
    conn: AsyncConnection,
    account_ids: Sequence[uuid.UUID],
    shared: Collection[str] = SHARED_DOMAINS,
    usage: UsagePolicy = DEFAULT_USAGE,
    rollups: Rollups | None = None,
) -> None:
    """Re-ingest unmatched records that name these accounts (by any of their sources' ids or domains): after
    an accounts batch made them known, or a merge made an ambiguous domain name one account."""
    if not account_ids or not await unmatched.any_waiting(conn):
        return
    domains = [domain for domain in await domains_of(conn, account_ids) if domain not in shared]
    links = [
        (link_source, external_id)
        for link_source, external_id in await conn.execute(
            sa.select(source_links.c.source, source_links.c.external_id).where(
                source_links.c.object_type == "account", source_links.c.entity_id.in_(account_ids)
            )
        )
    ]
    waiting = await unmatched.waiting_for(conn, links, domains)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for pending in waiting:
        groups[(pending.entity, pending.source)].append(pending.payload)
    for entity in _RESOLVE_ORDER:
        for (group_entity, group_source), payloads in sorted(groups.items()):
            if group_entity == entity:
                await ingest_batch(
                    conn, group_source, entity, payloads, usage=usage, shared_domains=shared, rollups=rollups
                )
