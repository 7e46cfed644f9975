"""The webhook delivery worker: claims due messages with ``FOR UPDATE SKIP LOCKED``, posts them, records each try.

A claim is a lease: in one short transaction the worker takes due deliveries no other transaction holds, counts
the attempt and moves ``next_attempt_at`` past the lease, then commits and posts. Another worker or replica
skips the locked rows and, after the commit, sees them not due: one attempt goes out once. A worker that dies
mid-post leaves the lease to run out, and the message is tried again with the same webhook-id (at least once).

Outcomes: 2xx delivered; 410 Gone disables the endpoint; anything else (another status, a timeout, a refused
connection, an address the SSRF guard refuses) is retried on ``RETRY_SCHEDULE`` with ±20 % jitter — about 27
hours in all — or after the receiver's ``Retry-After`` when it sends one. An endpoint failing every attempt for
``CSHUB_WEBHOOK_DISABLE_AFTER_HOURS`` is disabled. Disabling appends ``webhook.endpoint_disabled``.
"""

import asyncio
import datetime as dt
import email.utils
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.background import BackgroundTask
from service.events import messages
from service.events.outbox import append_event
from service.events.queries import EventRow, events_by_ids
from service.events.ssrf import AddressPolicy, RefusedDestination, Resolver, guarded_transport, resolve
from service.events.tables import webhook_attempts, webhook_deliveries, webhook_endpoints
from service.settings import Settings

logger = logging.getLogger("cshub.webhooks")

# The Standard Webhooks suggestion: after the first try, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
RETRY_SCHEDULE = tuple(dt.timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600))
MAX_RETRY_AFTER = dt.timedelta(hours=24)
MAX_ERROR = 500
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    timeout_seconds: float = 15
    lease: dt.timedelta = dt.timedelta(seconds=60)  # longer than a post can take
    batch: int = 8
    disable_after: dt.timedelta = dt.timedelta(hours=72)
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    resolver: Resolver = resolve  # how the guard resolves a host at each attempt (tests answer for made-up names)
    schedule: tuple[dt.timedelta, ...] = RETRY_SCHEDULE


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: uuid.UUID
    attempt: int
    endpoint_id: uuid.UUID
    url: str
    secrets: list[str]
    event: EventRow


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None
    latency_ms: int
    error: str | None = None
    retry_after: dt.timedelta | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


_CLAIM = sa.text("""
WITH due AS (
  SELECT d.id FROM webhook_deliveries AS d
  JOIN webhook_endpoints AS w ON w.id = d.endpoint_id AND w.enabled
  WHERE d.status = 'pending' AND d.next_attempt_at <= :now
  ORDER BY d.next_attempt_at, d.created_at, d.id
  LIMIT :limit
  FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries AS d
SET attempts = d.attempts + 1, next_attempt_at = CAST(:now AS timestamptz) + CAST(:lease AS interval),
    last_attempt_at = :now
FROM due WHERE d.id = due.id
RETURNING d.id, d.attempts, d.endpoint_id, d.event_id
""")


async def claim_due(conn: AsyncConnection, now: dt.datetime, config: DeliveryConfig) -> list[Claimed]:
    claimed = (await conn.execute(_CLAIM, {"now": now, "limit": config.batch, "lease": config.lease})).all()
    if not claimed:
        return []
    w = webhook_endpoints.c
    endpoints = {
        row.id: row
        for row in await conn.execute(
            sa.select(w.id, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at).where(
                w.id.in_({row.endpoint_id for row in claimed})
            )
        )
    }
    found = await events_by_ids(conn, [row.event_id for row in claimed])
    result = []
    for row in sorted(claimed, key=lambda row: found[row.event_id].sequence):
        endpoint = endpoints[row.endpoint_id]
        secrets = [endpoint.secret]
        if endpoint.previous_secret is not None and (endpoint.previous_secret_expires_at or now) > now:
            secrets.append(endpoint.previous_secret)
        result.append(Claimed(row.id, row.attempts, row.endpoint_id, endpoint.url, secrets, found[row.event_id]))
    return result


def _retry_after(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    """``Retry-After`` in seconds or as an HTTP date (RFC 9110 §10.2.3), within a day; None otherwise."""
    if not value:
        return None
    try:
        wait = dt.timedelta(seconds=int(value.strip()))
    except ValueError:
        try:
            wait = email.utils.parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(wait, dt.timedelta(0)), MAX_RETRY_AFTER)


async def post(client: httpx.AsyncClient, claimed: Claimed, config: DeliveryConfig) -> Outcome:
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    payload = messages.body(claimed.event)
    msg_id = messages.message_id(claimed.delivery_id)
    headers = messages.headers(claimed.secrets, msg_id, int(time.time()), payload)
    try:
        response = await client.post(claimed.url, content=payload, headers=headers, timeout=config.timeout_seconds)
    except httpx.TimeoutException:
        return Outcome(None, elapsed(), f"no answer within {config.timeout_seconds:g} s")
    except httpx.HTTPError as exc:  # the SSRF guard's refusal (the client's network backend) says why in full
        error = str(exc) if isinstance(exc.__cause__, RefusedDestination) else f"{type(exc).__name__}: {exc}"
        return Outcome(None, elapsed(), error[:MAX_ERROR])
    latency = elapsed()
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, latency)
    retry_after = _retry_after(response.headers.get("retry-after"), utc_now())
    return Outcome(response.status_code, latency, f"answered {response.status_code}", retry_after)


async def _disable(conn: AsyncConnection, endpoint_id: uuid.UUID, reason: str, now: dt.datetime) -> None:
    """Disable the endpoint (once: the event is appended by whoever disables it)."""
    w = webhook_endpoints.c
    disabled = (
        await conn.execute(
            sa.update(webhook_endpoints)
            .where(w.id == endpoint_id, w.enabled)
            .values(enabled=False, disabled_reason=reason, updated_at=now)
            .returning(w.url)
        )
    ).scalar_one_or_none()
    if disabled is not None:
        logger.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
        payload = {"endpointId": endpoint_id, "url": disabled, "reason": reason}
        await append_event(conn, "webhook.endpoint_disabled", payload, account_id=None, subject_id=endpoint_id)


def next_try(attempt: int, outcome: Outcome, schedule: tuple[dt.timedelta, ...]) -> dt.timedelta | None:
    """How long until the next try after failed ``attempt`` (1-based); None when the schedule is spent."""
    if attempt > len(schedule):
        return None
    if outcome.retry_after is not None:
        return outcome.retry_after
    return schedule[attempt - 1] * random.uniform(0.8, 1.2)


async def record(
    conn: AsyncConnection, claimed: Claimed, outcome: Outcome, now: dt.datetime, config: DeliveryConfig
) -> None:
    """The attempt's row, the delivery's new state and the endpoint's health, in one transaction."""
    d, w = webhook_deliveries.c, webhook_endpoints.c
    await conn.execute(
        sa.insert(webhook_attempts).values(
            delivery_id=claimed.delivery_id,
            attempt=claimed.attempt,
            attempted_at=now,
            response_status=outcome.status,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
        )
    )
    values: dict[str, object] = {"response_status": outcome.status, "latency_ms": outcome.latency_ms}
    if outcome.delivered:
        values |= {"status": "delivered", "delivered_at": now, "last_error": None}
        await conn.execute(sa.update(webhook_endpoints).where(w.id == claimed.endpoint_id).values(failing_since=None))
    else:
        wait = None if outcome.status == 410 else next_try(claimed.attempt, outcome, config.schedule)
        values |= {"last_error": outcome.error}
        values |= {"status": "failed"} if wait is None else {"next_attempt_at": now + wait}
        failing_since = (
            await conn.execute(
                sa.update(webhook_endpoints)
                .where(w.id == claimed.endpoint_id)
                .values(failing_since=sa.func.coalesce(w.failing_since, now))
                .returning(w.failing_since)
            )
        ).scalar_one_or_none()
        if outcome.status == 410:
            await _disable(conn, claimed.endpoint_id, "the receiver answered 410 Gone", now)
        elif failing_since is not None and now - failing_since >= config.disable_after:
            hours = config.disable_after.total_seconds() / 3600
            await _disable(conn, claimed.endpoint_id, f"every attempt failed for {hours:g} hours", now)
    # Only the claim that counted this attempt records it (a lease that ran out was claimed again meanwhile).
    await conn.execute(
        sa.update(webhook_deliveries).where(d.id == claimed.delivery_id, d.attempts == claimed.attempt).values(**values)
    )


class DeliveryWorker:
    """One process's delivery loop (started by the app's lifespan unless ``CSHUB_WEBHOOKS_DELIVER=false``)."""

    def __init__(
        self,
        engine: AsyncEngine,
        config: DeliveryConfig,
        *,
        poll_seconds: float = 1,
        clock: Clock = utc_now,
    ) -> None:
        self.engine = engine
        self.config = config
        self.poll_seconds = poll_seconds
        self.clock = clock
        # Every connection goes through the SSRF guard (service.events.ssrf.GuardedBackend), to a checked address.
        transport = guarded_transport(config.policy, config.resolver)
        self.client = httpx.AsyncClient(follow_redirects=False, transport=transport, trust_env=False)
        self._background = BackgroundTask("cshub-webhook-delivery")

    async def run_once(self) -> int:
        """Claim what is due and deliver it; how many attempts were made."""
        async with self.engine.begin() as conn:
            claimed = await claim_due(conn, self.clock(), self.config)
        if not claimed:
            return 0

        async def attempt(one: Claimed) -> None:
            try:
                outcome = await post(self.client, one, self.config)
                async with self.engine.begin() as conn:
                    await record(conn, one, outcome, self.clock(), self.config)
            except Exception:  # the lease runs out and the message is tried again
                logger.exception("webhook delivery %s: attempt %s not recorded", one.delivery_id, one.attempt)

        await asyncio.gather(*(attempt(one) for one in claimed))
        return len(claimed)

    async def _loop(self) -> None:
        while True:
            try:
                if await self.run_once():
                    continue
            except Exception:
                logger.exception("webhook delivery round failed; trying again")
            await asyncio.sleep(self.poll_seconds)

    def start(self) -> None:
        self._background.start(self._loop)

    async def stop(self) -> None:
        await self._background.stop()
        await self.client.aclose()


def delivery_worker(engine: AsyncEngine, settings: Settings) -> DeliveryWorker | None:
    """The worker the app's lifespan starts, configured from settings; None when this process does not deliver."""
    if not settings.webhooks_deliver:
        return None
    config = DeliveryConfig(
        timeout_seconds=settings.webhook_timeout_seconds,
        lease=dt.timedelta(seconds=settings.webhook_timeout_seconds * 2 + 30),
        batch=settings.webhook_concurrency,
        disable_after=dt.timedelta(hours=settings.webhook_disable_after_hours),
        policy=AddressPolicy(settings.webhook_allow_loopback, settings.webhook_allow_private_networks),
    )
    return DeliveryWorker(engine, config, poll_seconds=settings.webhook_poll_seconds)
