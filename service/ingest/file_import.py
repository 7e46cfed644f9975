"""``cshub import``: a CSV or JSON-lines file through the same ingest service the REST API uses.

Rows are read lazily and sent in batches, each batch in its own transaction (so a long import that
is interrupted can simply be run again: what was written is ``unchanged`` the second time). CSV cells
are strings; empty cells are left out; a ``lines`` cell (contracts) holds a JSON array.
"""

import csv
import json
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service import json_input
from service.audit.service import CLI
from service.db.pool import in_transaction
from service.errors import InvalidInput
from service.ingest.results import BatchResult, Status
from service.ingest.service import ENTITIES, ingest_audited
from service.ingest.shared_domains import SHARED_DOMAINS
from service.ingest.usage_events import DEFAULT_USAGE, UsagePolicy

JSON_CELLS = frozenset({"lines"})
SHOWN_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # where the record starts in the file (1-based), for messages
    record: Any  # a dict, or None when the line could not be read
    problem: str | None = None


@dataclass(slots=True)
class ImportSummary:
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # the first few rejected rows, with line numbers

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def note(self, line: int, status: str, message: str | None) -> None:
        self.counts[status] += 1
        if message is not None and len(self.problems) < SHOWN_PROBLEMS:
            self.problems.append(f"line {line}: {status}: {message}")


def read_rows(path: Path) -> Iterator[Row]:
    """The file's records, by extension: ``.csv`` or ``.jsonl``/``.ndjson``."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".jsonl", ".ndjson"}:
        raise InvalidInput(f"{path.name}: expected a .csv or .jsonl file")
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        yield from (_csv_rows(handle) if suffix == ".csv" else _jsonl_rows(handle))


def _csv_rows(handle: TextIO) -> Iterator[Row]:
    reader = csv.DictReader(handle)
    for row in reader:
        line = reader.line_num
        record: dict[str, Any] = {}
        problem = None
        for name, value in row.items():
            if name is None:
                problem = "more cells than header columns"
                continue
            if value is None or value == "":
                continue
            if name in JSON_CELLS:
                try:
                    record[name] = json_input.loads(value)
                except json.JSONDecodeError as exc:
                    problem = f"column {name!r} is not valid JSON ({exc.msg})"
                except json_input.TooDeeplyNested as exc:
                    problem = f"column {name!r} has {exc}"
            else:
                record[name] = value
        yield Row(line, None if problem else record, problem)


def _jsonl_rows(handle: TextIO) -> Iterator[Row]:
    for line_number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield Row(line_number, json_input.loads(line))
        except json.JSONDecodeError as exc:
            yield Row(line_number, None, f"not valid JSON ({exc.msg} at column {exc.colno})")
        except json_input.TooDeeplyNested as exc:
            yield Row(line_number, None, str(exc))


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def import_file(
    engine: AsyncEngine,
    path: Path,
    *,
    source: str,
    entity: str,
    batch_size: int = 500,
    source_priority: Sequence[str] = (),
    usage: UsagePolicy = DEFAULT_USAGE,
    shared_domains: Collection[str] = SHARED_DOMAINS,
    progress: Callable[[int], None] = lambda done: None,
) -> ImportSummary:
    if entity not in ENTITIES:
        raise InvalidInput(f"unknown entity {entity!r}; one of: {', '.join(ENTITIES)}")
    if not source.strip():
        raise InvalidInput("--source must name the sending system")
    summary = ImportSummary()
    for chunk in _chunks(read_rows(path), batch_size):
        readable = [row for row in chunk if row.problem is None]
        for row in chunk:
            if row.problem is not None:
                summary.note(row.line, Status.REJECTED.value, row.problem)
        records = [row.record for row in readable]

        async def work(conn: AsyncConnection, records: list[Any] = records) -> BatchResult:
            return await ingest_audited(
                conn,
                source,
                entity,
                records,
                who=CLI,
                source_priority=source_priority,
                usage=usage,
                shared_domains=shared_domains,
            )

        batch = await in_transaction(engine, work)
        for row, result in zip(readable, batch.results, strict=True):
            message = "; ".join(f"{e.path or 'record'}: {e.message}" for e in result.errors) or None
            summary.note(row.line, result.status.value, message)
        progress(summary.total)
    return summary


def count_rows(path: Path) -> int:
    """How many records the file holds (a cheap first pass, for the progress bar)."""
    return sum(1 for _ in read_rows(path))


def progress_bar(total: int, stream: TextIO | None = None, width: int = 30) -> Callable[[int], None]:
    """A progress bar redrawn in place on a terminal (stderr by default); silent when not a terminal."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return lambda done: None

    def show(done: int) -> None:
        filled = width * done // total if total else width
        percent = 100 * done // total if total else 100
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {percent:3d}% {done:,}/{total:,} records")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show
