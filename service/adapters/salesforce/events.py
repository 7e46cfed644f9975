"""Change Data Capture events: ``{"ChangeEventHeader": {"entityName", "changeType", "recordIds",
"commitTimestamp", "changedFields", …}, <the changed fields>}``, one or a list (or ``{"events": [...]}``; an event
as the Streaming API wraps it, ``{"payload": {...}, "event": {"replayId": …}}``, is unwrapped).

- CREATE, UPDATE, UNDELETE of an Account, Contact or Case: each of ``recordIds`` is written with the event's
  fields (an UPDATE carries only what changed: the ingest service completes it from the record it has);
  ``commitTimestamp`` is its ``updated_at``, so an older event arriving late is stale.
- DELETE: a Case's ticket is closed (``[case.status]`` of ``Closed``), an Opportunity's contract cancelled —
  when cshub has them; an Account or Contact is kept (cshub does not delete customers on a CRM's word) and the
  event answered as skipped.
- An Opportunity or OpportunityLineItem created or changed: an event carries no line items, so the records are
  listed under ``requery`` (query them with their ``OpportunityLineItems`` and send the result to
  ``/salesforce/v1/records``), and answered as skipped.
- GAP_CREATE, GAP_UPDATE, GAP_DELETE, GAP_UNDELETE (Salesforce could not send the change) and GAP_OVERFLOW:
  nothing written; listed under ``requery`` and answered as skipped, so a gap is never silently dropped.
"""

from collections.abc import Mapping
from typing import Any

from service.adapters.salesforce.fields import salesforce_id
from service.adapters.salesforce.mapping import SalesforceMapping
from service.adapters.salesforce.payloads import ENTITIES, Reader, Translated
from service.adapters.writing import refused, skipped
from service.errors import BadRequest

HEADER = "ChangeEventHeader"
CHANGES = ("CREATE", "UPDATE", "UNDELETE", "DELETE")
OPPORTUNITIES = ("Opportunity", "OpportunityLineItem")


def read_events(body: Any, mapping: SalesforceMapping) -> Translated:
    events = body.get("events") if isinstance(body, dict) and HEADER not in body and "payload" not in body else body
    if isinstance(events, dict):
        events = [events]
    if not isinstance(events, list) or not events:
        raise BadRequest(
            'the body must be Salesforce change events: {"ChangeEventHeader": {"entityName": "Account", '
            '"changeType": "UPDATE", "recordIds": [...], "commitTimestamp": …}, …}, a list of them, or '
            '{"events": [...]}'
        )
    reader = Reader(mapping)
    for index, event in enumerate(events):
        _event(reader, f"events[{index}]", event)
    return reader.finish()


def _event(reader: Reader, item: str, event: Any) -> None:
    out = reader.out
    if isinstance(event, Mapping) and isinstance(event.get("payload"), Mapping):
        event = event["payload"]
    header = event.get(HEADER) if isinstance(event, Mapping) else None
    if not isinstance(header, Mapping):
        out.answered.append(
            refused(item, None, "records", f"{item}.{HEADER}", "not a change event (no ChangeEventHeader)")
        )
        return
    entity, change, ids = header.get("entityName"), header.get("changeType"), header.get("recordIds")
    if not isinstance(entity, str) or not isinstance(change, str) or not isinstance(ids, list):
        out.answered.append(
            refused(item, None, "records", f"{item}.{HEADER}", "entityName, changeType and recordIds are required")
        )
        return
    kind = ENTITIES.get(entity, "records")
    commit = header.get("commitTimestamp")
    if change.startswith("GAP_") or change not in CHANGES:
        out.requery.append({"item": item, "entityName": entity, "changeType": change, "recordIds": list(map(str, ids))})
        reason = f"{change}: Salesforce sent no change data; query {entity} {', '.join(map(str, ids)) or '(all)'} again"
        out.answered.append(skipped(item, None, kind, reason))
        return
    if not isinstance(commit, int) or isinstance(commit, bool):
        out.answered.append(refused(item, None, kind, f"{item}.{HEADER}.commitTimestamp", "must be epoch milliseconds"))
        return
    fields = {name: value for name, value in event.items() if name != HEADER}
    for position, raw_id in enumerate(ids):
        at = item if len(ids) == 1 else f"{item}.recordIds[{position}]"
        record_id = salesforce_id(raw_id)
        if record_id is None:
            out.answered.append(
                refused(at, None, kind, f"{item}.{HEADER}.recordIds[{position}]", "not a Salesforce id")
            )
            continue
        if change == "DELETE":
            if entity in ("Account", "Contact"):
                reason = f"a deleted Salesforce {entity}: cshub keeps its {kind} (archive it in cshub if it is gone)"
                out.answered.append(skipped(at, record_id, kind, reason))
                continue
            if entity == "OpportunityLineItem":
                _requery(reader, at, entity, change, record_id)
                continue
            reader.take(at, entity, {"Id": record_id, "IsDeleted": True}, commit)
        elif entity in OPPORTUNITIES:
            _requery(reader, at, entity, change, record_id)
        else:
            reader.take(at, entity, {**fields, "Id": record_id}, commit)


def _requery(reader: Reader, item: str, entity: str, change: str, record_id: str) -> None:
    reader.out.requery.append({"item": item, "entityName": entity, "changeType": change, "recordIds": [record_id]})
    reason = f"a {entity} change event carries no line items: query the opportunity with its OpportunityLineItems"
    reader.out.answered.append(skipped(item, record_id, "contracts", reason))
