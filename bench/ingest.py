"""Benchmark: usage-event ingest through the real HTTP API next to a raw PostgreSQL COPY of the same rows.

Starts one real ``cshub serve`` process on a scratch database and, per repeat, sends N fresh usage events
in batches of 1000 (``--batch-size``) from C concurrent clients sharing one queue (real inserts) to the generic
route (``POST /v1/ingest/usage-events``) and re-sends those batches (replays, all ``unchanged``); sends the same
events as Segment ``batch`` bodies of track calls (``bench.ingest_segment``: fresh random-UUID message ids, same
batch size and clients) and re-sends those; then COPYs the same rows straight into ``usage_events`` in one
connection, twice: with sequential event ids like the generic route's, and with the Segment calls' random UUIDs
(which land all over the unique index, and cost the COPY too). The variants interleave (the two routes take turns
going first), so they see the same (growing) table and the same machine noise; prints median events/s per variant
and its ratio to the COPY of its own ids. COPY skips
validation, account resolution and the usage rollups, so it is a floor for the database's raw write cost, not a
rival path. Then the entities (``bench.ingest_entities``; ``--records 0`` skips them).
Uses BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test); the scratch database is dropped.
Usage: .venv/bin/python -m bench.ingest [--events N] [--records M] [--clients C] [--repeats R] [--workers W]
       [--batch-size B] [--smoke]
"""

import argparse
import asyncio
import datetime as dt
import json
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench import ingest_entities as entities
from bench import ingest_segment as segment
from bench.cli import add_smoke_option, apply_smoke, server_url
from bench.graphql_360.server import create_api_key
from bench.ingest_entities import ENTITIES
from bench.process_cpu import CpuMeter
from service.api_keys.roles import Role
from tests.databases import scratch_database
from tests.serve_process import cshub_env, serving

SOURCE = "product"
BATCH_SIZE = 1000  # the default, and the most the service takes in one request
# Two clients sending two batches each: the shared queue, new events, replays and COPY, in seconds.
SMOKE = {"events": 200, "records": 200, "clients": 2, "repeats": 1, "batch_size": 100}
ACCOUNTS = 50
USERS_PER_ACCOUNT = 20
EVENT_NAMES = (
    "login",
    "dashboard_view",
    "report_export",
    "search",
    "api_call",
    "invite_sent",
    "workflow_run",
    "file_upload",
)
ACCOUNT_IDS = "SELECT external_id, entity_id FROM source_links WHERE source = $1 AND object_type = 'account'"
HTTP_NEW, HTTP_REPLAY, COPY = "HTTP ingest (new events)", "HTTP ingest (replays)", "COPY"
SEGMENT_NEW, SEGMENT_REPLAY = "Segment batch (new events)", "Segment batch (replays)"
COPY_UUIDS = "COPY (Segment's ids)"
USAGE_VARIANTS = (HTTP_NEW, HTTP_REPLAY, SEGMENT_NEW, SEGMENT_REPLAY, COPY, COPY_UUIDS)
# Each route's rate is set against a COPY of the rows it stores: the same event ids' shape.
BASELINE = {HTTP_NEW: COPY, HTTP_REPLAY: COPY, SEGMENT_NEW: COPY_UUIDS, SEGMENT_REPLAY: COPY_UUIDS}
TRACK = b'"type": "track"'  # one per track call in a Segment body
SEGMENT_STORED = "SELECT count(*) FROM usage_events WHERE source = 'segment'"
ENTITY_NEW, ENTITY_UPDATED, COPY_LINKED = "HTTP new", "HTTP updated", "COPY+links"
COPY_COLUMNS = ("account_id", "source", "source_event_id", "user_ref", "event_name", "occurred_at", "value")


@dataclass(frozen=True, slots=True)
class Event:
    account: int
    user: int
    event: str
    occurred_at: dt.datetime
    value: Decimal | None


def make_events(count: int, rng: random.Random, now: dt.datetime) -> list[Event]:
    """Events across ACCOUNTS accounts, USERS_PER_ACCOUNT users each, spread over the last 30 days."""
    window = 30 * 24 * 3600
    return [
        Event(
            account=rng.randrange(ACCOUNTS),
            user=rng.randrange(USERS_PER_ACCOUNT),
            event=rng.choice(EVENT_NAMES),
            occurred_at=(now - dt.timedelta(seconds=rng.randrange(window))).replace(microsecond=0),
            value=Decimal(rng.randrange(1, 100_000)) / 100 if rng.random() < 0.25 else None,
        )
        for _ in range(count)
    ]


def http_batches(events: list[Event], prefix: str, batch_size: int) -> list[bytes]:
    """The events as ready-to-send JSON bodies (encoded before timing), ``batch_size`` records each."""
    records = [
        {
            "event_id": f"{prefix}-{i:08d}",
            "account_external_id": f"acct-{e.account:04d}",
            "user_id": f"user-{e.account:04d}-{e.user:03d}",
            "event": e.event,
            "occurred_at": e.occurred_at.isoformat(),
            "value": None if e.value is None else str(e.value),
        }
        for i, e in enumerate(events)
    ]
    return [
        json.dumps({"source": SOURCE, "records": records[start : start + batch_size]}).encode()
        for start in range(0, len(records), batch_size)
    ]


async def post_all(
    base_url: str, path: str, headers: dict[str, str], bodies: list[bytes], clients: int
) -> tuple[float, list[tuple[bytes, int, bytes]]]:
    """POST every body to ``path`` from ``clients`` concurrent clients sharing one queue; return wall seconds and
    each (body, status, answer)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    answers: list[tuple[bytes, int, bytes]] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=300) as http:
            while True:
                try:
                    body = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                response = await http.post(path, content=body)
                answers.append((body, response.status_code, response.content))

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    if len(answers) != len(bodies):
        raise SystemExit(f"bench: {len(bodies)} batches sent, {len(answers)} answered")
    return elapsed, answers


async def send_all(
    base_url: str, key: str, bodies: list[bytes], clients: int, expect: str, entity: str = "usage-events"
) -> float:
    """POST every body to ``entity``'s ingest route (``post_all``); return wall seconds. Every answer must be 200
    with all records ``expect`` (checked after the clock stops)."""
    counted = b'"event_id"' if entity == "usage-events" else b'"external_id"'  # one per record
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    elapsed, answers = await post_all(base_url, f"/v1/ingest/{entity}", headers, bodies, clients)
    for body, status, content in answers:
        if status != 200:
            raise SystemExit(f"bench: ingest answered {status}: {content[:500]!r}")
        totals = json.loads(content)["totals"]
        if totals.get(expect) != body.count(counted):
            raise SystemExit(f"bench: expected all {body.count(counted)} records {expect}, got totals {totals}")
    return elapsed


async def send_segment(base_url: str, key: str, bodies: list[bytes], clients: int) -> float:
    """POST every body to Segment's batch route (``post_all``); return wall seconds. Every call must be taken."""
    elapsed, answers = await post_all(base_url, segment.PATH, segment.headers(key), bodies, clients)
    for _, status, content in answers:
        if (refused := segment.refusal(status, content)) is not None:
            raise SystemExit(f"bench: {refused}")
    return elapsed


async def segment_rate(
    base_url: str, key: str, meter: CpuMeter, variant: str, bodies: list[bytes], clients: int, new: int
) -> float:
    """Events/s of sending ``bodies`` of track calls; ``new`` of them must be stored afresh (Segment answers no
    per-call status: the table says what was written)."""
    count = sum(body.count(TRACK) for body in bodies)
    before = await meter.conn.fetchval(SEGMENT_STORED)
    async with meter.step(variant, count):
        seconds = await send_segment(base_url, key, bodies, clients)
    if (stored := await meter.conn.fetchval(SEGMENT_STORED) - before) != new:
        raise SystemExit(f"bench: the Segment batches stored {stored} new usage events, expected {new}")
    return count / seconds


async def send_accounts(base_url: str, key: str, body: bytes) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:
        response = await http.post("/v1/ingest/accounts", content=body)
    if response.status_code != 200 or response.json()["totals"]["created"] != ACCOUNTS:
        raise SystemExit(f"bench: account ingest answered {response.status_code}: {response.text[:500]}")


async def copy_rows(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> float:
    started = time.perf_counter()
    await conn.copy_records_to_table("usage_events", records=rows, columns=COPY_COLUMNS)
    return time.perf_counter() - started


async def generic_route(
    base_url: str, key: str, meter: CpuMeter, bodies: list[bytes], clients: int, rates: dict[str, list[float]]
) -> None:
    """New events, then the same batches again (replays), through ``POST /v1/ingest/usage-events``."""
    count = sum(body.count(b'"event_id"') for body in bodies)
    for variant, expect in ((HTTP_NEW, "created"), (HTTP_REPLAY, "unchanged")):
        async with meter.step(variant, count):
            seconds = await send_all(base_url, key, bodies, clients, expect)
        rates[variant].append(count / seconds)


async def segment_route(
    base_url: str, key: str, meter: CpuMeter, bodies: list[bytes], clients: int, rates: dict[str, list[float]]
) -> None:
    """The same through Segment's ``POST /segment/v1/batch``."""
    count = sum(body.count(TRACK) for body in bodies)
    rates[SEGMENT_NEW].append(await segment_rate(base_url, key, meter, SEGMENT_NEW, bodies, clients, count))
    rates[SEGMENT_REPLAY].append(await segment_rate(base_url, key, meter, SEGMENT_REPLAY, bodies, clients, 0))


@dataclass(frozen=True, slots=True)
class Measured:
    rates: dict[str, list[float]]
    cpu: CpuMeter
    max_concurrent: int
    pg_version: str


def entity_rate(entity: str, variant: str) -> str:
    return f"{entity}: {variant}"


def record_batches(records: list[dict[str, Any]], batch_size: int) -> list[bytes]:
    return [
        json.dumps({"source": SOURCE, "records": records[start : start + batch_size]}).encode()
        for start in range(0, len(records), batch_size)
    ]


async def measure_entities(
    base_url: str, key: str, meter: CpuMeter, plan: "Plan", rates: dict[str, list[float]]
) -> None:
    """Per repeat and entity: new records, the same records changed, and a COPY of as many rows."""
    for entity in ENTITIES:  # warm-up, not measured (it also creates the contracts' products)
        warm = entities.records(entity, "warm", plan.batch_size * plan.clients, 0, ACCOUNTS)
        await send_all(base_url, key, record_batches(warm, plan.batch_size), plan.clients, "created", entity)
    count = plan.records
    for repeat in range(plan.repeats):
        for entity in ENTITIES:
            for version, (variant, expect) in enumerate(((ENTITY_NEW, "created"), (ENTITY_UPDATED, "updated"))):
                made = entities.records(entity, f"r{repeat}", count, version, ACCOUNTS)
                bodies = record_batches(made, plan.batch_size)
                async with meter.step(entity_rate(entity, variant), count):
                    seconds = await send_all(base_url, key, bodies, plan.clients, expect, entity)
                rates.setdefault(entity_rate(entity, variant), []).append(count / seconds)
            for variant, links in ((COPY, False), (COPY_LINKED, True)):
                copied = entities.records(entity, f"{variant[:6].lower()}{repeat}", count, 0, ACCOUNTS)
                async with meter.step(entity_rate(entity, variant), count):
                    seconds = await entities.copy(meter.conn, entity, copied, links=links)
                rates.setdefault(entity_rate(entity, variant), []).append(count / seconds)


@dataclass(frozen=True, slots=True)
class Plan:
    events: int  # per repeat
    records: int  # of each entity, per repeat
    clients: int
    repeats: int
    workers: int
    batch_size: int


async def measure(url: str, workdir: Path, plan: Plan) -> Measured:
    event_count, clients, repeats, batch = plan.events, plan.clients, plan.repeats, plan.batch_size
    rng = random.Random(20240601)
    now = dt.datetime.now(dt.UTC)
    rates: dict[str, list[float]] = {name: [] for name in USAGE_VARIANTS}
    max_concurrent = max(8, clients)  # the per-process default is 8; more clients would get 429s
    env = cshub_env(
        CSHUB_DATABASE_URL=url,
        CSHUB_DATA_DIR=str(workdir / "data"),
        CSHUB_MIGRATE_ON_START="false",
        CSHUB_INGEST_MAX_CONCURRENT=str(max_concurrent),
        CSHUB_CLOCK_SWEEP="false",  # no sweep writing events while the bench writes
        # No health recompute 30 s after the first batches (nor hourly): it ran, unmeasured, beside whichever
        # entity's batches were being timed then.
        CSHUB_HEALTH_RECOMPUTE_AFTER_INGEST_SECONDS="0",
        CSHUB_HEALTH_RECOMPUTE_INTERVAL_SECONDS="0",
        # The bench sends more batches a minute than one source key may by default: it measures, it is not a tenant.
        CSHUB_RATE_LIMIT_INGEST_PER_MINUTE="0",
    )
    key = await create_api_key(url, Role.INGEST, "bench")
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        pg_version = str(await conn.fetchval("SHOW server_version"))
        with serving("--workers", str(plan.workers), env=env, workdir=workdir) as server:
            accounts = [{"external_id": f"acct-{i:04d}", "name": f"Bench Account {i:04d}"} for i in range(ACCOUNTS)]
            await send_accounts(server.base_url, key, json.dumps({"source": SOURCE, "records": accounts}).encode())
            await send_segment(server.base_url, key, [segment.group_batch(key, ACCOUNTS)], 1)
            account_ids = {row["external_id"]: row["entity_id"] for row in await conn.fetch(ACCOUNT_IDS, SOURCE)}
            meter = CpuMeter(server.process.pid, conn)
            # Warm-up: connections, pools and caches on both sides; not measured.
            warm_count = batch * clients
            warm = http_batches(make_events(warm_count, rng, now), "warm", batch)
            await send_all(server.base_url, key, warm, clients, "created")
            warm_ids = segment.message_ids(warm_count, rng)
            warm_tracks = segment.track_batches(make_events(warm_count, rng, now), warm_ids, key, batch, now)
            await segment_rate(server.base_url, key, meter, "warm-up", warm_tracks, clients, warm_count)
            for repeat in range(repeats):
                events = make_events(event_count, rng, now)
                bodies = http_batches(events, f"http-{repeat}", batch)
                ids = segment.message_ids(event_count, rng)
                tracks = segment.track_batches(events, ids, key, batch, dt.datetime.now(dt.UTC))

                routes = [
                    generic_route(server.base_url, key, meter, bodies, clients, rates),
                    segment_route(server.base_url, key, meter, tracks, clients, rates),
                ]
                for route in routes if repeat % 2 == 0 else routes[::-1]:  # each goes first every other repeat
                    await route
                sequential = [f"copy-{repeat}-{i:08d}" for i in range(event_count)]
                for variant, event_ids in ((COPY, sequential), (COPY_UUIDS, ids)):
                    rows = [
                        (
                            account_ids[f"acct-{e.account:04d}"],
                            SOURCE,
                            event_id,
                            f"user-{e.account:04d}-{e.user:03d}",
                            e.event,
                            e.occurred_at,
                            e.value,
                        )
                        for event_id, e in zip(event_ids, events, strict=True)
                    ]
                    async with meter.step(variant, event_count):
                        rates[variant].append(event_count / await copy_rows(conn, rows))
            if plan.records:
                await measure_entities(server.base_url, key, meter, plan, rates)
        stored = await conn.fetchval("SELECT count(*) FROM usage_events")
        expected = 2 * warm_count + 4 * event_count * repeats  # the generic route, Segment, two COPYs
        if stored != expected:
            raise SystemExit(f"bench: {stored} usage_events stored, expected {expected}")
    finally:
        await conn.close()
    return Measured(rates, meter, max_concurrent, pg_version)


async def run(server_url: str, plan: Plan) -> None:
    failure: BaseException | None = None
    with tempfile.TemporaryDirectory(prefix="cshub-bench-") as tmp:
        async with scratch_database(server_url) as url:
            try:
                measured = await measure(url, Path(tmp), plan)
            except (Exception, SystemExit) as exc:  # leave the block normally so the scratch database is dropped
                failure = exc
    if failure is not None:
        raise failure

    def ratio(name: str) -> float:  # each repeat runs both routes and both COPYs one after the other
        return paired_median(measured.rates[name], measured.rates[BASELINE.get(name, name)])

    print(
        f"events per repeat: {plan.events}, batch size: {plan.batch_size}, clients: {plan.clients}, "
        f"workers: {plan.workers}, repeats: {plan.repeats}, accounts: {ACCOUNTS}, "
        f"ingest_max_concurrent: {measured.max_concurrent}"
    )
    print(f"python {platform.python_version()}, PostgreSQL {measured.pg_version}")
    cpu = measured.cpu
    print(f"{'':26} {'median':>9} {'events/s':>21} {'of COPY':>8}   CPU ms / 1000 events: server database client")
    print(f"{'':58}(of the COPY of its own ids)")
    for name in USAGE_VARIANTS:
        samples = measured.rates[name]
        median = statistics.median(samples)
        spread = f"{min(samples):9.0f} .. {max(samples):9.0f}"
        server, database, client = (
            statistics.median(samples[name]) for samples in (cpu.server, cpu.database, cpu.client)
        )
        used = f"{server:6.0f} {database:8.0f} {client:6.0f}"
        print(f"{name:26} {median:9.0f} ({spread}) {ratio(name):8.2f}   {used:>42}")
    segment_ratio = f"{SEGMENT_NEW} {ratio(SEGMENT_NEW):.2f} (of {COPY_UUIDS})"
    print(f"new events / COPY: {HTTP_NEW} {ratio(HTTP_NEW):.2f}, {segment_ratio}")
    print("caveat: COPY writes raw usage_events only; it skips validation, account resolution and the rollups")
    print("        (usage_daily, usage_daily_users, user_last_seen) that the HTTP path maintains per batch")
    if plan.records:
        print_entities(measured.rates, cpu, plan)


def paired_median(rates: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of each repeat's ratio of ``rates`` to ``baseline``: a slow spell of the machine that spans a
    repeat moves both sides of its ratio, not one side of the other repeats'."""
    return statistics.median(rate / base for rate, base in zip(rates, baseline, strict=True))


def print_entities(rates: dict[str, list[float]], cpu: CpuMeter, plan: "Plan") -> None:
    print(f"\nentities: {plan.records} records per entity and repeat, batches of {plan.batch_size}, median records/s")
    print("(a ratio: the median of each repeat's, whose four runs of an entity follow each other)")
    print(
        f"{'entity':10} {'HTTP new':>9} {'updated':>9} {'COPY':>9} {'COPY+links':>11}"
        f"   {'new/COPY':>8} {'upd/COPY':>8} {'new/COPY+links':>14} {'upd/COPY+links':>14}"
    )
    for entity in ENTITIES:
        new, updated, copied, linked = (
            rates[entity_rate(entity, variant)] for variant in (ENTITY_NEW, ENTITY_UPDATED, COPY, COPY_LINKED)
        )
        medians = " ".join(
            f"{statistics.median(runs):{width}.0f}"
            for runs, width in zip((new, updated, copied, linked), (9, 9, 9, 11), strict=True)
        )
        ratios = " ".join(
            f"{paired_median(http, baseline):{width}.2f}"
            for (http, baseline), width in zip(
                ((new, copied), (updated, copied), (new, linked), (updated, linked)), (8, 8, 14, 14), strict=True
            )
        )
        print(f"{entity:10} {medians}   {ratios}")
    print("\nCPU ms / 1000 records (server database bench), median:")
    print(f"{'entity':10} {'HTTP new':>17} {'updated':>17} {'COPY+links':>17}")
    for entity in ENTITIES:
        used = (
            " ".join(
                f"{statistics.median(samples[entity_rate(entity, variant)]):5.0f}"
                for samples in (cpu.server, cpu.database, cpu.client)
            )
            for variant in (ENTITY_NEW, ENTITY_UPDATED, COPY_LINKED)
        )
        print(f"{entity:10} " + " ".join(f"{column:>17}" for column in used))
    print("caveat: COPY writes the entity rows only (contracts: and their lines); COPY+links also the source link each")
    print("        record gets. HTTP also validates, resolves accounts, completes partial records, decides")
    print("        stale/unchanged, appends outbox events and answers per record, in one transaction per batch")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=40_000, help="events per repeat (default 40000)")
    parser.add_argument(
        "--records",
        type=int,
        default=10_000,
        help="records of each entity per repeat (default 10000; 0: usage events only)",
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (default 4)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats (default 3)")
    parser.add_argument("--workers", type=int, default=1, help="cshub serve worker processes (default 1)")
    parser.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, help=f"records per ingest request (default {BATCH_SIZE})"
    )
    add_smoke_option(parser, SMOKE)
    args = parser.parse_args(argv)
    apply_smoke(args, SMOKE)
    for name in ("events", "clients", "repeats", "workers", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.records < 0:
        parser.error("--records must be at least 0")
    if args.batch_size > BATCH_SIZE:
        parser.error(f"--batch-size must be at most {BATCH_SIZE} (the service's ingest_max_records)")
    asyncio.run(
        run(server_url(), Plan(args.events, args.records, args.clients, args.repeats, args.workers, args.batch_size))
    )


if __name__ == "__main__":
    main()
