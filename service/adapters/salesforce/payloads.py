"""What a Salesforce payload holds, read into records:

- a REST query result (``{"totalSize": …, "done": …, "records": [{"attributes": {"type": "Account", …}, …}]}``),
  each record's type from its ``attributes``; a relationship sub-query's records (``OpportunityLineItems``,
  ``Contacts``, ``Cases``, ``Opportunities``: ``{"records": [...]}``) are read with their parent (an Account's
  children take its Id as their AccountId; an Opportunity's line items are its contract's lines);
- a Bulk API 2.0 query result: CSV, a header row of API field names (``Account.Name`` for a relationship), one
  object per request (``read_csv``); an empty field is null;
- Change Data Capture events (``read_events``).

Line items without their opportunity in the payload are the full set of lines of a contract cshub already has.
A body that is none of these is refused as a whole (``BadRequest``); an item that cannot be read is answered as
rejected or skipped, naming it (``records[3]``), while the others are written.
"""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.adapters.salesforce.fields import salesforce_id
from service.adapters.salesforce.mapping import SalesforceMapping
from service.adapters.salesforce.objects import Read, read_account, read_case, read_contact
from service.adapters.salesforce.opportunities import Opportunity, line_items_only, read_opportunity
from service.adapters.writing import ItemResult, refused, skipped
from service.errors import BadRequest, PayloadTooLarge

OBJECTS = {"Account": "accounts", "Contact": "contacts", "Case": "tickets", "Opportunity": "contracts"}
LINE_ITEM = "OpportunityLineItem"
ENTITIES = {**OBJECTS, LINE_ITEM: "contracts"}
# A query result's paging, echoed for the puller's log (when it has Salesforce's types).
PAGING_KEYS = {"totalSize": (int,), "done": (bool,), "nextRecordsUrl": (str,)}


@dataclass(slots=True)
class Translated:
    accounts: list[Read] = field(default_factory=list)
    contacts: list[Read] = field(default_factory=list)
    cases: list[Read] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    answered: list[ItemResult] = field(default_factory=list)  # refused or skipped before any write
    requery: list[dict[str, Any]] = field(default_factory=list)  # records to query again (gaps, overflows)
    paging: dict[str, Any] = field(default_factory=dict)  # a query result's totalSize, done, nextRecordsUrl


@dataclass(slots=True)
class Reader:
    mapping: SalesforceMapping
    out: Translated = field(default_factory=Translated)
    opportunities: dict[str, tuple[str, Mapping[str, Any], Any]] = field(default_factory=dict)
    lines: dict[str, list[tuple[str, Mapping[str, Any]]]] = field(default_factory=dict)
    nested_lines: set[str] = field(default_factory=set)

    def take(
        self, item: str, sobject: str, record: Any, commit: Any = None, parent: Mapping[str, Any] | None = None
    ) -> None:
        if not isinstance(record, Mapping):
            self.out.answered.append(
                refused(item, None, ENTITIES.get(sobject, "records"), item, "not a Salesforce record")
            )
            return
        if sobject not in ENTITIES:
            reason = f"{sobject} records are not read (Account, Contact, Opportunity, OpportunityLineItem, Case are)"
            self.out.answered.append(skipped(item, salesforce_id(record.get("Id")), "records", reason))
            return
        record = dict(record)
        if parent is not None and not record.get("AccountId") and salesforce_id(parent.get("Id")):
            record["AccountId"] = parent["Id"]
        if sobject == "Account":
            self.out.accounts.append(read_account(item, record, self.mapping, commit))
        elif sobject == "Contact":
            self.out.contacts.append(read_contact(item, record, self.mapping, commit))
        elif sobject == "Case":
            self.out.cases.append(read_case(item, record, self.mapping, commit))
        elif sobject == "Opportunity":
            self._opportunity(item, record, commit)
        else:
            self._line(item, record)
        for key, sub in record.items():
            if sobject == "Account" and isinstance(sub, Mapping) and isinstance(sub.get("records"), list):
                for index, child in enumerate(sub["records"]):
                    child_type = _type(child) or {"Contacts": "Contact", "Cases": "Case"}.get(key, "Opportunity")
                    self.take(f"{item}.{key}.records[{index}]", child_type, child, parent=record)

    def _opportunity(self, item: str, record: dict[str, Any], commit: Any) -> None:
        record_id = salesforce_id(record.get("Id")) or item
        sub = record.get("OpportunityLineItems")
        if isinstance(sub, Mapping) and isinstance(sub.get("records"), list):
            self.nested_lines.add(record_id)
            for index, line in enumerate(sub["records"]):
                self._line(f"{item}.OpportunityLineItems.records[{index}]", line, record_id)
        self.opportunities[record_id] = (item, record, commit)

    def _line(self, item: str, record: Any, opportunity_id: str | None = None) -> None:
        if not isinstance(record, Mapping):
            self.out.answered.append(refused(item, None, "contracts", item, "not a Salesforce OpportunityLineItem"))
            return
        opportunity_id = opportunity_id or salesforce_id(record.get("OpportunityId"))
        if opportunity_id is None:
            self.out.answered.append(
                refused(
                    item,
                    salesforce_id(record.get("Id")),
                    "contracts",
                    f"{item}.OpportunityId",
                    "a line item needs its OpportunityId",
                )
            )
            return
        self.lines.setdefault(opportunity_id, []).append((item, record))

    def finish(self) -> Translated:
        for opportunity_id, (item, record, commit) in self.opportunities.items():
            lines = self.lines.pop(opportunity_id, None)
            if lines is None and opportunity_id in self.nested_lines:
                lines = []
            self.out.opportunities.append(read_opportunity(item, record, self.mapping, lines, commit))
        for opportunity_id, lines in self.lines.items():
            self.out.opportunities.append(line_items_only(lines[0][0], opportunity_id, lines, self.mapping))
        return self.out


def _type(record: Any) -> str | None:
    attributes = record.get("attributes") if isinstance(record, Mapping) else None
    kind = attributes.get("type") if isinstance(attributes, Mapping) else None
    return kind if isinstance(kind, str) else None


def read_records(body: Any, mapping: SalesforceMapping) -> Translated:
    """A REST query result (or a composite of them: ``records`` of mixed types)."""
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise BadRequest(
            'the body must be a Salesforce query result: {"totalSize": …, "done": …, "records": [{"attributes": '
            '{"type": "Account", …}, "Id": …, …}]}'
        )
    reader = Reader(mapping)
    for index, record in enumerate(body["records"]):
        item = f"records[{index}]"
        sobject = _type(record)
        if sobject is None and isinstance(record, Mapping):
            reader.out.answered.append(
                refused(
                    item,
                    salesforce_id(record.get("Id")),
                    "records",
                    f"{item}.attributes.type",
                    "the record's type is missing",
                )
            )
            continue
        reader.take(item, sobject or "", record)
    translated = reader.finish()
    translated.paging = {key: body[key] for key, kinds in PAGING_KEYS.items() if isinstance(body.get(key, ...), kinds)}
    return translated


def read_csv(text: str, sobject: str, mapping: SalesforceMapping, limit: int) -> Translated:
    """A Bulk API 2.0 query result of ``sobject``: rows → records (``Product2.Name`` → ``{"Product2": {"Name"}}``)."""
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows, None)
        if not header or ("Id" not in header and "OpportunityId" not in header):
            raise BadRequest("the CSV must start with a header row of API field names, Id among them")
        reader = Reader(mapping)
        for index, row in enumerate(rows):
            item = f"rows[{index}]"
            if index >= limit:
                raise PayloadTooLarge(f"over {limit} rows per request; ask for smaller pages (maxRecords)")
            if len(row) != len(header):
                reader.out.answered.append(
                    refused(
                        item, None, ENTITIES[sobject], item, f"{len(row)} fields where the header has {len(header)}"
                    )
                )
                continue
            reader.take(item, sobject, _nested(dict(zip(header, row, strict=True))))
    except csv.Error as exc:
        raise BadRequest(f"the body is not CSV: {exc}") from None
    return reader.finish()


def _nested(row: Mapping[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, raw in row.items():
        *parents, last = name.split(".")
        target = record
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                break
        else:
            target[last] = None if raw == "" else raw
    return record
