"""The handoff state machine: which step moves which state to which, and who may take it.

    DRAFT ──submit──► SUBMITTED ──accept──► ACCEPTED ──hold kickoff──► KICKOFF_HELD
      ▲                 │                                                      │
      │               return (comment required)                      reach first value
      │                 ▼                                                      ▼
      └── (edit) ──  RETURNED ──submit──► SUBMITTED …               FIRST_VALUE_REACHED

    cancel: from every open state (all but FIRST_VALUE_REACHED and CANCELLED) to CANCELLED.

Roles: ``sales`` create, edit, submit and cancel the drafts they created; ``csm`` accept, return,
advance and cancel; ``admin`` everything. The record is edited only while DRAFT or RETURNED: what was
submitted is what the CSM reviews.
"""

from dataclasses import dataclass
from enum import StrEnum

from service.api_keys.roles import Role
from service.errors import IllegalTransition, PermissionDenied


class State(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"
    KICKOFF_HELD = "KICKOFF_HELD"
    FIRST_VALUE_REACHED = "FIRST_VALUE_REACHED"
    CANCELLED = "CANCELLED"


# Before the CSM took it: sales still write it down (one per account and deal: service.create_handoff).
OPEN_STATES = (State.DRAFT, State.SUBMITTED, State.RETURNED)
# The CSM took it: the handoff in effect for the account (handoffContext.handoffInEffect).
IN_EFFECT_STATES = (State.ACCEPTED, State.KICKOFF_HELD, State.FIRST_VALUE_REACHED)


class Action(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"
    HOLD_KICKOFF = "hold_kickoff"
    REACH_FIRST_VALUE = "reach_first_value"
    CANCEL = "cancel"


TERMINAL = frozenset({State.FIRST_VALUE_REACHED, State.CANCELLED})
OPEN = frozenset(State) - TERMINAL
EDITABLE = frozenset({State.DRAFT, State.RETURNED})


@dataclass(frozen=True, slots=True)
class Step:
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    past_tense: str


STEPS: dict[Action, Step] = {
    Action.SUBMIT: Step(EDITABLE, State.SUBMITTED, frozenset({Role.SALES, Role.ADMIN}), "submitted"),
    Action.ACCEPT: Step(frozenset({State.SUBMITTED}), State.ACCEPTED, frozenset({Role.CSM, Role.ADMIN}), "accepted"),
    Action.RETURN: Step(frozenset({State.SUBMITTED}), State.RETURNED, frozenset({Role.CSM, Role.ADMIN}), "returned"),
    Action.HOLD_KICKOFF: Step(
        frozenset({State.ACCEPTED}), State.KICKOFF_HELD, frozenset({Role.CSM, Role.ADMIN}), "marked kickoff held"
    ),
    Action.REACH_FIRST_VALUE: Step(
        frozenset({State.KICKOFF_HELD}),
        State.FIRST_VALUE_REACHED,
        frozenset({Role.CSM, Role.ADMIN}),
        "marked first value reached",
    ),
    Action.CANCEL: Step(OPEN, State.CANCELLED, frozenset({Role.SALES, Role.CSM, Role.ADMIN}), "cancelled"),
}

CREATORS = frozenset({Role.SALES, Role.ADMIN})


def _allowed(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(role.value for role in roles))


def check_create(role: Role) -> None:
    if role not in CREATORS:
        raise PermissionDenied(f"role {role.value!r} may not create handoffs; it needs one of: {_allowed(CREATORS)}")


def check_edit(state: State, role: Role, *, own: bool) -> None:
    """May a caller with ``role`` edit a handoff in ``state`` (``own``: they created it)?"""
    if role not in CREATORS:
        raise PermissionDenied(f"role {role.value!r} may not edit handoffs; it needs one of: {_allowed(CREATORS)}")
    if role is Role.SALES and not own:
        raise PermissionDenied(
            "sales edit only the handoffs they created (with the same API key, or as the same person)"
        )
    if state not in EDITABLE:
        raise IllegalTransition(
            f"the handoff is {state.value}; it can be edited only while DRAFT or RETURNED", current_state=state.value
        )


def check_step(action: Action, state: State, role: Role, *, own: bool) -> Step:
    """The step ``action`` takes from ``state``, or the reason it may not be taken."""
    step = STEPS[action]
    if role not in step.roles:
        raise PermissionDenied(
            f"role {role.value!r} may not {action.value.replace('_', ' ')} a handoff; "
            f"it needs one of: {_allowed(step.roles)}"
        )
    if role is Role.SALES and not own:
        raise PermissionDenied(
            "sales act only on the handoffs they created (with the same API key, or as the same person)"
        )
    if role is Role.SALES and action is Action.CANCEL and state not in EDITABLE:
        raise PermissionDenied("sales keys cancel only their drafts (DRAFT or RETURNED); ask the CSM or an admin")
    if state not in step.sources:
        sources = ", ".join(sorted(source.value for source in step.sources))
        raise IllegalTransition(
            f"cannot {action.value.replace('_', ' ')}: the handoff is {state.value}; this step needs {sources}",
            current_state=state.value,
        )
    return step
