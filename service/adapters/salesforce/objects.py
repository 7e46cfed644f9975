"""One Salesforce record (an sObject as the REST API, a Bulk API CSV row or a change event has it) → ingest records.

- Account → ``accounts``: Id → external id, Name, Website → domain (identity rules of ingest: this source's link,
  then the domain), ParentId, mapped fields (Industry; OwnerId → the owner's name through ``[owners]``, else the
  record's ``Owner.Name``).
- Contact → ``contacts`` in its AccountId's account (else the one its e-mail domain names): Name (or FirstName and
  LastName), Email, mapped fields (Title, Phone).
- Case → ``tickets``: Subject, Status, Priority and Type (→ category) through the mapping, CreatedDate → opened,
  ClosedDate → solved, in its AccountId's account (``service`` falls back on its ContactId's).
- Opportunity (closed-won) with its line items → a ``contracts`` record and its lines (``opportunities``).

``updated_at`` is the later of LastModifiedDate and SystemModstamp, or a change event's commitTimestamp: the ingest
service's stale protection. A deleted record (``IsDeleted`` of a queryAll, a DELETE event) is ``deleted``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.adapters.salesforce.fields import flag, latest, salesforce_id, timestamp, value
from service.adapters.salesforce.mapping import SalesforceMapping
from service.adapters.writing import Pending


@dataclass(frozen=True, slots=True)
class Read:
    """A record read: what to write, and what the service needs to place it."""

    pending: Pending
    deleted: bool
    contact_id: str | None = None  # a case's ContactId: its account when the case names none


def lowered(raw: Any) -> Any:
    return raw.strip().lower() if isinstance(raw, str) else raw


def mapped(table: Mapping[str, Any], raw: Any) -> Any:
    """``raw`` through a mapping table; a value the table lacks passes as it is (the record model names it)."""
    key = lowered(raw)
    return table.get(key, key) if isinstance(key, str) else raw


def updated_at(record: Mapping[str, Any], commit: Any = None) -> Any:
    if commit is not None:
        return timestamp(commit)
    return latest(record.get("LastModifiedDate"), record.get("SystemModstamp"))


def deleted(record: Mapping[str, Any]) -> bool:
    return flag(record.get("IsDeleted")) is True


def _base(record: Mapping[str, Any], commit: Any) -> tuple[str | None, dict[str, Any], dict[str, str]]:
    record_id = salesforce_id(record.get("Id"))
    fields: dict[str, Any] = {"external_id": record_id if record_id is not None else record.get("Id")}
    stamp = updated_at(record, commit)
    if stamp is not None:
        fields["updated_at"] = stamp
    return record_id, fields, {"external_id": "Id", "updated_at": "LastModifiedDate"}


def _put(record: Mapping[str, Any], name: str, target: str, fields: dict[str, Any], paths: dict[str, str]) -> None:
    """``name`` into ``target`` when the record carries it (a change event carries only what changed)."""
    if name in record:
        raw = record[name]
        fields[target] = None if raw == "" else raw
        paths[target] = name


def read_account(item: str, record: Mapping[str, Any], mapping: SalesforceMapping, commit: Any = None) -> Read:
    record_id, fields, paths = _base(record, commit)
    _put(record, "Name", "name", fields, paths)
    _put(record, "Website", "domain", fields, paths)
    if "ParentId" in record:
        fields["parent_external_id"] = salesforce_id(record["ParentId"])
        paths["parent_external_id"] = "ParentId"
    for name, target in mapping.account_fields.items():
        if name not in record:
            continue
        raw = record[name]
        if name == "OwnerId" or name.endswith("OwnerId") or name.endswith("Owner__c"):
            owner = salesforce_id(raw)
            raw = (mapping.owner(owner) if owner else None) or value(record, name.removesuffix("Id") + ".Name")
        fields[target] = None if raw in (None, "") else mapping.account_value(name, raw)
        paths[target] = name
    return Read(Pending(item, record_id, "accounts", fields, paths), deleted(record))


def read_contact(item: str, record: Mapping[str, Any], mapping: SalesforceMapping, commit: Any = None) -> Read:
    record_id, fields, paths = _base(record, commit)
    account = salesforce_id(record.get("AccountId"))
    if account is not None:
        fields["account_external_id"] = account
        paths["account_external_id"] = "AccountId"
    name = record.get("Name")
    if isinstance(name, Mapping):  # a change event's compound name
        name = " ".join(str(name[part]) for part in ("FirstName", "LastName") if name.get(part))
    elif name is None and ("FirstName" in record or "LastName" in record):
        name = " ".join(str(record[part]) for part in ("FirstName", "LastName") if record.get(part))
    if name is not None:
        fields["name"] = name or None
        paths["name"] = "Name"
    _put(record, "Email", "email", fields, paths)
    for field_name, target in mapping.contact_fields.items():
        _put(record, field_name, target, fields, paths)
    return Read(Pending(item, record_id, "contacts", fields, paths), deleted(record))


def read_case(item: str, record: Mapping[str, Any], mapping: SalesforceMapping, commit: Any = None) -> Read:
    record_id, fields, paths = _base(record, commit)
    account = salesforce_id(record.get("AccountId"))
    if account is not None:
        fields["account_external_id"] = account
        paths["account_external_id"] = "AccountId"
    _put(record, "Subject", "subject", fields, paths)
    if "Status" in record:
        fields["status"] = mapped(mapping.case_statuses, record["Status"])
        paths["status"] = "Status"
    if "Priority" in record:
        fields["priority"] = mapped(mapping.case_priorities, record["Priority"]) or None
        paths["priority"] = "Priority"
    if "Type" in record:
        fields["category"] = mapped(mapping.case_types, record["Type"]) or None
        paths["category"] = "Type"
    for name, target in (("CreatedDate", "opened_at"), ("ClosedDate", "solved_at")):
        if name in record:
            fields[target] = _stamp(record[name])
            paths[target] = name
    return Read(
        Pending(item, record_id, "tickets", fields, paths), deleted(record), salesforce_id(record.get("ContactId"))
    )


def _stamp(raw: Any) -> Any:
    return None if raw in (None, "") else latest(raw)
