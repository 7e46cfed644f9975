"""What each scope allows: a sustained rate and a burst per API key, from the settings.

A scope is a kind of request with its own bucket (``graphql``, ``ingest``), so a key that pulls BI
data hard does not starve its own ingest. A rate of 0 turns the scope's limit off. Requests without a
valid key have a limit per client address instead (``service.rate_limits.addresses``).
"""

import math
from dataclasses import dataclass

from service.settings import Settings

GRAPHQL = "graphql"
INGEST = "ingest"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket: ``burst`` tokens when full, refilled at ``per_minute``; each request takes one."""

    per_minute: float
    burst: int

    @property
    def per_second(self) -> float:
        return self.per_minute / 60


@dataclass(frozen=True, slots=True)
class Decision:
    """One request's outcome against its bucket, in the terms of the RateLimit headers (all whole numbers)."""

    allowed: bool
    limit: int  # the burst: requests possible at once after a pause
    remaining: int  # whole tokens left after this request
    reset_seconds: int  # until the bucket is full again
    retry_after_seconds: int  # until the next token, when refused; else 0

    @classmethod
    def from_tokens(cls, limit: RateLimit, tokens: float, *, allowed: bool) -> "Decision":
        tokens = max(0.0, min(float(limit.burst), tokens))
        return cls(
            allowed=allowed,
            limit=limit.burst,
            remaining=math.floor(tokens) if allowed else 0,
            reset_seconds=math.ceil((limit.burst - tokens) / limit.per_second),
            retry_after_seconds=0 if allowed else max(1, math.ceil((1 - tokens) / limit.per_second)),
        )


def limits_from(settings: Settings) -> dict[str, RateLimit]:
    """The enabled scopes and their limits."""
    configured = {
        GRAPHQL: RateLimit(settings.rate_limit_graphql_per_minute, settings.rate_limit_graphql_burst),
        INGEST: RateLimit(settings.rate_limit_ingest_per_minute, settings.rate_limit_ingest_burst),
    }
    return {scope: limit for scope, limit in configured.items() if limit.per_minute > 0}


def unauthenticated_limit(settings: Settings) -> RateLimit | None:
    """The per-address limit of requests without a valid key; None when turned off."""
    limit = RateLimit(settings.rate_limit_unauthenticated_per_minute, settings.rate_limit_unauthenticated_burst)
    return limit if limit.per_minute > 0 else None
