"""The matrix of ``service.authorization`` for REST: ``RouteAuthorizationMiddleware`` runs after authentication.

It finds the route the request goes to (its path template, e.g. ``/v1/ingest/{entity}``) and awaits the same
check the GraphQL fields use for ``"METHOD /template"``: a role the matrix does not list gets 403
problem+json before the endpoint runs. A route without an entry is refused too (never open by default).
Public routes (health probes) need no key; a route every role may call is left to its endpoint when
authentication let it through without a key (GraphiQL's page in development; its queries still need one).
Unknown paths and methods fall through to the router's 404/405.
"""

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api_keys.service import Principal
from service.authorization import EVERY_ROLE, PUBLIC, ROUTES, authorize
from service.errors import CshubError
from service.http.problems import error_response


def _open(operation: str, principal: Principal | None) -> bool:
    """Public routes; and GraphQL's IDE page, let through without a key in development (its fields check)."""
    allowed = ROUTES.get(operation, frozenset())
    return allowed is PUBLIC or (principal is None and allowed == EVERY_ROLE)


def route_operation(route: Route, method: str) -> str:
    return f"{'GET' if method == 'HEAD' else method} {route.path}"


class RouteAuthorizationMiddleware:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = [route for route in routes if isinstance(route, Route)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        operation = self._operation(scope)
        state = scope.setdefault("state", {})
        principal = state.get("principal")
        if operation is not None and not _open(operation, principal):
            try:
                await authorize(principal, operation)
            except CshubError as error:
                headers = Headers(scope=scope)
                response = error_response(error, state.get("request_id"), scope["path"], headers.get("accept", ""))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _operation(self, scope: Scope) -> str | None:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route_operation(route, scope["method"])
        return None
