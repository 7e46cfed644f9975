"""One Zendesk ticket (as its REST API, its incremental export or a webhook event's ``detail`` has it) → the cshub
ticket record and, when it was rated, the CSAT survey response.

Zendesk field → cshub field: ``id`` → external id; ``subject`` (else ``raw_subject``); ``status``, ``priority``
and ``type`` (→ category) through the mapping; ``created_at`` → opened; ``updated_at`` (stale protection);
``satisfaction_rating.score`` → csat through the mapping; ``custom_fields`` by id through the mapping; a
``metric_sets`` sideload's ``solved_at`` and first reply time (→ first response). The account is the ticket's
``organization_id`` (this source's id for the account); without one, the requester's organization, else the
requester's e-mail domain (``service.adapters.zendesk.service`` falls back on what cshub already knows).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.adapters.writing import Pending
from service.adapters.zendesk.mapping import ZendeskMapping

DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class TicketItem:
    ticket: Pending
    survey: Pending | None  # the CSAT response, when the ticket carries a rating
    deleted: bool  # written only when cshub knows the ticket (service)
    requester_id: str | None
    known_only: bool = False  # only some fields of a ticket (its metric events): written when cshub knows it


def zendesk_id(value: Any) -> str | None:
    """A Zendesk id (a number; webhooks send it as text); None for none (``null``, ``0``, blank)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return value.strip()
    return None


def lowered(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def mapped(table: Mapping[str, Any], value: Any) -> Any:
    """``value`` through a mapping table; a value the table lacks passes as it is (the record model names it)."""
    key = lowered(value)
    return table.get(key, key) if isinstance(key, str) else value


def account_reference(
    ticket: Mapping[str, Any], requester: Mapping[str, Any] | None
) -> tuple[dict[str, str], dict[str, str]]:
    """How the ticket names its account, and where that came from: its organization, its requester's, the
    requester's e-mail domain; ``{}`` when the payload says nothing of it."""
    if (org := zendesk_id(ticket.get("organization_id"))) is not None:
        return {"account_external_id": org}, {"account_external_id": "organization_id"}
    if requester is not None:
        if (org := zendesk_id(requester.get("organization_id"))) is not None:
            return {"account_external_id": org}, {"account_external_id": "requester.organization_id"}
        email = requester.get("email")
        if isinstance(email, str) and "@" in email:
            return {"account_domain": email.rsplit("@", 1)[1]}, {"account_domain": "requester.email"}
    return {}, {}


def read_ticket(
    item: str,
    ticket: Mapping[str, Any],
    mapping: ZendeskMapping,
    *,
    requester: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> TicketItem:
    ticket_id = zendesk_id(ticket.get("id"))
    status = lowered(ticket.get("status"))
    deleted = status == DELETED
    reference, paths = account_reference(ticket, requester)
    record: dict[str, Any] = {
        **reference,
        "external_id": ticket_id if ticket_id is not None else ticket.get("id"),
        "status": mapped(mapping.statuses, status),
        "opened_at": ticket.get("created_at"),
    }
    paths |= {"external_id": "id", "opened_at": "created_at"}
    if "subject" in ticket or "raw_subject" in ticket:
        subject = ticket.get("subject") or ticket.get("raw_subject")
        record["subject"] = subject if subject else None
        paths["subject"] = "subject"
    if "priority" in ticket:
        record["priority"] = mapped(mapping.priorities, ticket["priority"])
    if "type" in ticket:
        record["category"] = mapped(mapping.types, ticket["type"])
        paths["category"] = "type"
    if "updated_at" in ticket:
        record["updated_at"] = ticket["updated_at"]
    if metrics is not None:
        record |= _metric_fields(metrics, ticket.get("created_at"))
        paths |= {"solved_at": "metric_sets.solved_at", "first_response_at": "metric_sets.reply_time_in_minutes"}
    rating = ticket.get("satisfaction_rating")
    score = _score(rating, mapping)
    if "satisfaction_rating" in ticket:
        record["csat"] = score
        paths["csat"] = "satisfaction_rating.score"
    _custom_fields(ticket.get("custom_fields"), mapping, record, paths)
    survey = None
    if score is not None and ticket_id is not None and isinstance(rating, Mapping):
        survey = _survey(item, ticket_id, ticket, rating, score, reference, requester)
    return TicketItem(
        Pending(item, ticket_id, "tickets", record, paths), survey, deleted, zendesk_id(ticket.get("requester_id"))
    )


def _score(rating: Any, mapping: ZendeskMapping) -> int | None:
    """The CSAT score of a rating; None for none (``offered``, ``unoffered``, a score the mapping lacks)."""
    if not isinstance(rating, Mapping):
        return None
    return mapping.scores.get(lowered(rating.get("score")) or "")


def _custom_fields(fields: Any, mapping: ZendeskMapping, record: dict[str, Any], paths: dict[str, str]) -> None:
    """Mapped custom fields fill (and win over) the fields they name; an empty value leaves the field alone."""
    if not isinstance(fields, list):
        return
    for index, entry in enumerate(fields):
        if not isinstance(entry, Mapping):
            continue
        field_id = zendesk_id(entry.get("id"))
        target = mapping.custom_fields.get(field_id or "")
        value = entry.get("value")
        if target is None or field_id is None or value is None or value == "":
            continue
        value = mapping.custom_value(field_id, value)
        record[target] = mapped(mapping.priorities, value) if target == "priority" else value
        paths[target] = f"custom_fields[{index}].value"


def _metric_fields(metrics: Mapping[str, Any], created_at: Any) -> dict[str, Any]:
    """From the ticket's metric set: when it was solved, and its first reply (created + the reply time)."""
    fields: dict[str, Any] = {}
    if "solved_at" in metrics:
        fields["solved_at"] = metrics["solved_at"]
    minutes = metrics.get("reply_time_in_minutes")
    calendar = minutes.get("calendar") if isinstance(minutes, Mapping) else None
    if isinstance(calendar, int) and not isinstance(calendar, bool) and isinstance(created_at, str):
        try:
            opened = dt.datetime.fromisoformat(created_at)
        except ValueError:
            return fields  # the ticket's own created_at is refused with its path
        fields["first_response_at"] = (opened + dt.timedelta(minutes=calendar)).isoformat()
    return fields


def _survey(
    item: str,
    ticket_id: str,
    ticket: Mapping[str, Any],
    rating: Mapping[str, Any],
    score: int,
    reference: dict[str, str],
    requester: Mapping[str, Any] | None,
) -> Pending:
    """The rating as a CSAT survey response, keyed by the ticket (one rating per ticket). ``responded_at`` is the
    ticket's last update; the service keeps the stored one while score and comment stay the same."""
    comment = rating.get("comment")
    record: dict[str, Any] = {
        **reference,
        "external_id": ticket_id,
        "kind": "csat",
        "score": score,
        "comment": comment if isinstance(comment, str) and comment.strip() else None,
        "responded_at": ticket.get("updated_at"),
    }
    if "updated_at" in ticket:
        record["updated_at"] = ticket["updated_at"]
    email = requester.get("email") if requester is not None else None
    if isinstance(email, str) and email.strip():
        record["contact_email"] = email
    paths = {
        "score": "satisfaction_rating.score",
        "comment": "satisfaction_rating.comment",
        "responded_at": "updated_at",
        "contact_email": "requester.email",
        "external_id": "id",
    }
    return Pending(item, ticket_id, "survey-responses", record, paths)
