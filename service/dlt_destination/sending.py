"""Sending a dlt table's rows to cshub: batches within the routes' limits, transient failures retried, and every
record the hub refused collected so the load job can fail naming them.

A batch is at most ``max_records`` rows and ``max_body_bytes`` of JSON (the ingest limits cshub publishes: 1,000
records, 5 MiB); one that is still too large for the hub (413: its limits were set lower) is halved and sent
again. A connection error, a 429 or a 5xx is retried with exponential backoff (at least the ``Retry-After`` the
hub asks for) — safe, as a batch is one transaction on the hub and a replay is a no-op (the generic route also
gets an ``Idempotency-Key`` of the load job and the batch, so a retried batch is answered as it was the first
time, while a later run's same rows are answered afresh: ``unchanged``). Any other refusal of a whole batch (401,
403, 400, 422…) is terminal: retrying would not change it.

A record the hub answers ``rejected`` does not stop the table: the other batches are still sent (the hub wrote
the good records of each), and the rejections are listed at the end, each naming the table, the row (its place
in the table's file and its id) and the reason in the vendor's field names.
"""

import hashlib
import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from service.dlt_destination.tables import Route, Row, encode

log = logging.getLogger("cshub.dlt")

_ITEM = re.compile(r"^([A-Za-z_]+)\[(\d+)\]")
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class Refused(Exception):
    """The hub refused a whole batch, or records in it: retrying cannot help."""


class Unavailable(Exception):
    """The hub could not be reached, or kept answering 429/5xx, after every retry: a later retry may succeed."""


@dataclass
class Report:
    """What one table's rows came to: counts by status, and the rejected rows described."""

    table: str
    sent: int = 0
    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)

    def count(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


@dataclass(frozen=True, slots=True)
class Limits:
    max_records: int = 1000
    max_body_bytes: int = 5 * 1024 * 1024
    retries: int = 5
    backoff_seconds: float = 0.5
    timeout_seconds: float = 60.0


class Hub:
    """An HTTP client of one cshub, authenticated by an ingest key."""

    def __init__(self, url: str, ingest_key: str, limits: Limits) -> None:
        self.limits = limits
        self.client = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {ingest_key}", "Content-Type": "application/json"},
            timeout=limits.timeout_seconds,
        )

    def __enter__(self) -> "Hub":
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()

    def post(self, path: str, body: bytes, idempotency_key: str | None) -> httpx.Response:
        """The hub's answer (200, or a refusal that retrying cannot help); ``Unavailable`` after the retries."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else {}
        problem, asked = "", 0.0
        for attempt in range(self.limits.retries + 1):
            if attempt:  # exponential backoff, at least what the hub asked for (Retry-After), at most a minute
                time.sleep(min(max(self.limits.backoff_seconds * 2 ** (attempt - 1), asked), 60.0))
            try:
                response = self.client.post(path, content=body, headers=headers)
            except httpx.TransportError as error:
                problem, asked = f"{type(error).__name__}: {error}", 0.0
                log.warning("cshub %s: %s (attempt %d)", path, problem, attempt + 1)
                continue
            if response.status_code not in RETRIED_STATUSES:
                return response
            problem, asked = f"{response.status_code} {_detail(response)}", _retry_after(response)
            log.warning("cshub %s: %s (attempt %d)", path, problem, attempt + 1)
        raise Unavailable(f"POST {path} failed {self.limits.retries + 1} times; last: {problem}")


def _retry_after(response: httpx.Response) -> float:
    try:
        return float(response.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, Mapping):
        return str(body.get("detail") or body.get("title") or body)[:500]
    return str(body)[:300]


def batches(rows: Iterable[Row], route: Route, max_records: int) -> Iterator[list[Row]]:
    """Rows in batches of at most ``max_records``; rows of one ``group_by`` value in the same batch."""
    if route.group_by is None:
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) == max_records:
                yield batch
                batch = []
        if batch:
            yield batch
        return
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.get(route.group_by), []).append(row)
    batch = []
    for group in groups.values():
        if batch and len(batch) + len(group) > max_records:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def send(hub: Hub, route: Route, table: str, rows: Iterable[Row], job: str) -> Report:
    """Send ``rows`` of ``table`` along ``route``; the report of what the hub answered. ``job`` names dlt's load
    job (its file): a batch sent again for the same job — a retry — is the same request to the hub."""
    report = Report(table)
    offset = 0
    for batch in batches(rows, route, hub.limits.max_records):
        _send_batch(hub, route, report, batch, offset, job)
        offset += len(batch)
    return report


def _send_batch(hub: Hub, route: Route, report: Report, rows: Sequence[Row], offset: int, job: str) -> None:
    body = encode(route.body(rows))
    splittable = len(rows) > 1 and route.group_by is None
    if len(body) > hub.limits.max_body_bytes and splittable:
        _halves(hub, route, report, rows, offset, job)
        return
    key = None
    if route.items is None:  # the generic route answers a retried request (same job, rows and body) as it did first
        key = "dlt-" + hashlib.sha256(f"{job}:{offset}:{len(rows)}:".encode() + body).hexdigest()[:40]
    response = hub.post(route.path, body, key)
    report.requests += 1
    if response.status_code == 413 and splittable:
        _halves(hub, route, report, rows, offset, job)
        return
    if response.status_code != 200:
        raise Refused(
            f"cshub refused {report.table} rows {offset}-{offset + len(rows) - 1} (POST {route.path}): "
            f"{response.status_code} {_detail(response)}"
        )
    report.sent += len(rows)
    _read_answer(response.json(), route, report, rows, offset)


def _halves(hub: Hub, route: Route, report: Report, rows: Sequence[Row], offset: int, job: str) -> None:
    middle = len(rows) // 2
    _send_batch(hub, route, report, rows[:middle], offset, job)
    _send_batch(hub, route, report, rows[middle:], offset + middle, job)


def _read_answer(answer: Any, route: Route, report: Report, rows: Sequence[Row], offset: int) -> None:
    for result in answer.get("results", []) if isinstance(answer, Mapping) else []:
        status = str(result.get("status"))
        report.count(status)
        if status == "skipped":
            log.info("cshub skipped %s %s: %s", report.table, result.get("item"), _reasons(result))
        if status != "rejected":
            continue
        index = _row_index(result, route)
        row = rows[index] if index is not None and index < len(rows) else None
        at = f"row {offset + index}" if index is not None else str(result.get("item"))
        row_id = row.get(route.id_field) if row is not None else result.get("id")
        named = f" ({route.id_field} {row_id})" if row_id is not None else ""
        report.rejected.append(f"{report.table} {at}{named}: {_reasons(result)}")


def _row_index(result: Mapping[str, Any], route: Route) -> int | None:
    if route.items is None:
        index = result.get("index")
        return index if isinstance(index, int) else None
    match = _ITEM.match(str(result.get("item", "")))  # records[3], results[0]; not a deal's line_items[2]
    return int(match.group(2)) if match and match.group(1) == route.items else None


def _reasons(result: Mapping[str, Any]) -> str:
    errors = result.get("errors") or []
    return "; ".join(f"{error.get('path')}: {error.get('message')}" for error in errors) or "no reason given"
