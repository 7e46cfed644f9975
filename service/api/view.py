"""The HTTP endpoint for GraphQL: strawberry's ASGI view with cshub's context, speaking GraphQL over HTTP.

Authentication already happened in ``service.http.middleware``; the view builds the typed ``Context`` from
the request state. GraphiQL is served only in the development environment (``service.http.ide``: its page and assets).

What the view adds to strawberry, after https://graphql.github.io/graphql-over-http/draft/ (each rule is a
test in tests/test_graphql_over_http.py):

- Methods: POST, and GET for queries only — a mutation over GET is 405 with ``Allow: POST``; other methods
  are 405 with ``Allow: GET, POST``.
- Response media type by ``Accept`` (``service.graphql.media_types``); 406 when neither
  ``application/graphql-response+json`` nor ``application/json`` is acceptable.
- POST bodies only as ``application/json`` (UTF-8), anything else is 415: form, multipart and text bodies are
  what a page on another site can send without a CORS preflight (CSRF).
- A well-formed request is one JSON object (or GET parameters) with ``query`` (string) and optional
  ``operationName`` (string), ``variables`` and ``extensions`` (objects); anything else is 400. Batches
  (JSON arrays) are not supported: 400.
- Request errors (the document does not parse or validate, the operation cannot be chosen, variables do not
  coerce, an operation limit) answer without ``data``: 400 with graphql-response+json, 200 with
  application/json (its legacy rule). Field errors leave ``data`` and are 200 either way.
- Failures of the HTTP exchange itself are GraphQL-shaped error bodies with ``extensions.code`` and the
  ``requestId``, in the negotiated media type.
- Subscriptions: a WebSocket on the same path speaks graphql-transport-ws (``service.subscriptions``); it is
  authenticated by its ``connection_init``, not by the HTTP middleware.
- Responses are encoded without holding the event loop (``service.graphql.encoding``); one larger than
  CSHUB_GRAPHQL_MAX_RESPONSE_BYTES is refused with ``RESPONSE_TOO_LARGE`` (a request error, as above).
"""

import datetime as dt
import json
import uuid
from typing import Any, Literal

import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLSchema
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from service import json_input
from service.api.direct_reads import direct_answer
from service.api.limits import operation_resolution_error
from service.errors import BadRequest, CshubError, MethodNotAllowed, NotAcceptable, NotFound, UnsupportedMediaType
from service.graphql import document_cache
from service.graphql.context import Context
from service.graphql.encoding import EncodedTooLarge, encode_json
from service.graphql.loaders import Loaders
from service.graphql.media_types import GRAPHQL_RESPONSE_JSON, JSON, content_type, response_media_type
from service.graphql.persisted import PersistedOperations, load_manifest
from service.graphql.response_budget import too_large_error
from service.http import ide
from service.oidc.people import TokenAuthority
from service.settings import Environment, Settings
from service.subscriptions.connection import ConnectionGate, SubscriptionConnection
from service.subscriptions.hub import Live

ALLOWED_METHODS = "GET, POST"
REQUEST_PARAMETERS = ("query", "operationName", "variables", "extensions")


class _MethodNotAllowed(MethodNotAllowed):
    def __init__(self, message: str, *, allow: str) -> None:
        super().__init__(message)
        self.allow = allow


class _Unencoded(Response):
    """A GraphQL response whose body is still to be encoded (``GraphQLView._encoded``); never sent as is."""

    def __init__(self, data: object, status_code: int, content_type: str) -> None:  # no super(): nothing rendered
        self.data = data
        self.status_code = status_code
        self.content_type = content_type


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = SubscriptionConnection

    def __init__(
        self, schema: strawberry.Schema, persisted: PersistedOperations, gate: ConnectionGate, **options: Any
    ) -> None:
        super().__init__(schema, **options)
        self.persisted = persisted
        self.graphql_schema: GraphQLSchema = schema._schema
        self.gate = gate  # subscriptions: authentication in connection_init, connections per key

    @property
    def graphql_ide_html(self) -> str:
        """cshub's GraphiQL page: its assets from cshub itself, the key asked for (``service.http.ide``)."""
        return ide.PAGE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # subscriptions: strawberry speaks graphql-transport-ws
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self._respond(request)
            if isinstance(response, _Unencoded):
                response = await self._encoded(request, response)
        except CshubError as error:
            response = self._error_response(request, error)
        except HTTPException as exc:  # strawberry's own refusals, should any remain reachable
            response = self._error_response(request, _from_http_exception(exc))
        await response(scope, receive, send)

    async def _encoded(self, request: Request, response: _Unencoded) -> Response:
        """The body encoded without holding the event loop, or RESPONSE_TOO_LARGE past the byte cap."""
        max_bytes = request.state.settings.graphql_max_response_bytes
        headers = {"content-type": response.content_type}
        try:
            body = await encode_json(response.data, max_bytes)
        except EncodedTooLarge:
            error = too_large_error(
                f"The response would be larger than {max_bytes} bytes, the limit. Narrow the query: fewer fields, "
                "smaller pages (`first`), shorter periods or fewer nested lists.",
                maxBytes=max_bytes,
            )
            status = 400 if request.state.graphql_media_type == GRAPHQL_RESPONSE_JSON else 200
            return Response(json.dumps({"errors": [error.formatted]}), status_code=status, headers=headers)
        return Response(body, status_code=response.status_code, headers=headers)

    async def _respond(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            raise _MethodNotAllowed(
                f"{request.method} is not allowed on GraphQL: use POST, or GET for queries", allow=ALLOWED_METHODS
            )
        if self._is_ide_page(request):
            return await self.render_graphql_ide(request)
        media_type = response_media_type(request.headers.get("accept"))
        if media_type is None:
            raise NotAcceptable(
                f"GraphQL responses are {GRAPHQL_RESPONSE_JSON} or {JSON}; the Accept header allows neither"
            )
        request.state.graphql_media_type = media_type
        if request.method == "POST":
            _check_content_type(request.headers.get("content-type"))
        return await self.run(request)

    def _is_ide_page(self, request: Request) -> bool:
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    def should_render_graphql_ide(self, request: Any) -> bool:
        return False  # decided in _respond, before content negotiation

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state: Any = request.state
        live = None
        if isinstance(request, WebSocket):  # authenticated by connection_init (service.subscriptions.connection)
            live = Live(state.event_hub, slow_consumer=_nothing)
        return Context(
            engine=state.engine,
            settings=state.settings,
            principal=getattr(state, "principal", None),
            request_id=getattr(state, "request_id", None) or uuid.uuid4().hex,
            loaders=Loaders(state.engine, connections=state.settings.request_connections),
            compiled_reads=state.settings.graphql_compiled_reads,
            live=live,
        )

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = Response(headers={"content-type": content_type(request.state.graphql_media_type)})
        request.state.graphql_sub_response = sub_response
        return sub_response

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        if request.method == "GET":
            return _request_data(_query_parameters(request.query_params), self.persisted)
        try:
            body = json_input.loads(await request.get_body())
        except json_input.TooDeeplyNested as exc:
            raise BadRequest(f"the body has {exc}") from None
        except ValueError:
            raise BadRequest("the body is not valid JSON") from None
        if isinstance(body, list):
            raise BadRequest("batched operations (a JSON array) are not supported: send one operation per request")
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object with `query` and optionally `variables`, `operationName`")
        return _request_data(body, self.persisted)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        if (answer := await direct_answer(self.graphql_schema, request_data, context)) is not None:
            return answer  # every root from a kept compiled statement (queries only, so GET too)
        method = request_adapter.method
        allowed = {OperationType.QUERY} if method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as error:
            if error.operation_type == OperationType.MUTATION:
                raise _MethodNotAllowed("mutations are not allowed over GET: use POST", allow="POST") from None
            raise BadRequest(f"{error.operation_type.value} operations are not served over HTTP") from None
        except CannotGetOperationTypeError as error:
            return ExecutionResult(data=None, errors=[operation_resolution_error(error.operation_name)])
        except MissingQueryError:
            raise BadRequest("the request has no `query`") from None

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        body = process_result(result)
        if _is_request_error(result):
            body.pop("data", None)  # nothing executed: a request error's response has no data entry
            if request.state.graphql_media_type == GRAPHQL_RESPONSE_JSON:
                internal = any((e.extensions or {}).get("code") == "INTERNAL_SERVER_ERROR" for e in result.errors or ())
                request.state.graphql_sub_response.status_code = 500 if internal else 400
        return body

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        return _Unencoded(response_data, sub_response.status_code, sub_response.headers["content-type"])

    def _error_response(self, request: Request, error: CshubError) -> Response:
        media_type = getattr(request.state, "graphql_media_type", None)
        media_type = media_type or response_media_type(request.headers.get("accept")) or JSON
        request_id = getattr(request.state, "request_id", None)
        body = {"errors": [{"message": error.message, "extensions": {"code": error.code, "requestId": request_id}}]}
        headers = {"content-type": content_type(media_type)}
        if isinstance(error, _MethodNotAllowed):
            headers["allow"] = error.allow
        if error.retry_after is not None:
            headers["retry-after"] = str(error.retry_after)
        return Response(json.dumps(body), status_code=error.status, headers=headers)


async def _nothing() -> None:
    return None


def _check_content_type(header: str | None) -> None:
    media_type, *params = (part.strip().lower() for part in (header or "").split(";"))
    charset = next(
        (p.partition("=")[2].strip(' "') for p in params if p.partition("=")[0].strip() == "charset"), "utf-8"
    )
    if media_type != JSON or charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            f"POST bodies must be {JSON} (UTF-8), got {media_type or 'no Content-Type'}: form, multipart and text "
            "bodies are refused (a page on another site could send them)"
        )


def _query_parameters(params: Any) -> dict[str, Any]:
    """GET parameters: ``variables`` and ``extensions`` are JSON; each parameter at most once."""
    found: dict[str, Any] = {}
    for name in REQUEST_PARAMETERS:
        values = params.getlist(name) if isinstance(params, QueryParams) else [params[name]] if name in params else []
        if len(values) > 1:
            raise BadRequest(f"the parameter `{name}` is given more than once")
        if not values or values[0] == "":
            continue  # an empty parameter is an omitted one (operationName= explicitly so)
        value = values[0]
        if name in ("variables", "extensions"):
            try:
                value = json_input.loads(value)
            except json_input.TooDeeplyNested as exc:
                raise BadRequest(f"the parameter `{name}` has {exc}") from None
            except ValueError:
                raise BadRequest(f"the parameter `{name}` is not valid JSON") from None
        found[name] = value
    return found


def _request_data(params: dict[str, Any], persisted: PersistedOperations) -> GraphQLRequestData:
    query = params.get("query")
    if query is not None and not isinstance(query, str):
        raise BadRequest("`query` must be a string holding a GraphQL document")
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest("`operationName` must be a string")
    operation_name = operation_name or None  # "" means none was chosen
    for name in ("variables", "extensions"):
        if not isinstance(params.get(name), dict | None):
            raise BadRequest(f"`{name}` must be a JSON object")
    query = persisted.resolve(query, params.get("extensions"))
    if query is None:
        raise BadRequest("the request has no `query`: send the GraphQL document as `query`")
    if not query.strip():
        raise BadRequest("`query` is empty")
    return GraphQLRequestData(
        query=query,
        variables=params.get("variables"),
        operation_name=operation_name,
        extensions=params.get("extensions"),
    )


def _is_request_error(result: ExecutionResult) -> bool:
    """Nothing executed: no data and no error at a field path (a field error always has one)."""
    return result.data is None and bool(result.errors) and all(error.path is None for error in result.errors or ())


def _from_http_exception(exc: HTTPException) -> CshubError:
    if exc.status_code == 405:
        return _MethodNotAllowed(exc.reason, allow=ALLOWED_METHODS)
    if exc.status_code == 404:
        return NotFound(exc.reason)
    return BadRequest(exc.reason)


def graphql_app(schema: strawberry.Schema, settings: Settings) -> GraphQLView:
    ide: Literal["graphiql"] | None = "graphiql" if settings.environment == Environment.DEVELOPMENT else None
    return GraphQLView(
        schema,
        persisted_operations(schema, settings),
        ConnectionGate(settings, TokenAuthority.of(settings)),
        graphql_ide=ide,
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        max_subscriptions_per_connection=settings.subscriptions_per_connection,
        connection_init_wait_timeout=dt.timedelta(seconds=10),
    )


def persisted_operations(schema: strawberry.Schema, settings: Settings) -> PersistedOperations:
    """The persisted-operations policy; a trusted-documents manifest is read and validated here (start-up)."""
    path = settings.graphql_trusted_documents
    trusted = load_manifest(path, schema._schema) if path is not None else None
    for document in (trusted or {}).values():
        document_cache.prime(document, settings.graphql_max_tokens)
    return PersistedOperations(
        automatic=settings.graphql_persisted_queries,
        max_documents=settings.graphql_apq_max_documents,
        trusted=trusted,
    )
