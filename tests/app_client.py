"""An in-process client for an app built with a test's own settings (the ``client`` fixture uses the suite's)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from service.app import create_app
from service.settings import Settings
from tests.conftest import LifespanApp, requests_settle


@asynccontextmanager
async def app_client(settings: Settings, **overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    """A client for ``create_app(settings + overrides)``, lifespan included, and the lifespan state (engine…)."""
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app) as state:
        lifespan_state = dict(state or {})
        transport = httpx.ASGITransport(app=LifespanApp(app, lifespan_state), raise_app_exceptions=False)
        async with (
            requests_settle(),
            httpx.AsyncClient(transport=transport, base_url="http://cshub.test", timeout=30) as http,
        ):
            yield http, lifespan_state
