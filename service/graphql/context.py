"""The typed per-request context every resolver receives as ``info.context``."""

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.api_keys.service import Principal
from service.graphql.loaders import Loaders
from service.settings import Settings


@dataclass(frozen=True, slots=True)
class Context:
    engine: AsyncEngine
    settings: Settings
    principal: Principal | None
    request_id: str
    loaders: Loaders

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection of this request's own for one read (see ``RequestReads``)."""
        return self.loaders.reads.connection()
