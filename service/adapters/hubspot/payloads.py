"""What a HubSpot payload holds, read into records: CRM objects of one type as the v3 API returns them — a list
or search page (``{"results": [...], "paging": {...}}``), a batch read (``{"status": "COMPLETE", "results":
[...]}``) or one object (``{"id": ..., "properties": {...}}``) — and, for deals, their line items beside them
(``"line_items": [...]`` or a batch read of them).

A body that is none of these is refused as a whole (``BadRequest``); an object that cannot be read is answered
as rejected, naming it (``results[3]``), while the others are written.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.adapters.hubspot.deals import DealItem, line_items_by_id, read_deal
from service.adapters.hubspot.mapping import HubSpotMapping
from service.adapters.hubspot.objects import ObjectItem, read_company, read_contact
from service.adapters.writing import ItemResult, refused
from service.errors import BadRequest

OBJECT_TYPES = {"companies": "accounts", "contacts": "contacts", "deals": "contracts"}
SINGULAR = {"companies": "company", "contacts": "contact", "deals": "deal"}


@dataclass(frozen=True, slots=True)
class Merge:
    """A ``company.merge`` event: ``merged`` companies became ``primary``."""

    item: str
    primary: str
    merged: tuple[str, ...]


@dataclass(slots=True)
class Translated:
    companies: list[ObjectItem] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    contacts: list[ObjectItem] = field(default_factory=list)
    deals: list[DealItem] = field(default_factory=list)
    answered: list[ItemResult] = field(default_factory=list)  # refused or skipped before any write
    single: str | None = None  # the one item of a one-object payload: a refusal is the answer's


def read_objects(object_type: str, body: Any, mapping: HubSpotMapping) -> Translated:
    entity = OBJECT_TYPES[object_type]
    if not isinstance(body, dict) or not ("results" in body or "id" in body or "properties" in body):
        raise BadRequest(
            f'the body must be HubSpot {object_type} as its CRM v3 API returns them: {{"results": [...], '
            '"paging": {...}} (a list, search or batch-read page) or one object {"id": ..., "properties": {...}}'
        )
    if "results" in body and not isinstance(body["results"], list):
        raise BadRequest(f"'results' must be an array of HubSpot {object_type}")
    objects = (
        [(f"results[{i}]", raw) for i, raw in enumerate(body["results"])] if "results" in body else [("object", body)]
    )
    out = Translated(single="object" if "results" not in body else None)
    line_items: Mapping[str, Mapping[str, Any]] = {}
    if object_type == "deals":
        line_items = line_items_by_id(_line_items(body.get("line_items")))
    for item, raw in objects:
        if not isinstance(raw, dict):
            out.answered.append(refused(item, None, entity, item, f"not a HubSpot {SINGULAR[object_type]} object"))
        elif object_type == "companies":
            out.companies.append(read_company(item, raw, mapping))
        elif object_type == "contacts":
            out.contacts.append(read_contact(item, raw, mapping))
        else:
            out.deals.append(read_deal(item, raw, mapping, line_items))
    return out


def _line_items(value: Any) -> list[Any]:
    """Line items beside the deals: an array of objects, or a batch read / list page of them."""
    if value is None:
        return []
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        return list(value["results"])
    if isinstance(value, list):
        return value
    raise BadRequest("'line_items' must be an array of HubSpot line items, or a batch read of them")
