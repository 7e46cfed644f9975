"""HubSpot webhook events (an array of up to 100: ``subscriptionType``, ``objectId``, ``occurredAt``,
``eventId``…) read into records, merges and skips.

- ``*.propertyChange`` (and ``object.propertyChange`` with ``objectTypeId``): the one property, read as an
  object of that property alone, so the ingest service lays it over what cshub has (a partial record) and
  ``occurredAt`` is its ``updated_at`` (an older change than the stored one is ``stale``). Several changes of
  one object in one request make one record. A property that maps to no cshub field is skipped; so is a
  contact's ``firstname`` or ``lastname`` alone (cshub keeps one name; the next contacts page carries both) and
  any deal property but ``dealstage``, ``deal_currency_code`` and ``dealtype`` (a deal's lines come with the
  deal) — and ``amount`` and ``closedate`` when the mapping's ``[deal.amount]`` makes the amount the deal's line
  (the line, and the dates it covers, follow them).
- ``*.creation``: skipped — the event holds only the id; the properties follow as property changes, or through
  ``POST /hubspot/v1/objects/{type}``.
- ``deal.deletion``: the contract cshub has for it takes the ``deleted`` stage's status (``cancelled``);
  ``company.deletion`` and ``contact.deletion`` are skipped (cshub keeps accounts and contacts: an account goes
  only by a merge).
- ``company.merge``: the merged companies' accounts are merged into the primary's (``mergeAccounts``); contact
  and deal merges are skipped.
- Anything else (``associationChange``, ``restore``, other object types) is skipped.
"""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from service.adapters.hubspot.deals import AMOUNT_PROPERTIES, read_deal
from service.adapters.hubspot.mapping import HubSpotMapping
from service.adapters.hubspot.objects import from_millis, object_id, read_company, read_contact
from service.adapters.hubspot.payloads import Merge, Translated
from service.adapters.writing import refused, skipped
from service.errors import BadRequest

# objectTypeId of the generic ``object.*`` subscriptions → the object kind.
OBJECT_TYPE_IDS = {"0-1": "contact", "0-2": "company", "0-3": "deal"}
ENTITIES = {"company": "accounts", "contact": "contacts", "deal": "contracts"}
DEAL_EVENT_PROPERTIES = frozenset({"dealstage", "deal_currency_code", "dealtype"})
NAME_PARTS = ("firstname", "lastname")


def read_events(body: Any, mapping: HubSpotMapping) -> Translated:
    if not isinstance(body, list):
        raise BadRequest(
            'the body must be HubSpot webhook events: [{"subscriptionType": "company.propertyChange", '
            '"objectId": ..., "occurredAt": ..., ...}, ...]'
        )
    out = Translated()
    changes: dict[tuple[str, str], list[tuple[int, Mapping[str, Any]]]] = {}
    for index, event in enumerate(body):
        item = f"events[{index}]"
        if not isinstance(event, dict):
            out.answered.append(refused(item, None, "events", item, "not a HubSpot webhook event"))
            continue
        subscription = event.get("subscriptionType")
        kind, _, action = subscription.partition(".") if isinstance(subscription, str) else ("", "", "")
        if kind == "object":
            kind = OBJECT_TYPE_IDS.get(str(event.get("objectTypeId", "")), f"object type {event.get('objectTypeId')}")
        if not action:
            out.answered.append(
                refused(item, None, "events", f"{item}.subscriptionType", "missing, or not object.action")
            )
            continue
        entity = ENTITIES.get(kind, "events")
        if action == "merge":
            _merge(item, kind, event, out)
            continue
        target = object_id(event.get("objectId"))
        if target is None:
            out.answered.append(refused(item, None, entity, f"{item}.objectId", "not a HubSpot object id"))
        elif kind not in ENTITIES:
            out.answered.append(skipped(item, target, entity, f"{subscription} events are not read by cshub"))
        elif action == "propertyChange":
            changes.setdefault((kind, target), []).append((index, event))
        elif action == "deletion" and kind == "deal":
            deleted = {"id": target, "archived": True, "updatedAt": from_millis(event.get("occurredAt"))}
            out.deals.append(read_deal(item, deleted, mapping, {}))
        elif action == "deletion":
            out.answered.append(
                skipped(item, target, entity, f"cshub keeps the {kind}: a HubSpot deletion does not remove it")
            )
        elif action == "creation":
            out.answered.append(
                skipped(
                    item,
                    target,
                    entity,
                    "a creation event carries only the id: the properties follow as propertyChange events, or send "
                    f"the {kind} to /hubspot/v1/objects",
                )
            )
        else:
            out.answered.append(skipped(item, target, entity, f"{subscription} events are not read by cshub"))
    for (kind, target), events in changes.items():
        _changed(kind, target, events, mapping, out)
    return out


def _merge(item: str, kind: str, event: Mapping[str, Any], out: Translated) -> None:
    primary = object_id(event.get("primaryObjectId"))
    merged_ids = event.get("mergedObjectIds")
    merged = tuple(
        merged_id
        for merged_id in (object_id(value) for value in (merged_ids if isinstance(merged_ids, list) else []))
        if merged_id is not None and merged_id != primary
    )
    entity = ENTITIES.get(kind, "events")
    if primary is None or not merged:
        out.answered.append(
            refused(item, primary, entity, item, "a merge event needs primaryObjectId and mergedObjectIds")
        )
    elif kind != "company":
        out.answered.append(skipped(item, primary, entity, f"cshub does not merge {kind}s: both stay as they are"))
    else:
        out.merges.append(Merge(item, primary, merged))


def _changed(
    kind: str, target: str, events: list[tuple[int, Mapping[str, Any]]], mapping: HubSpotMapping, out: Translated
) -> None:
    """One object's property changes as one partial record (the latest value of each property wins)."""
    events.sort(key=lambda entry: (_when(entry[1]), entry[0]))
    item = f"events[{','.join(str(index) for index, _ in sorted(events))}]"
    properties: dict[str, Any] = {}
    for _, event in events:
        name = event.get("propertyName")
        if isinstance(name, str) and name:
            properties[name.strip().lower()] = event.get("propertyValue")
    entity = ENTITIES[kind]
    latest = events[-1][1].get("occurredAt")
    raw = {"id": target, "properties": properties, "updatedAt": from_millis(latest)}
    if kind == "company":
        company = read_company(item, raw, mapping)
        if set(company.pending.record) <= {"external_id", "updated_at"}:
            out.answered.append(_unmapped(item, target, entity, properties))
        else:
            out.companies.append(company)
    elif kind == "contact":
        contact = read_contact(item, {**raw, "properties": _without_name_parts(properties)}, mapping)
        record = {
            key: value
            for key, value in contact.pending.record.items()
            if key not in ("account_external_id", "account_domain")  # placed by cshub's link, as it is
        }
        if set(record) <= {"external_id", "updated_at"} and set(properties) & set(NAME_PARTS):
            message = (
                "a first or last name alone is not applied: cshub keeps one name (the next contacts page has both)"
            )
            out.answered.append(skipped(item, target, entity, message))
        elif set(record) <= {"external_id", "updated_at"}:
            out.answered.append(_unmapped(item, target, entity, properties))
        else:
            out.contacts.append(replace(contact, pending=replace(contact.pending, record=record)))
    else:
        read = DEAL_EVENT_PROPERTIES | (AMOUNT_PROPERTIES if mapping.deal_amount is not None else frozenset())
        deal_properties = {name: value for name, value in properties.items() if name in read}
        deal = replace(read_deal(item, {**raw, "properties": deal_properties}, mapping, {}), change=True)
        if "dealstage" in deal_properties and deal.status is None:
            out.answered.append(
                skipped(item, target, entity, f"deal stage {deal_properties['dealstage']!r} maps to no contract status")
            )
        elif not deal_properties:
            out.answered.append(_unmapped(item, target, entity, properties))
        else:
            out.deals.append(deal)


def _without_name_parts(properties: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in properties.items() if name not in NAME_PARTS}


def _unmapped(item: str, target: str, entity: str, properties: Mapping[str, Any]) -> Any:
    names = ", ".join(sorted(properties)) or "no property"
    return skipped(
        item,
        target,
        entity,
        f"{names}: no cshub field or value (see the mapping: an owner not in [owners], an unmapped lifecycle stage, "
        "a property no table names)",
    )


def _when(event: Mapping[str, Any]) -> int:
    occurred = event.get("occurredAt")
    return occurred if isinstance(occurred, int) and not isinstance(occurred, bool) else 0
