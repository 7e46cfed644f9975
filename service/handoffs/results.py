"""What handoff mutations answer: the handoff, or a typed reason it did not change (nothing was written)."""

from typing import Annotated

import strawberry

from service.errors import CshubError, IllegalTransition, IncompleteRecord, PermissionDenied, VersionConflict
from service.graphql.mutation_errors import MutationError
from service.handoffs.enums import HandoffState
from service.handoffs.types import Handoff


@strawberry.type(description="The handoff lacks fields the step requires; `missing` lists every one of them.")
class IncompleteHandoff:
    code: str = strawberry.field(description="`INCOMPLETE_RECORD`.")
    message: str = strawberry.field(description="What is missing, for a person.")
    missing: list[str] = strawberry.field(description="Every missing field, as an input path (`deal.arr`…).")


@strawberry.type(description="The step is not allowed from the handoff's current state.")
class IllegalHandoffTransition:
    code: str = strawberry.field(description="`ILLEGAL_TRANSITION`.")
    message: str = strawberry.field(description="What was tried and what the state allows, for a person.")
    current_state: HandoffState = strawberry.field(description="The state the handoff is in now.")


@strawberry.type(description="Someone changed the handoff since you read it; nothing was overwritten.")
class StaleHandoffVersion:
    code: str = strawberry.field(description="`VERSION_CONFLICT`.")
    message: str = strawberry.field(description="What to do, for a person.")
    current_version: int = strawberry.field(description="The version now stored: reload, reapply, send this.")


HandoffResult = Annotated[
    Handoff | IncompleteHandoff | IllegalHandoffTransition | StaleHandoffVersion | MutationError,
    strawberry.union("HandoffResult", description="The handoff after the change, or why it did not change."),
]


def refusal(error: CshubError) -> IncompleteHandoff | IllegalHandoffTransition | StaleHandoffVersion | MutationError:
    """The typed reason a handoff did not change. A refused role or ownership (``PermissionDenied``) stays a
    GraphQL error (FORBIDDEN, the field null), as for every field the caller may not use."""
    if isinstance(error, PermissionDenied):
        raise error
    if isinstance(error, IncompleteRecord):
        return IncompleteHandoff(code=error.code, message=error.message, missing=list(error.missing))
    if isinstance(error, IllegalTransition):
        return IllegalHandoffTransition(
            code=error.code, message=error.message, current_state=HandoffState(error.current_state)
        )
    if isinstance(error, VersionConflict):
        return StaleHandoffVersion(code=error.code, message=error.message, current_version=error.current_version)
    return MutationError.from_error(error)
