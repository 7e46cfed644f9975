"""The HTTP endpoint for GraphQL: strawberry's ASGI view with cshub's context.

Authentication already happened in ``service.http.middleware``; the view only builds the typed
``Context`` from the request state. GraphiQL is served only in the development environment.
"""

from typing import Any, Literal

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from service.graphql.context import Context
from service.graphql.loaders import Loaders
from service.settings import Environment, Settings


class GraphQLView(GraphQL[Context, None]):
    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state: Any = request.state
        return Context(
            engine=state.engine,
            settings=state.settings,
            principal=getattr(state, "principal", None),
            request_id=state.request_id,
            loaders=Loaders(state.engine, connections=state.settings.request_connections),
        )


def graphql_app(schema: strawberry.Schema, settings: Settings) -> GraphQLView:
    ide: Literal["graphiql"] | None = "graphiql" if settings.environment == Environment.DEVELOPMENT else None
    return GraphQLView(schema, graphql_ide=ide, allow_queries_via_get=True, subscription_protocols=())
