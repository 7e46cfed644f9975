"""The ASGI application: ``create_app(settings)`` builds it; its lifespan owns the database.

On start-up the lifespan attaches to PostgreSQL (starting the embedded server when no
``CSHUB_DATABASE_URL`` is set), checks it answers, and migrates to head unless told not to. The
engine and settings travel to every request through the lifespan state.
"""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from service import migrate
from service.all_tables import metadata
from service.api.export import schema_sdl
from service.api.schema import schema
from service.api.view import ALLOWED_METHODS as GRAPHQL_ALLOWED_METHODS
from service.api.view import graphql_app
from service.clock.sweeper import clock_sweeper
from service.db.embedded import EmbeddedPostgres
from service.db.pool import check_connection, create_engine, database_errors
from service.db.statistics import StatisticsKeeper
from service.errors import BadRequest, CshubError, MethodNotAllowed, NotFound
from service.events.catalogue import catalogue_json
from service.events.delivery import delivery_worker
from service.health_scores.refresher import HealthRefresher
from service.health_scores.service import thresholds_from
from service.http import ide
from service.http.authorization import RouteAuthorizationMiddleware
from service.http.health import healthz, readyz
from service.http.hubspot_routes import HubSpotEndpoint
from service.http.ingest_routes import IngestEndpoint
from service.http.landing import landing_endpoint, openapi_file, text_endpoint
from service.http.middleware import (
    HUBSPOT_WEBHOOK_PATH,
    AuthenticationMiddleware,
    GraphQLBodyLimitMiddleware,
    RequestContextMiddleware,
)
from service.http.problems import GRAPHQL_PATH, problem_response
from service.http.salesforce_routes import SalesforceEndpoint
from service.http.segment_routes import SegmentEndpoint
from service.http.zendesk_routes import ZendeskEndpoint
from service.logs import configure_logging
from service.oidc.people import TokenAuthority
from service.rate_limits.addresses import AddressBuckets
from service.rate_limits.policy import unauthenticated_limit
from service.settings import Settings, load_settings
from service.subscriptions.hub import EventHub

logger = logging.getLogger("cshub")


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


async def _cshub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CshubError)
    return problem_response(exc, _request_id(request), request.url.path)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error: CshubError = NotFound(f"no route {request.url.path}")
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
    elif exc.status_code < 500:
        error = BadRequest(str(exc.detail))
    else:
        error = CshubError(str(exc.detail))
    response = problem_response(error, _request_id(request), request.url.path)
    if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
        response.headers["Allow"] = _allow(request.url.path, exc.headers["Allow"])
    return response


def _allow(path: str, routed: str) -> str:
    """RFC 9110: a 405 lists the methods that are allowed — the same list for every refused method.

    The router's list comes from a set (its order varies between processes) and includes the HEAD it adds to
    every GET route; /graphql serves neither HEAD nor anything but GET and POST, and its view says so itself.
    """
    if path == GRAPHQL_PATH:
        return GRAPHQL_ALLOWED_METHODS
    return ", ".join(sorted(method.strip() for method in routed.split(",")))


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error", exc_info=exc, extra={"request_id": _request_id(request)})
    error = CshubError("internal error; quote the request id when reporting it")
    return problem_response(error, _request_id(request), request.url.path)


def _address_buckets(settings: Settings) -> AddressBuckets | None:
    limit = unauthenticated_limit(settings)
    return AddressBuckets(limit) if limit is not None else None


def _cors(settings: Settings) -> list[Middleware]:
    """Browser pages from the allowed origins may call the API (preflights answered before authentication).
    Credentials (cookies) are never allowed: the API reads only the Authorization header, so no CSRF surface."""
    if not settings.cors_allow_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
            allow_credentials=False,
            max_age=600,
        )
    ]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        embedded = None
        url = settings.database_url
        if url is None:
            embedded = EmbeddedPostgres(settings.data_dir)
            url = embedded.start()
        engine = create_engine(url, settings, statement_timeout_seconds=settings.db_statement_timeout_seconds)
        try:
            await check_connection(engine)
            if settings.migrate_on_start:
                async with database_errors(url):
                    await migrate.upgrade(engine)
            refresher = HealthRefresher(
                engine,
                interval=settings.health_recompute_interval_seconds,
                after_ingest=settings.health_recompute_after_ingest_seconds,
                thresholds=thresholds_from(settings),
                history_full_days=settings.health_history_full_days,
            )
            refresher.start()
            keeper = StatisticsKeeper(
                engine, [table.name for table in metadata.sorted_tables], enabled=settings.ingest_analyze
            )
            keeper.start()
            event_hub = EventHub(engine, queue_size=settings.subscription_queue_size)
            event_hub.start()  # one LISTEN connection per process, for every subscription WebSocket
            webhooks = delivery_worker(engine, settings)  # None with CSHUB_WEBHOOKS_DELIVER=false
            if webhooks is not None:
                webhooks.start()
            sweeper = clock_sweeper(engine, settings)  # None with CSHUB_CLOCK_SWEEP=false
            if sweeper is not None:
                sweeper.start()
            # What start-up allocated (modules, the schema, the engine) lives as long as the process: out of the
            # cyclic collector's way, a full collection scans only what requests allocate — tens of ms, where
            # scanning everything held the event loop for 100–250 ms after a large response.
            gc.freeze()
            try:
                yield {
                    "engine": engine,
                    "settings": settings,
                    "health_refresher": refresher,
                    "statistics_keeper": keeper,
                    "event_hub": event_hub,
                }
            finally:
                gc.unfreeze()
                if sweeper is not None:
                    await sweeper.stop()
                if webhooks is not None:
                    await webhooks.stop()
                await refresher.stop()
                await keeper.stop()
                await event_hub.stop()
        finally:
            await engine.dispose()
            if embedded is not None:
                embedded.stop()

    ingest = IngestEndpoint(settings)  # Segment calls share its batch slots: one budget of concurrent writes
    zendesk = ZendeskEndpoint(settings, ingest.slots)  # its mapping file is checked here, at start
    hubspot = HubSpotEndpoint(settings, ingest.slots)  # so is this one's
    salesforce = SalesforceEndpoint(settings, ingest.slots)  # likewise
    graphql_view = graphql_app(schema, settings)
    routes = [
        Route("/", landing_endpoint(settings), methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/schema.graphql", text_endpoint(schema_sdl(), "text/plain; charset=utf-8"), methods=["GET"]),
        Route("/openapi.yaml", text_endpoint(openapi_file().read_text(), "application/yaml"), methods=["GET"]),
        Route("/events/catalogue", text_endpoint(catalogue_json(), "application/json"), methods=["GET"]),
        Route(ide.ASSETS_PATH, ide.graphiql_asset, methods=["GET"]),
        Route(GRAPHQL_PATH, graphql_view, methods=["GET", "POST"]),
        Route("/v1/ingest/{entity}", ingest.handle, methods=["POST"]),
        Route("/segment/v1/{call}", SegmentEndpoint(settings, ingest.slots).handle, methods=["POST"]),
        Route("/zendesk/v1/tickets", zendesk.tickets, methods=["POST"]),
        Route("/zendesk/v1/webhook", zendesk.webhook, methods=["POST"]),
        Route("/hubspot/v1/objects/{object_type}", hubspot.objects, methods=["POST"]),
        Route(HUBSPOT_WEBHOOK_PATH, hubspot.webhook, methods=["POST"]),
        Route("/salesforce/v1/records", salesforce.records, methods=["POST"]),
        Route("/salesforce/v1/bulk/{sobject}", salesforce.bulk, methods=["POST"]),
        Route("/salesforce/v1/events", salesforce.events, methods=["POST"]),
        WebSocketRoute(GRAPHQL_PATH, graphql_view),  # subscriptions (graphql-transport-ws)
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestContextMiddleware),
            *_cors(settings),
            Middleware(GraphQLBodyLimitMiddleware),
            Middleware(
                AuthenticationMiddleware,
                unauthenticated=_address_buckets(settings),
                tokens=TokenAuthority.of(settings),
            ),
            Middleware(RouteAuthorizationMiddleware, routes=routes),
        ],
        exception_handlers={
            CshubError: _cshub_error,
            HTTPException: _http_error,
            Exception: _unexpected_error,
        },
        lifespan=lifespan,
    )
