"""The one place errors become HTTP responses.

REST routes answer with RFC 9457 ``application/problem+json``; the GraphQL endpoint, for failures
that happen before GraphQL execution (authentication), answers with a GraphQL-over-HTTP error body
in the media type the client accepts. Under ``/segment/`` a problem also carries ``message`` (the text of
``detail``): Segment's and RudderStack's SDKs show an error body's ``message`` and say "Unknown error" without it.
"""

import json

from starlette.responses import Response

from service.errors import AuthenticationRequired, CshubError
from service.graphql.media_types import JSON, content_type, response_media_type

PROBLEM_MEDIA_TYPE = "application/problem+json"
GRAPHQL_RESPONSE_MEDIA_TYPE = "application/graphql-response+json"
GRAPHQL_PATH = "/graphql"
SEGMENT_PREFIX = "/segment/"


def _headers(error: CshubError, request_id: str | None) -> dict[str, str]:
    headers = {}
    if request_id:
        headers["X-Request-ID"] = request_id
    if isinstance(error, AuthenticationRequired):
        headers["WWW-Authenticate"] = 'Bearer realm="cshub"'
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return headers


def problem_response(error: CshubError, request_id: str | None, path: str = "") -> Response:
    """``path``: the request's, for the members some clients need beside RFC 9457's (``SEGMENT_PREFIX``)."""
    body = {
        "type": f"https://cshub.dev/problems/{error.code.lower().replace('_', '-')}",
        "title": error.title,
        "status": error.status,
        "detail": error.message,
        "code": error.code,
        "request_id": request_id,
    }
    if path.startswith(SEGMENT_PREFIX):
        body["message"] = error.message
    return Response(
        json.dumps(body),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=_headers(error, request_id),
    )


def graphql_error_response(error: CshubError, request_id: str | None, accept: str) -> Response:
    media_type = content_type(response_media_type(accept) or JSON)  # as the GraphQL view negotiates
    body = {"errors": [{"message": error.message, "extensions": {"code": error.code, "requestId": request_id}}]}
    return Response(
        json.dumps(body), status_code=error.status, media_type=media_type, headers=_headers(error, request_id)
    )


def error_response(error: CshubError, request_id: str | None, path: str, accept: str) -> Response:
    if path == GRAPHQL_PATH:
        return graphql_error_response(error, request_id, accept)
    return problem_response(error, request_id, path)
