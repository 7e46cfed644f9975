"""Overrides of computed health scores: a CSM's judgement with a reason and an expiry, kept beside the score.

An override applies from its creation until it expires or is lifted, whichever comes first; the computed
score keeps being computed and stored underneath. The newest applicable override of an account and score
name is the one that counts.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.db.rows import row_into, uuid_array
from service.errors import Conflict, InvalidInput, NotFound
from service.events import emit
from service.health_scores.tables import health_overrides

MAX_DAYS = 366
MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class OverrideRow:
    id: uuid.UUID
    account_id: uuid.UUID
    score_name: str
    score: Decimal
    reason: str
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    lifted_at: dt.datetime | None
    lifted_by: str | None


_COLUMNS = tuple(health_overrides.c[name] for name in OverrideRow.__slots__)


def _applies(now: dt.datetime | sa.ColumnElement[dt.datetime]) -> list[sa.ColumnElement[bool]]:
    o = health_overrides.c
    return [o.created_at <= now, o.expires_at > now, sa.or_(o.lifted_at.is_(None), o.lifted_at > now)]


def applying_overrides(now: dt.datetime | sa.ColumnElement[dt.datetime]) -> sa.Select[Any]:
    """The override applying at ``now`` to each account's score of each name (the newest one that applies);
    the resolvers narrow it to their accounts and name, the compiled read path to its score row."""
    o = health_overrides.c
    return (
        sa.select(*_COLUMNS)
        .ext(distinct_on(o.account_id, o.score_name))
        .where(*_applies(now))
        .order_by(o.account_id, o.score_name, o.created_at.desc())
    )


async def active_overrides(
    conn: AsyncConnection, account_ids: Sequence[uuid.UUID], request: tuple[str, dt.datetime]
) -> dict[uuid.UUID, OverrideRow]:
    """The override applying at ``now`` to each account's score named ``name``, if any."""
    name, now = request
    o = health_overrides.c
    query = applying_overrides(now).where(o.account_id == sa.any_(uuid_array(account_ids)), o.score_name == name)
    return {row.account_id: row_into(OverrideRow, row) for row in await conn.execute(query)}


def _check(score: Decimal, reason: str, expires_at: dt.datetime, now: dt.datetime) -> None:
    if not Decimal(0) <= score <= Decimal(100):
        raise InvalidInput(f"score: 0 to 100, got {score}")
    if not reason.strip():
        raise InvalidInput("reason: say why the computed score is wrong (it is shown beside the override)")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters")
    if expires_at.tzinfo is None:
        raise InvalidInput("expiresAt: give a time zone (e.g. 2026-12-31T00:00:00Z)")
    if expires_at <= now:
        raise InvalidInput(f"expiresAt: must be in the future (now is {now:%Y-%m-%dT%H:%M:%SZ})")
    if expires_at > now + dt.timedelta(days=MAX_DAYS):
        raise InvalidInput(f"expiresAt: at most {MAX_DAYS} days ahead; overrides are temporary")


async def override_score(
    conn: AsyncConnection,
    *,
    account_id: uuid.UUID,
    name: str,
    score: Decimal,
    reason: str,
    expires_at: dt.datetime,
    by: str,
    now: dt.datetime,
) -> OverrideRow:
    _check(score, reason, expires_at, now)
    exists = (await conn.execute(sa.select(sa.exists().where(accounts.c.id == account_id)))).scalar_one()
    if not exists:
        raise NotFound(f"no account {account_id}")
    values: dict[str, Any] = {
        "account_id": account_id,
        "score_name": name,
        "score": score,
        "reason": reason.strip(),
        "created_by": by,
        "created_at": now,
        "expires_at": expires_at,
    }
    result = await conn.execute(sa.insert(health_overrides).values(**values).returning(*_COLUMNS))
    row = row_into(OverrideRow, result.one())
    await emit.override_set(
        conn, override_id=row.id, account_id=account_id, score_name=name, score=row.score, reason=row.reason,
        expires_at=expires_at, actor=by, at=now,
    )  # fmt: skip
    return row


async def lift_override(conn: AsyncConnection, override_id: uuid.UUID, *, by: str, now: dt.datetime) -> OverrideRow:
    """End an override now; lifting one that no longer applies is a Conflict naming why."""
    o = health_overrides.c
    found = (await conn.execute(sa.select(*_COLUMNS).where(o.id == override_id).with_for_update())).one_or_none()
    if found is None:
        raise NotFound(f"no health override {override_id}")
    row = row_into(OverrideRow, found)
    if row.lifted_at is not None:
        raise Conflict(f"the override was already lifted at {row.lifted_at:%Y-%m-%dT%H:%M:%SZ} by {row.lifted_by}")
    if row.expires_at <= now:
        raise Conflict(f"the override already expired at {row.expires_at:%Y-%m-%dT%H:%M:%SZ}")
    result = await conn.execute(
        sa.update(health_overrides).where(o.id == override_id).values(lifted_at=now, lifted_by=by).returning(*_COLUMNS)
    )
    await emit.override_lifted(
        conn, override_id=row.id, account_id=row.account_id, score_name=row.score_name, actor=by, at=now
    )
    return row_into(OverrideRow, result.one())
