"""Liveness and readiness probes (public, no API key).

``/healthz`` answers while the process can serve HTTP at all. ``/readyz`` answers 200 only when
PostgreSQL is reachable and its schema is at the migrations' head, 503 otherwise — so a load
balancer stops routing to a replica whose database is gone or not yet migrated.
"""

import asyncio

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service import migrate
from service.db.pool import database_errors, unavailable
from service.errors import DatabaseUnavailable, SchemaNotReady
from service.http.problems import problem_response

READINESS_TIMEOUT_SECONDS = 3.0


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _schema_revision(engine: AsyncEngine) -> str | None:
    async with database_errors(engine.url):
        return await migrate.current_revision(engine)


async def readyz(request: Request) -> Response:
    request_id: str = request.state.request_id
    try:
        current = await asyncio.wait_for(_schema_revision(request.state.engine), READINESS_TIMEOUT_SECONDS)
    except TimeoutError:
        error = unavailable(f"the readiness check got no answer within {READINESS_TIMEOUT_SECONDS:g} seconds")
        return problem_response(error, request_id)
    except DatabaseUnavailable as error:
        return problem_response(error, request_id)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return problem_response(unavailable(f"the readiness check failed: {reason}"), request_id)
    head = migrate.head_revision()
    if current != head:
        message = f"the database schema is at {current or 'no revision'}, expected {head}; run `cshub migrate`"
        return problem_response(SchemaNotReady(message), request_id)
    return JSONResponse({"status": "ready", "schema_revision": current})
