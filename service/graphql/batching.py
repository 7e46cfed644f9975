"""A DataLoader shape for per-account fields that take arguments: keys are ``(id, argument)``.

A field names the batched query it reads — ``info.context.batch(contract_queries.contracts_of_accounts, list)`` —
and gets the request's one loader of that query (``Batches``). Fields without arguments use ``None``.

All keys collected in one tick with the same argument are answered by one batched statement, so a page
of 100 accounts asking ``mrr(asOf: "2026-01-01")`` costs one query, the same as a page of 5.
"""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.dataloader import DataLoader

from service.db.pool import RequestReads

A = TypeVar("A", bound=Hashable)
K = TypeVar("K")
V = TypeVar("V")


class ShieldedLoader(DataLoader[K, V]):
    """A DataLoader whose callers can be cancelled one at a time.

    When a non-null field fails, graphql-core cancels its sibling fields (``gather_with_cancel``). A task
    cancelled while awaiting a future cancels that future, and the loader hands the same cached future to
    every field asking for the key, so a field elsewhere in the operation got ``CancelledError`` (a 500,
    found by tests/test_fuzz_graphql.py). Each caller awaits its own shield of the shared future instead.
    """

    def load(self, key: K) -> Awaitable[V]:
        return asyncio.shield(super().load(key))


Fetch = Callable[[AsyncConnection, Sequence[uuid.UUID], A], Awaitable[Mapping[uuid.UUID, V]]]


def keyed_loader(
    reads: RequestReads, fetch: Fetch[A, V], missing: Callable[[], V]
) -> DataLoader[tuple[uuid.UUID, A], V]:
    """A loader of ``fetch(conn, ids, argument)`` results; ids absent from the result get ``missing()``."""

    async def load(keys: Sequence[tuple[uuid.UUID, A]]) -> list[V]:
        ids_by_argument: dict[A, list[uuid.UUID]] = defaultdict(list)
        for entity_id, argument in keys:
            ids_by_argument[argument].append(entity_id)
        answers: dict[tuple[uuid.UUID, A], V] = {}
        async with reads.connection() as conn:
            for argument, ids in ids_by_argument.items():
                found = await fetch(conn, ids, argument)
                answers.update({(entity_id, argument): found[entity_id] for entity_id in ids if entity_id in found})
        return [answers[key] if key in answers else missing() for key in keys]

    return ShieldedLoader(load_fn=load)


class Batches:
    """One request's loaders, one per fetch function: made when a field first names the function and shared by
    every field that names it, so their keys of one tick are one batch. Nothing outlives the request.

    The function is the key, so it must be a module-level function (a closure made per call would be a new
    loader each time), and it answers ids it did not find with the same ``missing`` wherever it is named: the
    first field to name it makes its loader."""

    __slots__ = ("_loaders", "_reads")

    def __init__(self, reads: RequestReads) -> None:
        self._reads = reads
        self._loaders: dict[Fetch[Any, Any], DataLoader[Any, Any]] = {}

    def batch(self, fetch: Fetch[A, V], missing: Callable[[], V]) -> DataLoader[tuple[uuid.UUID, A], V]:
        loader = self._loaders.get(fetch)
        if loader is None:
            loader = self._loaders[fetch] = keyed_loader(self._reads, fetch, missing)
        return loader
