"""Health-score operations the CLI and the API share: recompute (with the shipped default in place) and alerts."""

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from service.events.outbox import append_health_events
from service.health_scores.alert_rules import AlertThresholds, evaluate_alerts
from service.health_scores.compute import Recomputed, recompute
from service.health_scores.history import thin_history
from service.health_scores.scorecards import ensure_default
from service.settings import Settings


async def recompute_health(
    conn: AsyncConnection,
    now: dt.datetime | None = None,
    account_ids: Sequence[uuid.UUID] | None = None,
    thresholds: AlertThresholds | None = None,
    history_full_days: int = 0,
) -> Recomputed:
    """Score every account (or the given ones) as of ``now`` (default: the current time, UTC), then open the
    alerts the new scores call for, and thin their score history older than ``history_full_days`` (0: keep every
    score; ``service.health_scores.history``) — in the caller's transaction."""
    await ensure_default(conn)
    at = now or dt.datetime.now(dt.UTC)
    result = await recompute(conn, at, account_ids)
    opened = await evaluate_alerts(conn, at, thresholds or AlertThresholds(), account_ids)
    await append_health_events(conn, at, account_ids)  # health.band_changed, alert.opened
    thinned = await thin_history(conn, at, history_full_days, account_ids)
    return dataclasses.replace(result, alerts_opened=opened, history_thinned=thinned)


def thresholds_from(settings: Settings) -> AlertThresholds:
    return AlertThresholds(
        usage_drop_percent=settings.alert_usage_drop_percent,
        usage_drop_min_users=settings.alert_usage_drop_min_users,
        no_login_days=settings.alert_no_login_days,
        ticket_spike_min=settings.alert_ticket_spike_min,
        ticket_spike_factor=settings.alert_ticket_spike_factor,
        renewal_days=settings.alert_renewal_days,
    )
