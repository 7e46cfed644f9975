"""HubSpot CRM objects (v3: ``{"id", "properties", "createdAt", "updatedAt", "archived", "associations"}``):
companies → cshub accounts, contacts → cshub contacts.

A company is an ``accounts`` record of the HubSpot source (external id: its id), so it is matched like any
account record — this source's link, then its domain — and creates the account when nothing matches. A contact
is a ``contacts`` record in its associated company's account (the primary association, else
``associatedcompanyid``), else the one its e-mail domain names.

Only the properties an object carries are read (HubSpot returns the ones asked for): a property left out keeps
what cshub has (the ingest service's partial records), one that is ``null`` or ``""`` clears the field. The same
readers read a ``propertyChange`` webhook event, as an object of one property.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.adapters.hubspot.mapping import OWNER_FIELDS, HubSpotMapping
from service.adapters.writing import Pending


@dataclass(frozen=True, slots=True)
class ObjectItem:
    """A read object: its record, and whether it names its account itself (else the service finds it)."""

    pending: Pending
    archived: bool = False
    # A company's: the contacts and deals its associations list, as (cshub object type, HubSpot id).
    names: tuple[tuple[str, str], ...] = ()


def object_id(value: Any) -> str | None:
    """HubSpot ids are strings of digits in v3 (numbers in webhook events)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    return None


def properties_of(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = raw.get("properties")
    return properties if isinstance(properties, Mapping) else {}


def updated_at(raw: Mapping[str, Any], modified: str) -> Any:
    """When the object last changed: ``updatedAt``, else its last-modified property (both ISO 8601)."""
    value = raw.get("updatedAt")
    return value if value is not None else properties_of(raw).get(modified)


def from_millis(value: Any) -> Any:
    """A webhook's ``occurredAt`` (milliseconds since the epoch) as ISO 8601; anything else as it is (refused by
    the record's validation, naming the field)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 253_402_300_800_000:
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC).isoformat()
    return value


def association_results(raw: Mapping[str, Any], *kinds: str) -> list[Mapping[str, Any]] | None:
    """The entries of the object's association list of the first of ``kinds`` it holds (line items come as
    ``line items`` or ``line_items``); None when it holds none of them."""
    associations = raw.get("associations")
    if not isinstance(associations, Mapping):
        return None
    group = next((associations[kind] for kind in kinds if associations.get(kind)), None)
    results = group.get("results") if isinstance(group, Mapping) else None
    return [entry for entry in results if isinstance(entry, Mapping)] if isinstance(results, list) else None


def associated(raw: Mapping[str, Any], kind: str, primary: str) -> str | None:
    """The id of the associated object of ``kind`` (``companies``): the one of the ``primary`` association type
    (``contact_to_company``), else the first."""
    entries = [entry for entry in association_results(raw, kind) or () if object_id(entry.get("id"))]
    chosen = next((entry for entry in entries if entry.get("type") == primary), entries[0] if entries else None)
    return object_id(chosen.get("id")) if chosen is not None else None


# A company's association lists (``?associations=contacts,deals``) → the object type cshub links them as.
NAMED_BY_COMPANY = {"contacts": "contact", "deals": "contract"}


def named_by(raw: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The contacts and deals a company's associations list, each once."""
    named: dict[tuple[str, str], None] = {}
    for kind, object_type in NAMED_BY_COMPANY.items():
        for entry in association_results(raw, kind) or ():
            if (named_id := object_id(entry.get("id"))) is not None:
                named[(object_type, named_id)] = None
    return tuple(named)


def _blank(value: Any) -> Any:
    return None if value == "" else value


def read_company(item: str, raw: Mapping[str, Any], mapping: HubSpotMapping) -> ObjectItem:
    company_id = object_id(raw.get("id"))
    props = properties_of(raw)
    record: dict[str, Any] = {"external_id": company_id}  # None (refused, naming "id") when not a HubSpot id
    paths = {"external_id": "id", "name": "properties.name", "updated_at": "updatedAt"}

    def put(field: str, prop: str, value: Any) -> None:
        record[field] = value
        paths[field] = f"properties.{prop}"

    for field, prop in (("name", "name"), ("domain", "domain")):
        if prop in props:
            put(field, prop, _blank(props[prop]))
    if "industry" in props:
        industry = _blank(props["industry"])
        put("industry", "industry", _readable(industry) if isinstance(industry, str) else industry)
    if "lifecyclestage" in props:
        stage = _blank(props["lifecyclestage"])
        mapped = mapping.lifecycle_stages.get(stage.strip().lower()) if isinstance(stage, str) else None
        if stage is None or mapped is not None:
            put("lifecycle_stage", "lifecyclestage", mapped)
    if "hs_parent_company_id" in props:
        parent = _blank(props["hs_parent_company_id"])
        put("parent_external_id", "hs_parent_company_id", object_id(parent) or parent)
    for prop, target in mapping.company_properties.items():
        if prop in props:
            value = _mapped(props[prop], target, mapping)
            if value is not _UNKNOWN_OWNER:
                put(target, prop, value)
    if (when := updated_at(raw, "hs_lastmodifieddate")) is not None:
        record["updated_at"] = when
        paths["updated_at"] = "updatedAt"
    pending = Pending(item, company_id, "accounts", record, paths)
    return ObjectItem(pending, archived=raw.get("archived") is True, names=named_by(raw) if company_id else ())


def read_contact(item: str, raw: Mapping[str, Any], mapping: HubSpotMapping) -> ObjectItem:
    contact_id = object_id(raw.get("id"))
    props = properties_of(raw)
    record: dict[str, Any] = {"external_id": contact_id}
    paths = {"external_id": "id", "updated_at": "updatedAt"}
    company = associated(raw, "companies", "contact_to_company") or object_id(props.get("associatedcompanyid"))
    email = _blank(props.get("email"))
    if company is not None:
        record["account_external_id"] = company
        paths["account_external_id"] = "associations.companies"
    elif isinstance(email, str) and "@" in email:
        record["account_domain"] = email.rsplit("@", 1)[1]
        paths["account_domain"] = "properties.email"
    if "email" in props:
        record["email"] = email
        paths["email"] = "properties.email"
    if "firstname" in props or "lastname" in props:
        parts = [str(props[key]).strip() for key in ("firstname", "lastname") if _blank(props.get(key)) is not None]
        record["name"] = " ".join(part for part in parts if part) or None
        paths["name"] = "properties.firstname"
    for prop, target in mapping.contact_properties.items():
        if prop in props:
            record[target] = _blank(props[prop])
            paths[target] = f"properties.{prop}"
    if (when := updated_at(raw, "lastmodifieddate")) is not None:
        record["updated_at"] = when
        paths["updated_at"] = "updatedAt"
    return ObjectItem(Pending(item, contact_id, "contacts", record, paths), archived=raw.get("archived") is True)


_UNKNOWN_OWNER = object()


def _mapped(value: Any, target: str, mapping: HubSpotMapping) -> Any:
    value = _blank(value)
    if target in OWNER_FIELDS and value is not None:
        name = mapping.owners.get(str(value).strip())
        return name if name is not None else _UNKNOWN_OWNER
    if target == "lifecycle_stage" and isinstance(value, str):
        return mapping.lifecycle_stages.get(value.strip().lower(), value)
    return value


def _readable(value: str) -> str:
    """HubSpot's industry options are constants (``COMPUTER_SOFTWARE``): shown as words (``Computer Software``)."""
    if value.isupper() or "_" in value:
        return " ".join(word.capitalize() for word in value.split("_") if word)
    return value
