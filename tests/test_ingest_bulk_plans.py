"""How a set-based batch's statements are planned: each statement that writes rows from the batch's parameters (the
entity rows, contract lines, source links) checks their foreign keys with plans kept for it (``plans_kept_for_checks``:
planned once, not once per row), and every statement that reads a table is planned for the values it runs with, as
the rest of the batch is (``planned_for_each_run``; tests/test_ingest_plans.py shows why)."""

import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.ingesting import ingest, statuses
from tests.statements import counting_statements

_MODE = re.compile(r"SET LOCAL plan_cache_mode = (\w+)")
_WRITES_FROM_PARAMETERS = re.compile(r"^\s*INSERT INTO (\w+) \([^)]*\) SELECT (unnest\(|\$1, \$2, n\.)")


def planned(statements: list[str]) -> list[tuple[str, str]]:
    """Each statement sent after the batch set its first plan cache mode, with the mode it ran in."""
    mode = ""
    seen: list[tuple[str, str]] = []
    for statement in statements:
        if changed := _MODE.match(statement.strip()):
            mode = changed.group(1)
        elif mode:
            seen.append((mode, statement))
    return seen


def contract(n: int, version: int) -> dict[str, Any]:
    lines = [{"product": "Hub", "quantity": 2 + version, "unit_price": "10.00"}, {"product": "Add-on", "mrr": "5"}]
    return {"external_id": f"k{n}", "account_external_id": f"a{n % 3}", "status": "active",
            "start_date": "2026-01-01", "lines": lines}  # fmt: skip


def contact(n: int, version: int) -> dict[str, Any]:
    return {"external_id": f"c{n}", "account_external_id": f"a{n % 3}", "name": f"Person {n}", "title": f"v{version}"}


def account(n: int, version: int) -> dict[str, Any]:
    return {"external_id": f"x{n}", "name": f"Account {n}", "domain": f"x{n}.example", "industry": f"v{version}"}


# The tables each batch writes from its parameters: new accounts and every link; an updated account's profile is
# an UPDATE joining the accounts, planned per run.
KEPT = {
    ("accounts", 0): {"accounts", "source_links"},
    ("accounts", 1): {"source_links"},
    ("contacts", 0): {"contacts", "source_links"},
    ("contacts", 1): {"contacts", "source_links"},
    ("contracts", 0): {"contracts", "contract_lines", "source_links"},
    ("contracts", 1): {"contracts", "contract_lines", "source_links"},
}


@pytest.mark.parametrize(("entity", "make"), [("accounts", account), ("contacts", contact), ("contracts", contract)])
async def test_rows_written_from_parameters_check_with_kept_plans_and_reads_are_planned_per_run(
    engine: AsyncEngine, entity: str, make: Any
) -> None:
    await ingest(engine, "crm", "accounts", [{"external_id": f"a{n}", "name": f"Account {n}"} for n in range(3)])
    for version, status in enumerate(("created", "updated")):
        with counting_statements() as statements:
            batch = await ingest(engine, "crm", entity, [make(n, version) for n in range(20)])
        assert set(statuses(batch)) == {status}
        kept: set[str] = set()
        per_run: set[str] = set()
        for mode, statement in planned(statements):
            written = _WRITES_FROM_PARAMETERS.match(statement)
            if mode == "auto":
                assert written is not None, f"read with kept plans: {statement}"
                kept.add(written.group(1))
            elif written is not None:
                per_run.add(written.group(1))
        assert kept == KEPT[(entity, version)]
        assert not kept & per_run
