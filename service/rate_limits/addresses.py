"""Requests without a valid API key, limited per client address: a token bucket per address, in this process.

Every such request (no key, a malformed header, an unknown or revoked key) takes a token; an address whose
bucket is empty gets 429 ``RATE_LIMITED`` — before its key is looked up, so guessing keys cannot make every
request cost a database round trip. Requests with a valid key never touch these buckets (a valid key the
process has not cached yet is still looked up while its address has tokens left). In process memory, not
PostgreSQL: refused callers should cost nothing to refuse; each worker process counts on its own, and the
number of addresses tracked is bounded (the least recently seen are forgotten: a full bucket again).
"""

import time
from collections import OrderedDict
from collections.abc import Callable

from service.rate_limits.policy import Decision, RateLimit

DEFAULT_CAPACITY = 10_000


class AddressBuckets:
    def __init__(
        self, limit: RateLimit, *, capacity: int = DEFAULT_CAPACITY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.capacity = capacity
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address -> (tokens, at)

    def _tokens(self, address: str, now: float) -> float:
        tokens, at = self._buckets.get(address, (float(self.limit.burst), now))
        return min(float(self.limit.burst), tokens + max(0.0, now - at) * self.limit.per_second)

    def peek(self, address: str) -> Decision:
        """Whether a request from ``address`` would be allowed now (takes nothing)."""
        tokens = self._tokens(address, self.clock())
        return Decision.from_tokens(self.limit, tokens, allowed=tokens >= 1)

    def take(self, address: str) -> Decision:
        """Take a token for a request from ``address``; refused (and nothing taken) when the bucket is empty."""
        now = self.clock()
        tokens = self._tokens(address, now)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
            self._buckets[address] = (tokens, now)
            self._buckets.move_to_end(address)
            while len(self._buckets) > self.capacity:
                self._buckets.popitem(last=False)
        return Decision.from_tokens(self.limit, tokens, allowed=allowed)
