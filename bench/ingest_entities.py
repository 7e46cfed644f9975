"""The entity half of ``bench.ingest``: accounts, contacts, contracts (two lines each) and tickets as ingest
records, and the same rows as a raw COPY writes them.

Per repeat and entity: ``records`` new records (all ``created``), the same records changed (all ``updated``),
and a COPY of as many rows (fresh ids) straight into the entity's tables. Contacts, contracts and tickets name
the bench's accounts by their external id.
"""

import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import asyncpg

ENTITIES = ("accounts", "contacts", "contracts", "tickets")
SEGMENTS = ("enterprise", "mid_market", "smb", "startup")
PRODUCTS = ("Platform", "Seats", "Analytics", "Support Plus")
START = dt.date(2026, 1, 1)


def records(entity: str, prefix: str, count: int, version: int, accounts: int) -> list[dict[str, Any]]:
    """``count`` records of ``entity``; ``version`` 1 changes a field of every record of version 0."""
    opened = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    made: list[dict[str, Any]] = []
    for i in range(count):
        ref = {"account_external_id": f"acct-{i % accounts:04d}"}
        external_id = f"{prefix}-{i:07d}"
        if entity == "accounts":
            made.append({
                "external_id": external_id, "name": f"Bench {external_id}", "domain": f"{external_id}.bench.example",
                "segment": SEGMENTS[(i + version) % 4], "csm_owner": f"CSM {i % 17}", "lifecycle_stage": "adoption",
            })  # fmt: skip
        elif entity == "contacts":
            made.append({
                "external_id": external_id, **ref, "name": f"Person {i}", "email": f"{external_id}@bench.example",
                "title": ("Engineer", "Director")[version], "role": "user",
            })  # fmt: skip
        elif entity == "contracts":
            lines = [
                {"product": PRODUCTS[i % 4], "quantity": 10 + version, "unit_price": "12.50"},
                {"product": PRODUCTS[(i + 1) % 4], "mrr": "99.00"},
            ]
            made.append({
                "external_id": external_id, **ref, "status": "active", "start_date": START.isoformat(),
                "renewal_date": "2027-01-01", "auto_renew": bool(version), "lines": lines,
            })  # fmt: skip
        else:
            made.append({
                "external_id": external_id, **ref, "subject": f"Ticket {i}", "status": ("open", "pending")[version],
                "priority": "normal", "category": "question", "opened_at": opened.isoformat(),
            })  # fmt: skip
    return made


def _copy_rows(
    entity: str, made: Sequence[Mapping[str, Any]], account_ids: Mapping[str, uuid.UUID], product_ids: Mapping[str, Any]
) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    """The rows the records stand for, per table (columns, rows), with fresh ids and ``copy-`` domains."""
    if entity == "accounts":
        columns = ("id", "name", "domain", "segment", "csm_owner", "lifecycle_stage")
        return {
            "accounts": (
                columns,
                [
                    (uuid.uuid4(), r["name"], "copy-" + r["domain"], r["segment"], r["csm_owner"], r["lifecycle_stage"])
                    for r in made
                ],
            )
        }
    account = [account_ids[r["account_external_id"]] for r in made]
    if entity == "contacts":
        columns = ("id", "account_id", "name", "email", "title", "role")
        rows = [
            (uuid.uuid4(), a, r["name"], r["email"], r["title"], r["role"]) for r, a in zip(made, account, strict=True)
        ]
        return {"contacts": (columns, rows)}
    if entity == "tickets":
        columns = ("id", "account_id", "subject", "status", "priority", "category", "opened_at")
        rows = [
            (uuid.uuid4(), a, r["subject"], r["status"], r["priority"], r["category"],
             dt.datetime.fromisoformat(r["opened_at"]))
            for r, a in zip(made, account, strict=True)
        ]  # fmt: skip
        return {"tickets": (columns, rows)}
    contract_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []
    for r, a in zip(made, account, strict=True):
        contract_id = uuid.uuid4()
        contract_rows.append((contract_id, a, r["status"], START, dt.date(2027, 1, 1), r["auto_renew"], "USD"))
        for line in r["lines"]:
            price = Decimal(line["unit_price"]) if "unit_price" in line else None
            mrr = price * line["quantity"] if price is not None else Decimal(line["mrr"])
            quantity = line.get("quantity", 1)
            line_rows.append((uuid.uuid4(), contract_id, a, product_ids[line["product"]], quantity, price, mrr, START))
    return {
        "contracts": (
            ("id", "account_id", "status", "start_date", "renewal_date", "auto_renew", "currency"),
            contract_rows,
        ),
        "contract_lines": (
            ("id", "contract_id", "account_id", "product_id", "quantity", "unit_price", "mrr", "start_date"),
            line_rows,
        ),
    }


OBJECT_TYPES = {"accounts": "account", "contacts": "contact", "contracts": "contract", "tickets": "ticket"}
LINK_COLUMNS = ("source", "object_type", "external_id", "entity_id", "account_id", "payload_hash", "payload")


def _link_rows(
    entity: str, made: Sequence[Mapping[str, Any]], entity_rows: Sequence[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """The source link each record also gets (identity, provenance, the payload partial updates complete from):
    entity rows lead with their id, then (but for accounts) their account id."""
    links = []
    for record, row in zip(made, entity_rows, strict=True):
        payload = json.dumps({k: v for k, v in record.items() if k not in ("account_external_id", "updated_at")})
        digest = hashlib.sha256(payload.encode()).hexdigest()
        account_id = row[0] if entity == "accounts" else row[1]
        links.append(
            ("copy", OBJECT_TYPES[entity], "copy-" + record["external_id"], row[0], account_id, digest, payload)
        )
    return links


async def copy(conn: asyncpg.Connection, entity: str, made: Sequence[Mapping[str, Any]], *, links: bool) -> float:
    """COPY the rows of ``made`` into the entity's tables (and with ``links`` the source links the records get)
    in one transaction; the seconds it took (the lookups of account and product ids, and building the rows, are
    not timed)."""
    account_ids = {
        row["external_id"]: row["entity_id"]
        for row in await conn.fetch(
            "SELECT external_id, entity_id FROM source_links"
            " WHERE object_type = 'account' AND external_id LIKE 'acct-%'"
        )
    }
    product_ids = {row["name"]: row["id"] for row in await conn.fetch("SELECT name, id FROM products")}
    tables = _copy_rows(entity, made, account_ids, product_ids)
    if links:
        main = "contracts" if entity == "contracts" else entity
        tables["source_links"] = (LINK_COLUMNS, _link_rows(entity, made, tables[main][1]))
    started = time.perf_counter()
    async with conn.transaction():
        for table, (columns, rows) in tables.items():
            await conn.copy_records_to_table(table, records=rows, columns=columns)
    return time.perf_counter() - started
