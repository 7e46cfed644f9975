"""The typed error of mutations: expected failures are data in the result union, not GraphQL errors."""

import strawberry

from service.errors import CshubError


@strawberry.type(description="Why a mutation did not happen; nothing was changed.")
class MutationError:
    code: str = strawberry.field(description="Stable machine-readable code, e.g. `NOT_FOUND`, `BAD_USER_INPUT`.")
    message: str = strawberry.field(description="What went wrong and what to do, for a person.")
    field: str | None = strawberry.field(description="The input field at fault, when one is.")

    @classmethod
    def from_error(cls, error: CshubError, field: str | None = None) -> "MutationError":
        return cls(code=error.code, message=error.message, field=field or error.field)
