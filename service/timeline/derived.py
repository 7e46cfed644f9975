"""Timeline entries the hub derives from its own records, as SELECTs that the timeline unions with ingested rows.

Every builder returns rows of the same shape (``ENTRY_COLUMNS``), so the union needs no per-source code:

- ``id``: stable and unique. Recorded rows keep their own id; a derived entry's id is
  ``md5('<origin>:<source row id>:<kind>')`` read as a uuid — the same entry gets the same id (and
  cursor) on every read, and two things happening to one record (a ticket opened, then solved) differ.
- ``source``: the source system of a recorded row; ``cshub`` for what the hub itself produced (handoff
  transitions, health scores); NULL for contracts, tickets and surveys, whose source system is looked up
  in ``source_links`` (``link_type`` names the object type) only for the rows of the page — see ``queries``.
- ``origin`` / ``origin_id``: which record the entry derives from.

Rules (dates are UTC days; a day's entry happens at its midnight UTC):

- contract started: on ``start_date``, for a contract neither draft nor cancelled, once that day has come.
- contract renewed: a live contract that starts the day an earlier live contract of the same account
  ends (``end_date`` is exclusive, so there is no gap and no overlap) is a renewal of it; it shows as
  renewed, not started, and the contract it renews does not show as ended — one entry for the renewal,
  not three on the same day. A contract starting after a gap is a new start. (The ingested data carries
  no explicit "renews" link; ``renewal_date`` and ``auto_renew`` state intent, not what happened.)
- contract ended: on ``end_date`` once that day has come, for a live contract no renewal follows. Dates
  decide, not ``status``: an ``active`` contract whose end date has passed has ended.
- ticket opened (``opened_at``) and solved (``solved_at``, when set).
- survey answered (``responded_at``), by the contact's e-mail, with an excerpt of the comment.
- handoff transition: every ``handoff_events`` row, by its actor.
- health band change: a health score whose band differs from the band of the previous score of the same
  account and name that had one (scores without a band — too little data — are skipped, as the
  ``band_dropped`` alert rule does).
"""

from typing import Any

import sqlalchemy as sa

from service.contracts.queries import NOT_COUNTED
from service.contracts.tables import contracts
from service.handoffs.tables import handoff_events
from service.health_scores.tables import health_scores
from service.surveys.tables import survey_responses
from service.tickets.tables import tickets

HUB_SOURCE = "cshub"

CONTRACT_STARTED = "contract_started"
CONTRACT_RENEWED = "contract_renewed"
CONTRACT_ENDED = "contract_ended"
TICKET_OPENED = "ticket_opened"
TICKET_SOLVED = "ticket_solved"
SURVEY_ANSWERED = "survey_answered"
HANDOFF_TRANSITION = "handoff_transition"
HEALTH_BAND_CHANGED = "health_band_changed"
DERIVED_KINDS = (
    CONTRACT_STARTED,
    CONTRACT_RENEWED,
    CONTRACT_ENDED,
    TICKET_OPENED,
    TICKET_SOLVED,
    SURVEY_ANSWERED,
    HANDOFF_TRANSITION,
    HEALTH_BAND_CHANGED,
)

RECORDED, CONTRACT, TICKET, SURVEY, HANDOFF, HEALTH = "recorded", "contract", "ticket", "survey", "handoff", "health"
ORIGINS = (RECORDED, CONTRACT, TICKET, SURVEY, HANDOFF, HEALTH)

ENTRY_COLUMNS = (
    "id",
    "account_id",
    "kind",
    "occurred_at",
    "summary",
    "actor",
    "source",
    "origin",
    "origin_id",
    "link_type",
)

EXCERPT = 120  # characters of a survey comment shown in the summary
TIMESTAMP = sa.DateTime(timezone=True)

Ids = sa.BindParameter[Any] | None  # the batch's account ids (a uuid[] parameter); None: every account


def text(value: str) -> sa.ColumnElement[str]:
    return sa.literal(value, sa.Text)


def entry_id(origin: str, row_id: sa.ColumnElement[object], kind: str) -> sa.ColumnElement[object]:
    """The derived entry's stable id: md5 of what it is, read as a uuid (see the module docstring)."""
    key = text(f"{origin}:") + sa.cast(row_id, sa.Text) + text(f":{kind}")
    return sa.cast(sa.func.md5(key), sa.Uuid)


def midnight_utc(day: sa.ColumnElement[object]) -> sa.ColumnElement[object]:
    return sa.func.timezone("UTC", sa.cast(day, sa.DateTime()), type_=TIMESTAMP)


def iso_day(day: sa.ColumnElement[object]) -> sa.ColumnElement[str]:
    return sa.func.to_char(day, "YYYY-MM-DD", type_=sa.Text)


def entry(
    *,
    origin: str,
    kind: str,
    row_id: sa.ColumnElement[object],
    account_id: sa.ColumnElement[object],
    occurred_at: sa.ColumnElement[object],
    summary: sa.ColumnElement[str],
    actor: sa.ColumnElement[object] | None = None,
    link_type: str | None = None,
) -> sa.Select[Any]:
    """A derived entry's columns, in ``ENTRY_COLUMNS`` order."""
    columns: list[sa.ColumnElement[Any]] = [
        entry_id(origin, row_id, kind).label("id"),
        account_id.label("account_id"),
        text(kind).label("kind"),
        sa.cast(occurred_at, TIMESTAMP).label("occurred_at"),
        summary.label("summary"),
        (actor if actor is not None else sa.null()).cast(sa.Text).label("actor"),
        (sa.null() if link_type else text(HUB_SOURCE)).cast(sa.Text).label("source"),
        text(origin).label("origin"),
        row_id.label("origin_id"),
        (text(link_type) if link_type else sa.null()).cast(sa.Text).label("link_type"),
    ]
    return sa.select(*columns)


def _of(account_id: sa.ColumnElement[Any], ids: Ids) -> sa.ColumnElement[bool]:
    return sa.true() if ids is None else account_id == sa.any_(ids)


contract = contracts.c


def _live(status: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return status.not_in(NOT_COUNTED)  # contracts that never ran


def _renews_an_earlier_contract() -> sa.ColumnElement[bool]:
    earlier = contracts.alias("earlier")
    return sa.exists().where(
        earlier.c.account_id == contract.account_id,
        earlier.c.end_date == contract.start_date,
        earlier.c.id != contract.id,
        _live(earlier.c.status),
    )


def _renewed_by_a_later_contract() -> sa.ColumnElement[bool]:
    later = contracts.alias("later")
    return sa.exists().where(
        later.c.account_id == contract.account_id,
        later.c.start_date == contract.end_date,
        later.c.id != contract.id,
        _live(later.c.status),
    )


def _runs_until() -> sa.ColumnElement[str]:
    return sa.case(
        (contract.end_date.is_(None), text(" (no end date)")), else_=text(" (ends ") + iso_day(contract.end_date) + ")"
    )


def contract_started(ids: Ids, today: sa.ColumnElement[Any]) -> sa.Select[Any]:
    started = entry(
        origin=CONTRACT, kind=CONTRACT_STARTED, row_id=contract.id, account_id=contract.account_id,
        occurred_at=midnight_utc(contract.start_date), summary=text("Contract started") + _runs_until(),
        link_type="contract",
    )  # fmt: skip
    return started.where(
        _of(contract.account_id, ids),
        _live(contract.status),
        contract.start_date <= today,
        ~_renews_an_earlier_contract(),
    )


def contract_renewed(ids: Ids, today: sa.ColumnElement[Any]) -> sa.Select[Any]:
    renewed = entry(
        origin=CONTRACT, kind=CONTRACT_RENEWED, row_id=contract.id, account_id=contract.account_id,
        occurred_at=midnight_utc(contract.start_date), summary=text("Contract renewed") + _runs_until(),
        link_type="contract",
    )  # fmt: skip
    return renewed.where(
        _of(contract.account_id, ids),
        _live(contract.status),
        contract.start_date <= today,
        _renews_an_earlier_contract(),
    )


def contract_ended(ids: Ids, today: sa.ColumnElement[Any]) -> sa.Select[Any]:
    summary = text("Contract ended (started ") + iso_day(contract.start_date) + ")"
    ended = entry(
        origin=CONTRACT, kind=CONTRACT_ENDED, row_id=contract.id, account_id=contract.account_id,
        occurred_at=midnight_utc(contract.end_date), summary=summary, link_type="contract",
    )  # fmt: skip
    return ended.where(
        _of(contract.account_id, ids),
        _live(contract.status),
        contract.end_date <= today,
        ~_renewed_by_a_later_contract(),
    )


ticket = tickets.c


def _subject() -> sa.ColumnElement[str]:
    return sa.func.coalesce(sa.func.nullif(sa.func.btrim(ticket.subject), ""), "(no subject)", type_=sa.Text)


def ticket_opened(ids: Ids, today: sa.ColumnElement[Any]) -> sa.Select[Any]:
    priority = sa.func.coalesce(text(" (") + ticket.priority + ")", "", type_=sa.Text)
    opened = entry(
        origin=TICKET, kind=TICKET_OPENED, row_id=ticket.id, account_id=ticket.account_id, occurred_at=ticket.opened_at,
        summary=text("Ticket opened") + priority + ": " + _subject(), link_type="ticket",
    )  # fmt: skip
    return opened.where(_of(ticket.account_id, ids))


def ticket_solved(ids: Ids, today: sa.ColumnElement[Any]) -> sa.Select[Any]:
    solved = entry(
        origin=TICKET, kind=TICKET_SOLVED, row_id=ticket.id, account_id=ticket.account_id, occurred_at=ticket.solved_at,
        summary=text("Ticket solved: ") + _subject(), link_type="ticket",
    )  # fmt: skip
    return solved.where(_of(ticket.account_id, ids), ticket.solved_at.is_not(None))


survey = survey_responses.c


def _excerpt(comment: sa.ColumnElement[object]) -> sa.ColumnElement[str]:
    """The comment on one line (runs of whitespace as one space), cut to ``EXCERPT`` characters; NULL when blank."""
    flat = sa.func.nullif(sa.func.btrim(sa.func.regexp_replace(comment, r"\s+", " ", "g")), "", type_=sa.Text)
    return sa.case((sa.func.length(flat) > EXCERPT, sa.func.left(flat, EXCERPT - 1) + text("…")), else_=flat)


def survey_answered(ids: Ids, today: sa.ColumnElement[Any]) -> sa.Select[Any]:
    quoted = sa.func.coalesce(text(': "') + _excerpt(survey.comment) + '"', "", type_=sa.Text)
    summary = sa.func.upper(survey.kind, type_=sa.Text) + " " + sa.cast(survey.score, sa.Text) + quoted
    answered = entry(
        origin=SURVEY, kind=SURVEY_ANSWERED, row_id=survey.id, account_id=survey.account_id,
        occurred_at=survey.responded_at,
        summary=summary, actor=survey.contact_email, link_type="survey_response",
    )  # fmt: skip
    return answered.where(_of(survey.account_id, ids))


event = handoff_events.c
_TRANSITION_VERBS = {
    "DRAFT": "created",
    "SUBMITTED": "submitted",
    "ACCEPTED": "accepted",
    "RETURNED": "returned",
    "KICKOFF_HELD": "kickoff held",
    "FIRST_VALUE_REACHED": "first value reached",
    "CANCELLED": "cancelled",
}


def handoff_transition(ids: Ids, today: sa.ColumnElement[Any]) -> sa.Select[Any]:
    verb = sa.case(_TRANSITION_VERBS, value=event.to_state, else_=sa.func.lower(event.to_state))
    states = sa.case(
        (event.from_state.is_(None), event.to_state), else_=event.from_state + text(" → ") + event.to_state
    )
    comment = sa.func.coalesce(text(": ") + sa.func.nullif(sa.func.btrim(event.comment), ""), "", type_=sa.Text)
    transition = entry(
        origin=HANDOFF, kind=HANDOFF_TRANSITION, row_id=event.id, account_id=event.account_id,
        occurred_at=event.occurred_at,
        summary=text("Handoff ") + verb + " (" + states + ")" + comment, actor=event.actor,
    )  # fmt: skip
    return transition.where(_of(event.account_id, ids))


def health_band_changed(ids: Ids, today: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """A score whose band differs from the one before it (``previous_band``, written with the score): rows of the
    partial index ``ix_health_scores_band_changes``, so a page reads the newest changes, not the score history."""
    scores = health_scores.c
    score = sa.func.coalesce(
        text(" (score ") + sa.cast(sa.func.trim_scale(scores.score), sa.Text) + ")", "", type_=sa.Text
    )
    summary = sa.cast(scores.score_name, sa.Text) + " health " + scores.previous_band + " → " + scores.band + score
    changed = entry(
        origin=HEALTH, kind=HEALTH_BAND_CHANGED, row_id=scores.id, account_id=scores.account_id,
        occurred_at=scores.computed_at,
        summary=summary,
    )  # fmt: skip
    return changed.where(scores.band != scores.previous_band, _of(scores.account_id, ids))
