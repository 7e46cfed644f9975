"""Where the scores statement spends its time: EXPLAIN (ANALYZE, BUFFERS) of ``compute``'s statement, run in
rolled-back transactions, summarised.

First as configured (headline: planning, execution, JIT, temp files written); when JIT was used, again with
``jit = off`` for the breakdown, since JIT compiles lazily and its time would land on whichever node runs
first. The breakdown lists each CTE or inlined subquery that has a node of its own (``CTE x`` for the
materialised ones, ``Subquery Scan`` for the inlined ones; they nest, so their times include their
inputs'), then the nodes with the most time of their own: a node's total (per loop, times loops) minus its
children's. A CTE Scan runs the CTE's plan beneath it, which is counted in that plan's nodes, so CTE Scans
count for nothing and CTE plans are not subtracted from the node they hang off. Under a Gather, loops add
up the workers: CPU time rather than wall time there.
"""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from service.health_scores import compute

TOP_NODES = 10
BLOCK_MB = 8192 / 1e6


@dataclass(frozen=True, slots=True)
class Node:
    own_ms: float
    rows: int
    label: str


def _total_ms(node: dict[str, Any]) -> float:
    return float(node.get("Actual Total Time", 0.0)) * int(node.get("Actual Loops", 0))


def _tables(node: dict[str, Any]) -> set[str]:
    found = {node["Relation Name"]} if "Relation Name" in node else set()
    for child in node.get("Plans", []):
        found |= _tables(child)
    return found


def _describe(node: dict[str, Any]) -> str:
    what = str(node["Node Type"]) + (f" ({node['Strategy']})" if "Strategy" in node else "")
    if "Relation Name" in node:
        return f"{what} on {node['Relation Name']}"
    keys = node.get("Group Key") or node.get("Sort Key") or node.get("Hash Cond")
    if keys:
        shown = ", ".join(keys) if isinstance(keys, list) else str(keys)
        what += f" by {shown[:90]}"
    if node.get("Sort Space Type") == "Disk":
        what += f" (spilled {int(node['Sort Space Used']) / 1000:.0f} MB to disk)"
    tables = sorted(_tables(node))
    if 0 < len(tables) <= 2:
        what += f" over {', '.join(tables)}"
    return what


def _walk(node: dict[str, Any], nodes: list[Node], named: list[tuple[str, float]]) -> None:
    subplan = str(node.get("Subplan Name", ""))
    if subplan.startswith("CTE "):
        named.append((subplan, _total_ms(node)))
    elif node["Node Type"] == "Subquery Scan":
        named.append((str(node["Alias"]), _total_ms(node)))
    children = node.get("Plans", [])
    counted = [child for child in children if not str(child.get("Subplan Name", "")).startswith("CTE ")]
    own = 0.0 if node["Node Type"] == "CTE Scan" else _total_ms(node) - sum(_total_ms(child) for child in counted)
    rows = int(node.get("Actual Rows", 0)) * int(node.get("Actual Loops", 0))
    nodes.append(Node(max(own, 0.0), rows, _describe(node)))
    for child in children:
        _walk(child, nodes, named)


async def _explain(engine: AsyncEngine, now: dt.datetime, *, jit_off: bool) -> dict[str, Any]:
    explain = sa.text("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + compute._statement().text).bindparams(
        sa.bindparam("ids", None, type_=ARRAY(sa.Uuid))
    )
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            if jit_off:
                await conn.execute(sa.text("SET LOCAL jit = off"))
            raw = (await conn.execute(explain, {"now": now, "today": now.date()})).scalar_one()
        finally:
            await transaction.rollback()
    document = json.loads(raw) if isinstance(raw, str) else raw
    top: dict[str, Any] = document[0]
    return top


def _headline(top: dict[str, Any], label: str) -> str:
    line = f"{label}: planning {top['Planning Time']:.0f} ms, execution {top['Execution Time']:.0f} ms"
    jit = top.get("JIT")
    if jit is not None:
        options = ", ".join(name.lower() for name, used in jit["Options"].items() if used)
        line += f" (JIT {jit['Timing']['Total']:.0f} ms of it: {jit['Functions']} functions, {options})"
    written = int(top["Plan"].get("Temp Written Blocks", 0))
    return line + f", temp files written {written * BLOCK_MB:.0f} MB; estimated cost {top['Plan']['Total Cost']:.3g}"


async def explain_lines(engine: AsyncEngine, now: dt.datetime) -> list[str]:
    top = await _explain(engine, now, jit_off=False)
    lines = [_headline(top, "EXPLAIN ANALYZE of the scores statement")]
    if "JIT" in top:
        top = await _explain(engine, now, jit_off=True)
        lines.append(_headline(top, "the same with jit = off, broken down below"))
    nodes: list[Node] = []
    named: list[tuple[str, float]] = []
    _walk(top["Plan"], nodes, named)
    lines.append(
        "  CTEs and inlined subqueries, inclusive ms (nested): "
        + ", ".join(f"{name} {ms:.0f}" for name, ms in sorted(named, key=lambda item: -item[1]) if ms >= 1)
    )
    lines.append(f"  {'own ms':>8} {'rows':>9}  node")
    for node in sorted(nodes, key=lambda node: node.own_ms, reverse=True)[:TOP_NODES]:
        lines.append(f"  {node.own_ms:8.0f} {node.rows:9d}  {node.label}")
    return lines
