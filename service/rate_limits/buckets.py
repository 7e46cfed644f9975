"""The token buckets in PostgreSQL: one atomic statement takes a token, so replicas share them without races.

The refill is computed from the time elapsed since the bucket's last change, inside the same
``INSERT … ON CONFLICT DO UPDATE`` that takes the token: the row lock orders concurrent requests of
one key, whichever process or replica they reach, and no read-modify-write window exists. A refused
request leaves the row alone (``DO UPDATE … WHERE`` is false), so hammering an empty bucket does not
push its refill further away.
"""

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from service.rate_limits.policy import Decision, RateLimit
from service.rate_limits.tables import rate_limit_buckets as buckets


def _take_token_statement() -> sa.CompoundSelect[tuple[float, bool, str]]:
    now = sa.func.statement_timestamp()
    burst = sa.bindparam("burst", type_=sa.Float)
    per_second = sa.bindparam("per_second", type_=sa.Float)
    caller_id = sa.bindparam("caller_id", type_=sa.Uuid)
    scope = sa.bindparam("scope", type_=sa.Text)
    elapsed = sa.cast(sa.func.greatest(0, sa.extract("epoch", now - buckets.c.refilled_at)), sa.Float)
    available = sa.func.least(burst, buckets.c.tokens + elapsed * per_second)
    taken = (
        insert(buckets)
        .values(caller_id=caller_id, scope=scope, tokens=burst - 1, refilled_at=now)
        .on_conflict_do_update(
            index_elements=[buckets.c.caller_id, buckets.c.scope],
            # never move refilled_at backwards: a request whose statement started earlier may commit later
            set_={"tokens": available - 1, "refilled_at": sa.func.greatest(buckets.c.refilled_at, now)},
            where=available >= 1,
        )
        .returning(buckets.c.tokens)
        .cte("taken")
    )
    async_commit = sa.func.set_config("synchronous_commit", "off", True)
    allowed = sa.select(taken.c.tokens, sa.true().label("allowed"), async_commit.label("commit"))
    refused = sa.select(available.label("tokens"), sa.false().label("allowed"), async_commit.label("commit")).where(
        buckets.c.caller_id == caller_id, buckets.c.scope == scope, ~sa.exists(sa.select(taken.c.tokens))
    )
    return sa.union_all(allowed, refused)


# Built once: constructing this statement and its cache key costs more than running it (~1 ms a request).
_TAKE_TOKEN = _take_token_statement()


async def take_token(conn: AsyncConnection, caller_id: uuid.UUID, scope: str, limit: RateLimit) -> Decision:
    """Take one token from the key's bucket for ``scope`` (full when first used); the caller commits.

    Also makes the caller's transaction commit asynchronously (``synchronous_commit`` off, for this
    transaction only): losing the last few token counts in a database crash is harmless, and waiting
    for a WAL flush on every request is not.
    """
    parameters = {"caller_id": caller_id, "scope": scope, "burst": float(limit.burst), "per_second": limit.per_second}
    row = (await conn.execute(_TAKE_TOKEN, parameters)).first()
    if row is None:  # refused, and the bucket was created by a transaction our snapshot predates: just empty
        return Decision.from_tokens(limit, 0.0, allowed=False)
    return Decision.from_tokens(limit, row.tokens, allowed=row.allowed)
