"""Which cshub route a dlt table goes to, and the body a batch of its rows is sent as.

Each ``kind`` of pipeline has its own map of table names (the names dlt gives its tables: a resource's name, as
the destination's ``direct`` naming keeps it):

- ``salesforce``: dlt's verified Salesforce source (``account``, ``contact``, ``opportunity``,
  ``opportunity_line_item``; ``case`` for a pipeline that adds Cases) → ``POST /salesforce/v1/records`` as a REST
  query result, each row typed by its object (``attributes.type``), as Salesforce returns them;
- ``hubspot``: dlt's verified HubSpot source (``companies``, ``contacts``, ``deals``: each row the object's
  properties, flattened, with its ``id`` and association lists) or a pipeline yielding CRM v3 objects as HubSpot
  returns them (``{"id", "properties": {...}, "associations": {...}}``) → ``POST /hubspot/v1/objects/{type}`` as a
  list page; a deal row may carry its line items as ``line_items``, sent beside the page;
- ``zendesk``: dlt's verified Zendesk Support source (``tickets``, ``users``, ``organizations``,
  ``ticket_metric_events``) → ``POST /zendesk/v1/tickets`` as a page of the incremental export (or of the ticket
  metric events export, which give the tickets' first response and solved times); a ticket row may carry its
  metric set as ``metric_set`` (the source exports none), sent as the page's ``metric_sets``;
- ``cshub``: any pipeline whose tables are named like cshub's entities (``accounts``, ``contacts``,
  ``contracts``, ``tickets``, ``usage_events``, ``survey_responses``, ``timeline_events``) and whose rows are
  cshub records → ``POST /v1/ingest/{entity}``.

Tables a kind does not map (a verified source's ``lead``, ``owners``, ``ticket_fields``…) are not sent; the
destination logs them. Rows arrive with dlt's types (timestamps as datetimes, a ``decimal`` column as Decimal):
``encode`` writes them back as JSON the way the vendor's API writes them (HubSpot properties are all text).
"""

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

KINDS = ("salesforce", "hubspot", "zendesk", "cshub")

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Route:
    """Where the rows of one table go: ``path`` on the hub, ``body`` builds a request's body from rows, ``items``
    names the list the answer's ``item`` paths index (``records``, ``results``…; None for the generic route,
    whose results carry the row's index), and ``group_by`` keeps rows that must travel together (an
    opportunity's line items) in one request."""

    path: str
    body: Callable[[Sequence[Row]], dict[str, Any]]
    items: str | None
    id_field: str
    group_by: str | None = None


def _salesforce(sobject: str) -> Callable[[Sequence[Row]], dict[str, Any]]:
    def body(rows: Sequence[Row]) -> dict[str, Any]:
        records = [{"attributes": {"type": sobject}, **row} for row in rows]
        return {"totalSize": len(records), "done": True, "records": records}

    return body


SALESFORCE = {
    "account": "Account",
    "contact": "Contact",
    "opportunity": "Opportunity",
    "opportunity_line_item": "OpportunityLineItem",
    "case": "Case",
}

HUBSPOT = ("companies", "contacts", "deals")
# The verified source's association lists: ``{"companies": [{"value": <own id>, "companies_id": "42"}]}``.
HUBSPOT_ASSOCIATIONS = ("companies", "contacts", "deals", "line_items")
# What the verified source adds to an object's properties that is no HubSpot property.
HUBSPOT_NOT_PROPERTIES = frozenset({"id", "is_deleted", "archived", "createdAt", "updatedAt", "line_items"})

ZENDESK = ("tickets", "users", "organizations", "ticket_metric_events")

CSHUB = {
    "accounts": "accounts",
    "contacts": "contacts",
    "contracts": "contracts",
    "tickets": "tickets",
    "usage_events": "usage-events",
    "usage-events": "usage-events",
    "survey_responses": "survey-responses",
    "survey-responses": "survey-responses",
    "timeline_events": "timeline-events",
    "timeline-events": "timeline-events",
}


def route_for(kind: str, table: str, source: str) -> Route | None:
    """The route of ``table`` in a pipeline of ``kind``; None when cshub does not read that table."""
    if kind == "salesforce":
        sobject = SALESFORCE.get(table)
        if sobject is None:
            return None
        group = "OpportunityId" if sobject == "OpportunityLineItem" else None
        return Route("/salesforce/v1/records", _salesforce(sobject), "records", "Id", group)
    if kind == "hubspot":
        if table not in HUBSPOT:
            return None
        return Route(f"/hubspot/v1/objects/{table}", _hubspot_page(table), "results", "id")
    if kind == "zendesk":
        if table not in ZENDESK:
            return None
        return Route("/zendesk/v1/tickets", _zendesk_page(table), table, "id")
    entity = CSHUB.get(table)
    if entity is None:
        return None
    id_field = "event_id" if entity == "usage-events" else "external_id"
    return Route(f"/v1/ingest/{entity}", lambda rows: {"source": source, "records": list(rows)}, None, id_field)


def _hubspot_page(object_type: str) -> Callable[[Sequence[Row]], dict[str, Any]]:
    def body(rows: Sequence[Row]) -> dict[str, Any]:
        page: dict[str, Any] = {"results": [hubspot_object(row) for row in rows]}
        if object_type == "deals":
            lines = [row["line_items"] for row in rows if isinstance(row.get("line_items"), list)]
            page["line_items"] = [hubspot_object(line) for group in lines for line in group]
        return page

    return body


def _zendesk_page(table: str) -> Callable[[Sequence[Row]], dict[str, Any]]:
    def body(rows: Sequence[Row]) -> dict[str, Any]:
        if table != "tickets":
            return {table: list(rows)}
        page: dict[str, Any] = {"tickets": [{k: v for k, v in row.items() if k != "metric_set"} for row in rows]}
        metric_sets = [row["metric_set"] for row in rows if isinstance(row.get("metric_set"), Mapping)]
        if metric_sets:
            page["metric_sets"] = metric_sets
        return page

    return body


def hubspot_object(row: Row) -> dict[str, Any]:
    """A CRM v3 object: as it is when the row is one (it has ``properties``), else rebuilt from the verified
    source's flat row — its properties as HubSpot's text, its association lists as ``associations``."""
    if isinstance(row.get("properties"), Mapping):
        return {key: value for key, value in row.items() if key != "line_items"}
    object_id = row.get("id", row.get("hs_object_id"))
    properties = {
        key: _hubspot_text(value)
        for key, value in row.items()
        if key not in HUBSPOT_NOT_PROPERTIES and not (key in HUBSPOT_ASSOCIATIONS and isinstance(value, list))
    }
    out: dict[str, Any] = {"id": _hubspot_text(object_id), "properties": properties}
    associations = {
        kind: {"results": [{"id": _hubspot_text(one.get(f"{kind}_id"))} for one in ids if isinstance(one, Mapping)]}
        for kind in HUBSPOT_ASSOCIATIONS
        if isinstance(ids := row.get(kind), list)
    }
    if associations:
        out["associations"] = associations
    for key in ("createdAt", "updatedAt", "archived"):
        if key in row:
            out[key] = row[key]
    if row.get("is_deleted") is True:
        out["archived"] = True
    return out


def _hubspot_text(value: Any) -> Any:
    """HubSpot writes every property as text: timestamps ``2026-11-02T09:14:51.123Z``, numbers as digits."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return _utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | Decimal):
        return str(value)
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC) if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} cannot be sent as JSON")


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, default=_default, separators=(",", ":"), ensure_ascii=False).encode()
