"""The matrix of ``service.authorization`` for REST: ``RouteAuthorizationMiddleware`` runs after authentication.

It finds the route the request goes to (its path template, e.g. ``/v1/ingest/{entity}``) and awaits the same
check the GraphQL fields use for ``"METHOD /template"``: a role the matrix does not list gets 403
problem+json before the endpoint runs. A route without an entry is refused too (never open by default).
Public routes (health probes) need no key; a route every role may call is left to its endpoint when
authentication let it through without a key (GraphiQL's page in development; its queries still need one).
Unknown paths and methods fall through to the router's 404/405.

A write refused here (a key whose role may not call the route) is recorded in the audit log as ``refused``,
under the action its endpoint records its writes as, like a GraphQL mutation refused by role.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api_keys.service import Principal
from service.audit.service import AuditedWrite, Outcome, Who
from service.authorization import EVERY_ROLE, PUBLIC, ROUTES, authorize
from service.errors import CshubError
from service.http.hubspot_routes import ACTION as HUBSPOT_ACTION
from service.http.ingest_routes import audit_action as ingest_action
from service.http.problems import error_response
from service.http.salesforce_routes import ACTION as SALESFORCE_ACTION
from service.http.segment_routes import ACTION as SEGMENT_ACTION
from service.http.zendesk_routes import ACTION as ZENDESK_ACTION

READ_METHODS = frozenset({"GET", "HEAD"})
KNOWN_PATHS = 1024  # routes found by method and path, remembered (past this, found again each time)
# The audit action and target of each write route, from its path parameters (as its endpoint records them).
AUDITED_WRITES: Mapping[str, Callable[[Mapping[str, Any]], tuple[str, str | None]]] = {
    "POST /v1/ingest/{entity}": lambda params: (ingest_action(params["entity"]), params["entity"]),
    "POST /segment/v1/{call}": lambda params: (SEGMENT_ACTION, params["call"]),
    "POST /zendesk/v1/tickets": lambda params: (ZENDESK_ACTION, "tickets"),
    "POST /zendesk/v1/webhook": lambda params: (ZENDESK_ACTION, "webhook"),
    "POST /hubspot/v1/objects/{object_type}": lambda params: (HUBSPOT_ACTION, params["object_type"]),
    "POST /salesforce/v1/records": lambda params: (SALESFORCE_ACTION, "records"),
    "POST /salesforce/v1/bulk/{sobject}": lambda params: (SALESFORCE_ACTION, "bulk"),
    "POST /salesforce/v1/events": lambda params: (SALESFORCE_ACTION, "events"),
}


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
        self._found: dict[tuple[str, str, str], tuple[str | None, Mapping[str, Any]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        operation, params = self._operation(scope)
        state = scope.setdefault("state", {})
        principal = state.get("principal")
        if operation is not None and not _open(operation, principal):
            try:
                await authorize(principal, operation)
            except CshubError as error:
                if principal is not None and scope["method"] not in READ_METHODS:
                    await _record_refusal(state, principal, operation, params, error)
                headers = Headers(scope=scope)
                response = error_response(error, state.get("request_id"), scope["path"], headers.get("accept", ""))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _operation(self, scope: Scope) -> tuple[str | None, Mapping[str, Any]]:
        # The route a method and path go to never changes: found once per path (a few, bounded), not by trying
        # every route's pattern on every request.
        key = (scope["method"], scope.get("root_path", ""), scope["path"])
        if (found := self._found.get(key)) is not None:
            return found
        found = None, {}
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                found = route_operation(route, scope["method"]), child.get("path_params", {})
                break
        if len(self._found) < KNOWN_PATHS:
            self._found[key] = found
        return found


async def _record_refusal(
    state: Mapping[str, Any], principal: Principal, operation: str, params: Mapping[str, Any], error: CshubError
) -> None:
    action, target = AUDITED_WRITES[operation](params) if operation in AUDITED_WRITES else (operation, None)
    write = AuditedWrite(Who.of(principal), action, target, {}, state.get("request_id"))
    await write.settle(state["engine"], Outcome.REFUSED, error.code)
