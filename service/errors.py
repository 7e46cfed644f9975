"""The one error tree of cshub.

Every expected failure is a ``CshubError`` subclass that knows its stable ``code`` (shown to API
clients in problem+json bodies and GraphQL ``extensions.code``) and its HTTP ``status``. REST renders
them in exactly one place (``service.http.problems``); GraphQL maps them in ``service.api.view``;
anything that is not a ``CshubError`` is unexpected and masked.

    CshubError
    ├── ConfigurationError          CONFIGURATION_INVALID      500  (start-up only)
    ├── DatabaseUnavailable         DATABASE_UNAVAILABLE       503  (with Retry-After; nothing was written;
    │                                                                 clients read only "database unavailable")
    │   ├── EmbeddedDatabaseError   EMBEDDED_DATABASE_FAILED   503
    │   ├── SchemaNotReady          SCHEMA_NOT_READY           503
    │   └── QueryTimeout            QUERY_TIMEOUT              503  (a statement hit the statement timeout)
    ├── BadRequest                  BAD_REQUEST                400
    ├── AuthenticationRequired      UNAUTHENTICATED            401
    ├── PermissionDenied            FORBIDDEN                  403
    ├── NotFound                    NOT_FOUND                  404
    ├── MethodNotAllowed            METHOD_NOT_ALLOWED         405
    ├── NotAcceptable               NOT_ACCEPTABLE             406  (no response media type the client accepts)
    ├── Conflict                    CONFLICT                   409
    │   ├── VersionConflict         VERSION_CONFLICT           409  (stale expected version)
    │   └── IllegalTransition       ILLEGAL_TRANSITION         409  (names the current state)
    ├── PayloadTooLarge             PAYLOAD_TOO_LARGE          413
    ├── UnsupportedMediaType        UNSUPPORTED_MEDIA_TYPE     415
    ├── InvalidInput                BAD_USER_INPUT             422
    │   └── IncompleteRecord        INCOMPLETE_RECORD          422  (lists every missing field)
    └── Overloaded                  OVERLOADED                 429  (with Retry-After)
        └── RateLimited             RATE_LIMITED               429  (the key's token bucket is empty)
"""

from typing import ClassVar


class CshubError(Exception):
    """Base of every expected cshub failure."""

    code: ClassVar[str] = "INTERNAL"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    retry_after: int | None = None  # seconds, sent as Retry-After when set; a class default, instances may refine it

    def __init__(self, message: str, *, field: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the input field at fault (API name, e.g. `dueOn`), when the error is about one
        # For the operator only (logged, printed by the command line), never sent to API clients: it may
        # name hosts, socket paths or settings.
        self.detail = detail


class ConfigurationError(CshubError):
    """Settings that cannot work (bad URL, unknown environment, unusable data dir)."""

    code = "CONFIGURATION_INVALID"
    title = "Invalid configuration"


class DatabaseUnavailable(CshubError):
    """PostgreSQL cannot be reached or used right now."""

    code = "DATABASE_UNAVAILABLE"
    status = 503
    title = "Database unavailable"
    retry_after = 5


class IdentityProviderUnavailable(CshubError):
    """The OIDC issuer's signing keys cannot be read, so no bearer token can be verified right now."""

    code = "IDENTITY_PROVIDER_UNAVAILABLE"
    status = 503
    title = "Identity provider unavailable"
    retry_after = 5


class EmbeddedDatabaseError(DatabaseUnavailable):
    """The embedded PostgreSQL could not be started."""

    code = "EMBEDDED_DATABASE_FAILED"
    title = "Embedded database failed to start"


class SchemaNotReady(DatabaseUnavailable):
    """The database is reachable but its schema is not at the migrations' head."""

    code = "SCHEMA_NOT_READY"
    title = "Database schema not at head"


class QueryTimeout(DatabaseUnavailable):
    """A statement ran past ``CSHUB_DB_STATEMENT_TIMEOUT_SECONDS`` and PostgreSQL cancelled it.

    503, not 504: the server is shedding load it cannot finish in time, the transaction was rolled
    back (nothing written, like every DATABASE_UNAVAILABLE), and a retry later may well succeed;
    504 is what proxies send when the outcome is unknown.
    """

    code = "QUERY_TIMEOUT"
    title = "Query timed out"


class BadRequest(CshubError):
    """The HTTP request itself is malformed (unparseable body, wrong media type)."""

    code = "BAD_REQUEST"
    status = 400
    title = "Bad request"


class AuthenticationRequired(CshubError):
    """No API key, or one that is unknown or revoked."""

    code = "UNAUTHENTICATED"
    status = 401
    title = "Authentication required"


class PermissionDenied(CshubError):
    """The caller's role may not do this."""

    code = "FORBIDDEN"
    status = 403
    title = "Forbidden"


class NotFound(CshubError):
    """The addressed resource does not exist."""

    code = "NOT_FOUND"
    status = 404
    title = "Not found"


class MethodNotAllowed(CshubError):
    """The resource exists but not with this HTTP method."""

    code = "METHOD_NOT_ALLOWED"
    status = 405
    title = "Method not allowed"


class NotAcceptable(CshubError):
    """The ``Accept`` header allows none of the media types the endpoint answers in."""

    code = "NOT_ACCEPTABLE"
    status = 406
    title = "Not acceptable"


class Conflict(CshubError):
    """The request conflicts with the current state (stale version, duplicate)."""

    code = "CONFLICT"
    status = 409
    title = "Conflict"


class VersionConflict(Conflict):
    """An edit based on a version that is no longer current: someone else changed the record first."""

    code = "VERSION_CONFLICT"
    title = "Version conflict"

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class IllegalTransition(Conflict):
    """A workflow step that the record's current state does not allow."""

    code = "ILLEGAL_TRANSITION"
    title = "Illegal state transition"

    def __init__(self, message: str, *, current_state: str) -> None:
        super().__init__(message)
        self.current_state = current_state


class InvalidInput(CshubError):
    """The request is well-formed but its values are not acceptable."""

    code = "BAD_USER_INPUT"
    status = 422
    title = "Invalid input"


class IncompleteRecord(InvalidInput):
    """A record lacks what a workflow step requires; ``missing`` names every missing field."""

    code = "INCOMPLETE_RECORD"
    title = "Incomplete record"

    def __init__(self, message: str, *, missing: tuple[str, ...]) -> None:
        super().__init__(message)
        self.missing = missing


class PersistedQueryNotFound(CshubError):
    """A persisted operation's hash this server does not know (yet): send the text with it."""

    code = "PERSISTED_QUERY_NOT_FOUND"
    status = 404
    title = "Persisted query not found"


class PersistedQueryNotSupported(BadRequest):
    """A hash without text where automatic persisted queries are turned off."""

    code = "PERSISTED_QUERY_NOT_SUPPORTED"


class OperationNotRegistered(CshubError):
    """Trusted-documents mode: only operations registered ahead of time run."""

    code = "OPERATION_NOT_REGISTERED"
    status = 403
    title = "Operation not registered"


class PayloadTooLarge(CshubError):
    """The body or batch is over a published limit."""

    code = "PAYLOAD_TOO_LARGE"
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(CshubError):
    """The body is not in a media type the endpoint reads."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415
    title = "Unsupported media type"


class Overloaded(CshubError):
    """This replica is at its limit of concurrent work; retry after a moment."""

    code = "OVERLOADED"
    status = 429
    title = "Too many requests"
    retry_after = 1


class RateLimited(Overloaded):
    """The API key spent its token bucket for this kind of request; ``retry_after`` says when one is back."""

    code = "RATE_LIMITED"
    title = "Rate limit exceeded"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
