"""The `manual` measure's input: a CSM's own 0–100 judgement of an account, with a comment and maybe an expiry."""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.db.rows import row_into
from service.errors import InvalidInput, NotFound
from service.health_scores.tables import manual_scores

MAX_COMMENT = 2000
MAX_EXPIRY = dt.timedelta(days=3660)  # ten years: a judgement is revisited long before


@dataclass(frozen=True, slots=True)
class ManualScoreRow:
    id: uuid.UUID
    account_id: uuid.UUID
    score: Decimal
    comment: str
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime | None


_COLUMNS = tuple(manual_scores.c[name] for name in ManualScoreRow.__slots__)


async def set_manual_score(
    conn: AsyncConnection,
    *,
    account_id: uuid.UUID,
    score: Decimal,
    comment: str,
    expires_at: dt.datetime | None,
    by: str,
    now: dt.datetime,
) -> ManualScoreRow:
    """Record a manual score; the newest unexpired one is what the next recompute uses."""
    if not Decimal(0) <= score <= Decimal(100):
        raise InvalidInput(f"score: 0 to 100, got {score}")
    if not comment.strip() or len(comment) > MAX_COMMENT:
        raise InvalidInput(f"comment: 1 to {MAX_COMMENT} characters saying what the score is based on")
    if expires_at is not None and (expires_at.tzinfo is None or not now < expires_at <= now + MAX_EXPIRY):
        raise InvalidInput("expiresAt: a future time with a time zone, at most ten years ahead, or omit it")
    if not (await conn.execute(sa.select(sa.exists().where(accounts.c.id == account_id)))).scalar_one():
        raise NotFound(f"no account {account_id}")
    result = await conn.execute(
        sa.insert(manual_scores)
        .values(
            account_id=account_id,
            score=score,
            comment=comment.strip(),
            created_by=by,
            created_at=now,
            expires_at=expires_at,
        )
        .returning(*_COLUMNS)
    )
    return row_into(ManualScoreRow, result.one())
