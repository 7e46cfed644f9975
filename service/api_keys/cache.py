"""The valid keys this process saw lately, by hash: most requests skip the key lookup in PostgreSQL.

An entry lives ``CSHUB_API_KEY_CACHE_SECONDS`` (0: no cache). Revoking a key in this process (the command
line, a test) forgets it at once; a revocation made elsewhere (another worker, replica or the command line
on another host) is honoured when the entry expires. Only valid keys are kept — an unknown key is looked up
every time, which the per-address limit on requests without a valid key bounds. The cache is bounded (least
recently stored entries go first), and keyed by the secret's SHA-256, never the secret.
"""

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

P = TypeVar("P")

DEFAULT_CAPACITY = 10_000


class KeyCache(Generic[P]):
    def __init__(self, capacity: int = DEFAULT_CAPACITY, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = capacity
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, uuid.UUID, P]] = OrderedDict()

    def get(self, key_hash: str) -> P | None:
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        expires_at, _, principal = entry
        if self.clock() >= expires_at:
            del self._entries[key_hash]
            return None
        return principal

    def put(self, key_hash: str, key_id: uuid.UUID, principal: P, seconds: float) -> None:
        if seconds <= 0:
            return
        self._entries[key_hash] = (self.clock() + seconds, key_id, principal)
        self._entries.move_to_end(key_hash)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def forget(self, key_id: uuid.UUID) -> None:
        """Drop the entry of this key (revoked): its next request is looked up again."""
        for key_hash in [h for h, (_, cached_id, _) in self._entries.items() if cached_id == key_id]:
            del self._entries[key_hash]

    def __len__(self) -> int:
        return len(self._entries)
