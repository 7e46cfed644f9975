"""What a Zendesk payload holds, read into records: a tickets page of the REST API (``{"tickets": [...]}``,
``?include=users,organizations``), a page of the incremental export (the same, with ``after_cursor``,
``end_of_stream`` and maybe ``metric_sets``), one ticket (``{"ticket": {...}}``), organizations and users
alone, or a page of ticket metric events (``service.adapters.zendesk.metric_events``); and a webhook event
(``zen:event-type:ticket.*``, whose ``detail`` is the ticket as it now is).

A body that is none of these is refused as a whole (``BadRequest``); an item that cannot be read is answered as
rejected, naming it (``tickets[3]``), while the others are written.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.adapters.writing import ItemResult, Pending, refused, skipped
from service.adapters.zendesk.mapping import ZendeskMapping
from service.adapters.zendesk.metric_events import KEY as METRIC_EVENTS
from service.adapters.zendesk.metric_events import read_metric_events
from service.adapters.zendesk.people import read_organization, read_user
from service.adapters.zendesk.tickets import TicketItem, read_ticket, zendesk_id
from service.errors import BadRequest

EVENT_PREFIX = "zen:event-type:"
# The ticket events that delete it (Zendesk's names; ``ticket.deleted`` is accepted as well).
DELETING_EVENTS = frozenset(
    {"ticket.soft_deleted", "ticket.permanently_deleted", "ticket.marked_as_spam", "ticket.deleted"}
)
PAGE_KEYS = ("tickets", "ticket", "organizations", "users", METRIC_EVENTS)


@dataclass(slots=True)
class Translated:
    accounts: list[Pending] = field(default_factory=list)
    contacts: list[Pending] = field(default_factory=list)
    tickets: list[TicketItem] = field(default_factory=list)
    answered: list[ItemResult] = field(default_factory=list)  # refused or skipped before any write
    single: str | None = None  # the one item of a one-ticket payload or an event: a refusal is the answer's


def read_page(body: Any, mapping: ZendeskMapping) -> Translated:
    if not isinstance(body, dict) or not any(key in body for key in PAGE_KEYS):
        raise BadRequest(
            'the body must be a Zendesk payload: {"tickets": [...]} (a REST or incremental-export page, with '
            '"users" and "organizations" sideloads if any), {"ticket": {...}}, {"organizations"|"users": [...]} or '
            '{"ticket_metric_events": [...]}'
        )
    for key in ("tickets", "organizations", "users", "metric_sets", METRIC_EVENTS):
        if key in body and not isinstance(body[key], list):
            raise BadRequest(f"'{key}' must be an array of Zendesk {key.replace('_', ' ')}")
    if "ticket" in body and not isinstance(body["ticket"], dict):
        raise BadRequest("'ticket' must be a Zendesk ticket object")
    out = Translated()
    tickets = [("ticket", body["ticket"])] if "ticket" in body else []
    tickets += [(f"tickets[{i}]", ticket) for i, ticket in enumerate(body.get("tickets", []))]
    out.single = "ticket" if "ticket" in body and len(tickets) == 1 else None
    users = _by_id(body.get("users", []))
    metrics = {
        zendesk_id(entry.get("ticket_id")): entry for entry in body.get("metric_sets", []) if isinstance(entry, dict)
    }
    ticket_orgs: dict[str, str] = {}
    for index, raw in enumerate(body.get("organizations", [])):
        item = f"organizations[{index}]"
        if isinstance(raw, dict):
            out.accounts.append(read_organization(item, raw, mapping))
        else:
            out.answered.append(refused(item, None, "accounts", item, "not a Zendesk organization object"))
    for item, raw in tickets:
        if not isinstance(raw, dict):
            out.answered.append(refused(item, None, "tickets", item, "not a Zendesk ticket object"))
            continue
        requester = users.get(zendesk_id(raw.get("requester_id")) or "")
        read = read_ticket(item, raw, mapping, requester=requester, metrics=metrics.get(zendesk_id(raw.get("id"))))
        out.tickets.append(read)
        org = zendesk_id(raw.get("organization_id"))
        if read.requester_id is not None and org is not None:
            ticket_orgs.setdefault(read.requester_id, org)
    timed, refused_events = read_metric_events(body.get(METRIC_EVENTS, []))
    out.tickets += timed
    out.answered += refused_events
    for index, raw in enumerate(body.get("users", [])):
        item = f"users[{index}]"
        if not isinstance(raw, dict):
            out.answered.append(refused(item, None, "contacts", item, "not a Zendesk user object"))
            continue
        user = read_user(item, raw, mapping, ticket_orgs)
        if isinstance(user, ItemResult):
            out.answered.append(user)
        else:
            out.contacts.append(user)
    return out


def read_event(body: Any, mapping: ZendeskMapping) -> Translated:
    """A webhook event: a ticket event writes the ticket its ``detail`` describes (deleting events: as deleted);
    events of other types are answered as skipped."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"].startswith(EVENT_PREFIX):
        raise BadRequest(
            'the body must be a Zendesk webhook event: {"type": "zen:event-type:ticket.created", "detail": {...}, ...}'
        )
    kind = body["type"].removeprefix(EVENT_PREFIX)
    out = Translated(single="event.detail")
    subject_id = zendesk_id(str(body.get("subject", "")).rpartition(":")[2])
    if not kind.startswith("ticket."):
        out.answered.append(skipped("event", subject_id, "tickets", f"{body['type']} events are not ticket events"))
        return out
    detail = body.get("detail")
    if not isinstance(detail, dict):
        out.answered.append(
            refused("event.detail", subject_id, "tickets", "event.detail", "a ticket event needs its detail")
        )
        return out
    ticket = {**detail, "status": "deleted"} if kind in DELETING_EVENTS else detail
    out.tickets.append(read_ticket("event.detail", _as_ticket(ticket), mapping))
    return out


def _as_ticket(detail: Mapping[str, Any]) -> dict[str, Any]:
    """A webhook's detail is the ticket without satisfaction rating or custom fields; its keys are the ticket's."""
    return {key: value for key, value in detail.items() if key not in ("satisfaction_rating", "custom_fields")}


def _by_id(entries: list[Any]) -> dict[str, Mapping[str, Any]]:
    return {user_id: entry for entry in entries if isinstance(entry, dict) and (user_id := zendesk_id(entry.get("id")))}
