"""Benchmark: events out of a real ``cshub serve`` — webhooks from commit to delivery, and subscription fan-out.

Starts one real ``cshub serve`` process (delivering webhooks, loopback allowed) on a scratch database, and a
webhook receiver (uvicorn, in this process) that answers 200 and notes when each message arrives. Events are
appended with the service's own ``append_event``, one per transaction, and the time each commit returns is
noted (the receiver and the producers share this process's clock):

1. burst: ``--events`` events committed as fast as ``--producers`` connections can; delivered events/s is the
   count over the time from the first commit to the last arrival (queueing included);
2. latency: ``--latency-events`` events at ``--rate`` per second, so the worker is not behind; p50/p99 of
   commit → arrival. The worker polls every ``--poll-seconds`` when idle, which bounds this from below.
3. fan-out: ``--subscribers`` graphql-transport-ws clients (the ``websockets`` package) subscribed to
   ``timelineAdded``; ``--fanout-events`` events ``--fanout-interval`` apart; p50/p99 of commit → receipt over
   every (event, subscriber) pair, and of the slowest subscriber per event (LISTEN/NOTIFY, the outbox read, the
   fan-out to 100 queues, serialisation and 100 WebSocket writes).

Every message is checked after the clock stops: each event delivered once, signed as the Standard Webhooks
library (``standardwebhooks``) verifies; each subscriber received every event once.
Uses BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test); the scratch database is dropped.
Usage: .venv/bin/python -m bench.events [--events N] [--producers P] [--latency-events L] [--rate R]
       [--subscribers S] [--fanout-events F] [--fanout-interval SECONDS] [--poll-seconds SECONDS]
       [--concurrency C] [--smoke]
"""

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from standardwebhooks import Webhook
from websockets.asyncio.client import ClientConnection, connect

from bench.cli import add_smoke_option, apply_smoke, server_url
from bench.graphql_360.server import create_api_key
from service.api_keys.roles import Role
from service.events import service as webhooks
from service.events.outbox import append_event
from service.events.ssrf import AddressPolicy
from tests.databases import scratch_database
from tests.serve_process import cshub_env, free_port, serving

SMOKE = {
    "events": 40,
    "producers": 2,
    "latency_events": 10,
    "rate": 20.0,
    "subscribers": 5,
    "fanout_events": 5,
    "fanout_interval": 0.05,
}
WAIT_SECONDS = 120  # for deliveries or subscription items that have not arrived, before the bench gives up
SUBSCRIPTION = "subscription { timelineAdded { eventId } }"
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Arrivals:
    """What the receiver got: every request (headers, body) and the first arrival time per event id."""

    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    first: dict[str, float] = field(default_factory=dict)  # eventId → perf_counter at arrival
    changed: asyncio.Event = field(default_factory=asyncio.Event)


def receiver_app(arrivals: Arrivals) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: nothing to start
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        arrived = time.perf_counter()
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        arrivals.requests.append((headers, body))
        arrivals.first.setdefault(json.loads(body)["data"]["eventId"], arrived)
        arrivals.changed.set()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    return app


def goal_change(index: int) -> dict[str, Any]:
    return {"goalId": uuid.uuid4(), "fromStatus": "on_track", "toStatus": "at_risk", "achievedOn": None,
            "note": f"bench {index}"}  # fmt: skip


def timeline_entry(index: int) -> dict[str, Any]:
    return {"timelineEntryId": uuid.uuid4(), "kind": "note", "entryOccurredAt": "2026-03-01T10:00:00+00:00",
            "summary": f"bench {index}", "entryActor": None, "source": "bench"}  # fmt: skip


async def commit_event(engine: AsyncEngine, event_type: str, payload: dict[str, Any]) -> tuple[str, float]:
    """Append one event in its own transaction; its id and when the commit returned."""
    async with engine.begin() as conn:
        event_id = await append_event(conn, event_type, payload, account_id=None)
    return str(event_id), time.perf_counter()


async def until(check: Callable[[], bool], changed: asyncio.Event, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {what} did not happen within {WAIT_SECONDS} s")
        changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), 1)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc); None elsewhere. On a shared machine wall times
    grow with everybody's load, the CPU a delivery costs the server much less."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass(frozen=True, slots=True)
class Plan:
    events: int
    producers: int
    latency_events: int
    rate: float
    subscribers: int
    fanout_events: int
    fanout_interval: float
    poll_seconds: float
    concurrency: int


@dataclass
class Figures:
    committed_per_second: float = 0
    delivered_per_second: float = 0
    burst_latencies: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    fanout_all: list[float] = field(default_factory=list)
    fanout_slowest: list[float] = field(default_factory=list)
    cpu_per_delivery: float | None = None  # the server's CPU seconds per webhook delivered (burst)
    cpu_per_fanout: float | None = None  # the server's CPU seconds per event sent to every subscriber
    pg_version: str = ""


async def burst(engine: AsyncEngine, arrivals: Arrivals, plan: Plan, figures: Figures) -> dict[str, float]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(plan.events):
        queue.put_nowait(index)
    committed: dict[str, float] = {}

    async def producer() -> None:
        while True:
            try:
                index = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            event_id, at = await commit_event(engine, "goal.status_changed", goal_change(index))
            committed[event_id] = at

    started = time.perf_counter()
    await asyncio.gather(*(producer() for _ in range(plan.producers)))
    figures.committed_per_second = plan.events / (time.perf_counter() - started)
    await until(lambda: committed.keys() <= arrivals.first.keys(), arrivals.changed, "the burst's deliveries")
    first_commit = min(committed.values())
    last_arrival = max(arrivals.first[event_id] for event_id in committed)
    figures.delivered_per_second = plan.events / (last_arrival - first_commit)
    figures.burst_latencies = [arrivals.first[event_id] - at for event_id, at in committed.items()]
    return committed


async def steady(engine: AsyncEngine, arrivals: Arrivals, plan: Plan, figures: Figures) -> dict[str, float]:
    committed: dict[str, float] = {}
    start = time.perf_counter()
    for index in range(plan.latency_events):
        await asyncio.sleep(max(0.0, start + index / plan.rate - time.perf_counter()))
        event_id, at = await commit_event(engine, "goal.status_changed", goal_change(plan.events + index))
        committed[event_id] = at
    await until(lambda: committed.keys() <= arrivals.first.keys(), arrivals.changed, "the steady deliveries")
    figures.latencies = [arrivals.first[event_id] - at for event_id, at in committed.items()]
    return committed


async def subscriber(ws_url: str, key: str, expected: int, received: dict[str, float], ready: asyncio.Event) -> None:
    async with connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=60) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if ack.get("type") != "connection_ack":
            raise SystemExit(f"bench: subscription connection refused: {ack}")
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
        ready.set()
        await _receive(ws, expected, received)


async def _receive(ws: ClientConnection, expected: int, received: dict[str, float]) -> None:
    while len(received) < expected:
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT_SECONDS))
        if message.get("type") != "next" or "errors" in message["payload"]:
            raise SystemExit(f"bench: a subscriber got {message}")
        event_id = message["payload"]["data"]["timelineAdded"]["eventId"]
        if event_id in received:
            raise SystemExit(f"bench: a subscriber got event {event_id} twice")
        received[event_id] = time.perf_counter()


async def fan_out(engine: AsyncEngine, ws_url: str, key: str, plan: Plan, figures: Figures) -> None:
    inboxes: list[dict[str, float]] = [{} for _ in range(plan.subscribers)]
    ready = [asyncio.Event() for _ in range(plan.subscribers)]
    clients = [
        asyncio.create_task(subscriber(ws_url, key, plan.fanout_events, inbox, flag))
        for inbox, flag in zip(inboxes, ready, strict=True)
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*(flag.wait() for flag in ready)), WAIT_SECONDS)
        await asyncio.sleep(0.5)  # the last `subscribe` messages reach the server and register with its hub
        committed: dict[str, float] = {}
        for index in range(plan.fanout_events):
            event_id, at = await commit_event(engine, "timeline.entry_added", timeline_entry(index))
            committed[event_id] = at
            await asyncio.sleep(plan.fanout_interval)
        await asyncio.wait_for(asyncio.gather(*clients), WAIT_SECONDS)
    finally:
        for client in clients:
            client.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
    for inbox in inboxes:
        if inbox.keys() != committed.keys():
            raise SystemExit("bench: a subscriber did not receive exactly the events committed")
    for event_id, at in committed.items():
        delays = [inbox[event_id] - at for inbox in inboxes]
        figures.fanout_all.extend(delays)
        figures.fanout_slowest.append(max(delays))


def check_deliveries(arrivals: Arrivals, secret: str, committed: dict[str, float]) -> None:
    """Each committed event delivered once, every message verified by the Standard Webhooks library."""
    verifier = Webhook(secret)
    ids = [headers["webhook-id"] for headers, _ in arrivals.requests]
    if len(ids) != len(set(ids)) or len(ids) != len(committed):
        raise SystemExit(f"bench: {len(ids)} deliveries ({len(set(ids))} ids) for {len(committed)} events")
    for headers, body in arrivals.requests:
        verifier.verify(body, headers)


async def measure(url: str, workdir: Path, plan: Plan) -> Figures:
    figures = Figures()
    arrivals = Arrivals()
    port = free_port()
    receiving = uvicorn.Server(
        uvicorn.Config(receiver_app(arrivals), host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    receiver_task = asyncio.create_task(receiving.serve())
    engine = create_async_engine(url, pool_size=plan.producers + 2)
    try:
        while not receiving.started:
            if receiver_task.done():
                receiver_task.result()
            await asyncio.sleep(0.02)
        async with engine.begin() as conn:
            figures.pg_version = str((await conn.exec_driver_sql("SHOW server_version")).scalar_one())
            endpoint = webhooks.NewEndpoint(f"http://127.0.0.1:{port}/hooks", ["goal.*"])
            created = await webhooks.create_endpoint(conn, endpoint, by="bench", policy=AddressPolicy(True))
        key = await create_api_key(url, Role.CSM, "bench")
        env = cshub_env(
            CSHUB_DATABASE_URL=url,
            CSHUB_DATA_DIR=str(workdir / "data"),
            CSHUB_MIGRATE_ON_START="false",
            CSHUB_WEBHOOK_ALLOW_LOOPBACK="true",
            CSHUB_WEBHOOK_POLL_SECONDS=str(plan.poll_seconds),
            CSHUB_WEBHOOK_CONCURRENCY=str(plan.concurrency),
            CSHUB_HEALTH_RECOMPUTE_INTERVAL_SECONDS="0",
            CSHUB_CLOCK_SWEEP="false",  # only the bench's own events
            CSHUB_HEALTH_RECOMPUTE_AFTER_INGEST_SECONDS="0",
            CSHUB_SUBSCRIPTION_CONNECTIONS_PER_KEY=str(max(10, plan.subscribers)),
        )
        with serving("--no-migrate", env=env, workdir=workdir) as server:
            ws_url = server.base_url.replace("http://", "ws://") + "/graphql"
            await commit_event(engine, "goal.status_changed", goal_change(-1))  # warm-up: pools on both sides
            await until(lambda: len(arrivals.first) == 1, arrivals.changed, "the warm-up delivery")
            committed = {next(iter(arrivals.first)): 0.0}
            pid = server.process.pid
            before = cpu_seconds(pid)
            committed |= await burst(engine, arrivals, plan, figures)
            after = cpu_seconds(pid)
            if before is not None and after is not None:
                figures.cpu_per_delivery = (after - before) / plan.events
            committed |= await steady(engine, arrivals, plan, figures)
            before = cpu_seconds(pid)
            await fan_out(engine, ws_url, key, plan, figures)
            after = cpu_seconds(pid)
            if before is not None and after is not None:  # connecting the subscribers included
                figures.cpu_per_fanout = (after - before) / plan.fanout_events
        check_deliveries(arrivals, created.secret, committed)
    finally:
        receiving.should_exit = True
        await receiver_task
        await engine.dispose()
    return figures


async def run(server: str, plan: Plan) -> None:
    failure: BaseException | None = None
    with tempfile.TemporaryDirectory(prefix="cshub-bench-") as tmp:
        async with scratch_database(server) as url:
            try:
                figures = await measure(url, Path(tmp), plan)
            except (Exception, SystemExit) as exc:  # leave the block normally so the scratch database is dropped
                failure = exc
    if failure is not None:
        raise failure

    def ms(samples: list[float]) -> str:
        return (
            f"p50 {percentile(samples, 0.5) * 1000:7.1f} ms   p99 {percentile(samples, 0.99) * 1000:7.1f} ms   "
            f"max {max(samples) * 1000:7.1f} ms   mean {statistics.fmean(samples) * 1000:7.1f} ms"
        )

    print(
        f"one cshub serve process; webhook poll {plan.poll_seconds:g} s, concurrency {plan.concurrency}; "
        f"python {platform.python_version()}, PostgreSQL {figures.pg_version}"
    )
    print(f"burst of {plan.events} events from {plan.producers} producers (one event per transaction):")
    print(f"  committed        {figures.committed_per_second:8.0f} events/s")
    print(f"  delivered        {figures.delivered_per_second:8.0f} events/s   (first commit → last webhook arrival)")
    print(f"  commit→delivery  {ms(figures.burst_latencies)}   (queueing included)")
    if figures.cpu_per_delivery is not None:
        print(f"  server CPU       {figures.cpu_per_delivery * 1000:8.2f} ms per delivered webhook (the burst)")
    print(f"steady {plan.latency_events} events at {plan.rate:g}/s:")
    print(f"  commit→delivery  {ms(figures.latencies)}")
    print(f"fan-out: {plan.subscribers} subscribers × {plan.fanout_events} events, {plan.fanout_interval:g} s apart:")
    print(f"  commit→received  {ms(figures.fanout_all)}   (every subscriber, every event)")
    print(f"  slowest of {plan.subscribers:<4}  {ms(figures.fanout_slowest)}   (the last subscriber, per event)")
    if figures.cpu_per_fanout is not None:
        print(
            f"  server CPU       {figures.cpu_per_fanout * 1000:8.2f} ms per event sent to all {plan.subscribers} "
            "(their connecting included)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.events", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="events of the burst (default 2000)")
    parser.add_argument("--producers", type=int, default=4, help="connections committing the burst (default 4)")
    parser.add_argument("--latency-events", type=int, default=300, help="events at a steady rate (default 300)")
    parser.add_argument("--rate", type=float, default=30, help="steady events per second (default 30)")
    parser.add_argument("--subscribers", type=int, default=100, help="subscription WebSockets (default 100)")
    parser.add_argument("--fanout-events", type=int, default=50, help="events sent to the subscribers (default 50)")
    parser.add_argument("--fanout-interval", type=float, default=0.1, help="seconds between them (default 0.1)")
    parser.add_argument(
        "--poll-seconds", type=float, default=0.1, help="CSHUB_WEBHOOK_POLL_SECONDS (default 0.1; the setting's is 1)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="CSHUB_WEBHOOK_CONCURRENCY (default 8)")
    add_smoke_option(parser, SMOKE)
    args = parser.parse_args(argv)
    apply_smoke(args, SMOKE)
    for name in ("events", "producers", "latency_events", "subscribers", "fanout_events", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.rate <= 0 or args.poll_seconds <= 0 or args.fanout_interval < 0:
        parser.error("--rate and --poll-seconds must be above 0, --fanout-interval at least 0")
    plan = Plan(
        args.events, args.producers, args.latency_events, args.rate, args.subscribers, args.fanout_events,
        args.fanout_interval, args.poll_seconds, args.concurrency,
    )  # fmt: skip
    asyncio.run(run(server_url(), plan))


if __name__ == "__main__":
    main()
