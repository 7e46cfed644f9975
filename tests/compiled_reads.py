"""Comparing the compiled read path with the resolvers: the same request through two apps, one with
CSHUB_GRAPHQL_COMPILED_READS on and one with it off, must answer the same JSON; and which roots fell back."""

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from service.settings import Settings
from tests.app_client import app_client

FALLBACK_LOGGER = "cshub.compiled"


@dataclass
class Fallbacks(logging.Handler):
    """The compiled roots that fell back while installed: (root field, reason)."""

    seen: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(logging.INFO)

    def __hash__(self) -> int:
        return id(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((getattr(record, "field", "?"), getattr(record, "reason", "?")))


@contextmanager
def fallbacks() -> Iterator[Fallbacks]:
    handler = Fallbacks()
    logger = logging.getLogger(FALLBACK_LOGGER)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class Direct(logging.Handler):
    """How many queries were answered from kept statements while installed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.answered: list[list[str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "query answered from kept statements":
            self.answered.append(getattr(record, "fields", []))


@contextmanager
def direct_answers() -> Iterator[Direct]:
    handler = Direct()
    logger = logging.getLogger("cshub.compiled")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@dataclass(frozen=True)
class BothWays:
    compiled: httpx.AsyncClient
    resolvers: httpx.AsyncClient

    async def answers(self, key: str, query: str, variables: dict[str, Any] | None = None) -> tuple[Any, Any]:
        body = {"query": query, "variables": variables or {}}
        headers = {"authorization": f"Bearer {key}"}
        compiled = await self.compiled.post("/graphql", json=body, headers=headers)
        # Asked again, a query whose roots' statements are now kept is answered from them (service.api.direct_reads).
        again = await self.compiled.post("/graphql", json=body, headers=headers)
        resolvers = await self.resolvers.post("/graphql", json=body, headers=headers)
        assert compiled.status_code == resolvers.status_code, (compiled.text, resolvers.text)
        assert (again.status_code, json.loads(again.content)) == (compiled.status_code, json.loads(compiled.content))
        return json.loads(compiled.content), json.loads(resolvers.content)

    async def same(self, key: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        """The answer, after checking that both paths give it; fails on any difference (errors included)."""
        compiled, resolvers = await self.answers(key, query, variables)
        assert compiled == resolvers, differences(compiled, resolvers)
        return compiled


@asynccontextmanager
async def both_ways(settings: Settings) -> AsyncIterator[BothWays]:
    async with (
        app_client(settings, graphql_compiled_reads=True) as (compiled, _),
        app_client(settings, graphql_compiled_reads=False) as (resolvers, _),
    ):
        yield BothWays(compiled, resolvers)


def differences(compiled: Any, resolvers: Any, path: str = "") -> list[str]:
    """Where the compiled answer differs from the resolvers' (the first few)."""
    found: list[str] = []
    if isinstance(compiled, dict) and isinstance(resolvers, dict):
        if list(compiled) != list(resolvers):
            found.append(f"{path}: keys {list(compiled)} (compiled) vs {list(resolvers)} (resolvers)")
        for key in compiled.keys() & resolvers.keys():
            found += differences(compiled[key], resolvers[key], f"{path}.{key}")
    elif isinstance(compiled, list) and isinstance(resolvers, list):
        if len(compiled) != len(resolvers):
            found.append(f"{path}: {len(compiled)} items (compiled) vs {len(resolvers)} (resolvers)")
        for index, (a, b) in enumerate(zip(compiled, resolvers, strict=False)):
            found += differences(a, b, f"{path}[{index}]")
    elif compiled != resolvers or type(compiled) is not type(resolvers):
        found.append(f"{path}: {compiled!r} (compiled) vs {resolvers!r} (resolvers)")
    return found[:20]
