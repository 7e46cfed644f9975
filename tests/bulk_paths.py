"""Helpers for comparing the set-based ingest path with the record-by-record one: run the same deliveries
through either, and read back the whole hub with generated ids replaced by what the records call them."""

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.ingest import account_records, facts
from service.ingest import service as ingest_service
from service.ingest.results import BatchResult

# Per table, the columns whose values are the clock's, not the records' (resolved_at is kept as a yes/no): times,
# the outbox sequence and the id of the transaction that wrote the row.
CLOCK_COLUMNS = frozenset(
    {"created_at", "updated_at", "first_seen_at", "last_synced_at", "last_seen_at", "sequence", "tx_id"}
)
TABLES = (
    "accounts",
    "source_links",
    "contacts",
    "contracts",
    "contract_lines",
    "products",
    "tickets",
    "survey_responses",
    "timeline_events",
    "unmatched_records",
    "pending_parent_links",
    "events",
    "webhook_deliveries",
)


@contextlib.contextmanager
def record_by_record(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ingest as before the set-based path: every batch written by ``write_facts``/``write_accounts``."""
    with monkeypatch.context() as patch:
        patch.setattr(ingest_service, "write_facts_in_bulk", facts.write_facts)
        patch.setattr(ingest_service, "write_accounts_in_bulk", account_records.write_accounts)
        yield


async def names(engine: AsyncEngine) -> dict[uuid.UUID, str]:
    """Every generated id → a stable name: the smallest link that names it, or its unmatched record, product
    or event."""
    found: dict[uuid.UUID, str] = {}
    async with engine.connect() as conn:
        for sql in (
            "SELECT entity_id, object_type || ':' || source || ':' || external_id FROM source_links",
            "SELECT id, 'unmatched:' || source || ':' || entity || ':' || external_id FROM unmatched_records",
            "SELECT id, 'product:' || name FROM products",
            "SELECT id, concat_ws(':', 'event', type, payload ->> 'externalId', payload ->> 'priority') FROM events",
        ):
            for entity_id, name in await conn.execute(sa.text(sql)):
                if entity_id not in found or name < found[entity_id]:
                    found[entity_id] = name
    return found


def _named(value: Any, known: dict[uuid.UUID, str]) -> Any:
    if isinstance(value, uuid.UUID):
        return known.get(value, "?unknown id")
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return known.get(uuid.UUID(value), value) if len(value) == 36 else value
        return value
    if isinstance(value, list):  # lists of ids (candidates) are in id order: sorted by name instead
        named = [_named(item, known) for item in value]
        return sorted(named) if all(isinstance(item, str) for item in named) else named
    if isinstance(value, dict):
        return {key: _named(item, known) for key, item in value.items()}
    return value


async def hub_state(engine: AsyncEngine) -> dict[str, list[str]]:
    """Every row of every table ingest writes, ids named, clock columns (and the events' transaction ids) left
    out, sorted."""
    known = await names(engine)
    state: dict[str, list[str]] = {}
    async with engine.connect() as conn:
        for table in TABLES:
            rows = []
            for row in await conn.execute(sa.text(f"SELECT * FROM {table}")):
                values = {
                    column: (value is not None) if column == "resolved_at" else _named(value, known)
                    for column, value in row._mapping.items()
                    if column not in CLOCK_COLUMNS
                    and not (table == "events" and column in ("occurred_at", "tx_id"))
                    and not (table in ("contract_lines", "webhook_deliveries") and column == "id")
                }
                rows.append(repr(sorted(values.items())))
            state[table] = sorted(rows)
    return state


def answers(batch: BatchResult, known: dict[uuid.UUID, str]) -> list[tuple[Any, ...]]:
    """The batch's response with ids named."""
    return [
        (r.index, r.status.value, _named(r.id, known) if r.id else None, [e.as_json() for e in r.errors])
        for r in batch.results
    ]


def at(day: int) -> str:
    return (dt.datetime(2026, 3, 1, tzinfo=dt.UTC) + dt.timedelta(days=day)).isoformat()
