"""A closed-won Opportunity and its OpportunityLineItems → a cshub contract and its lines.

Won: ``IsWon``, else the StageName's ``[opportunity.stage]``. The contract (external id: the opportunity's Id) is
in the AccountId's account, in CurrencyIsoCode (else USD), and starts on ``[contract] start_field`` (CloseDate);
it ends on ``end_field`` when the org has one, else ``term_field``'s or ``term_months`` months later. Its Type
(``[opportunity.type]``) is the contract's kind — new, renewal or expansion; a Type not mapped is an unknown kind,
placed as new business: ``service`` moves a renewal's start to the end of the account's current contract and
co-terms an expansion with it, so the revenue metrics see a renewal as continuity and an upsell as expansion.
A line: product from ``product_fields`` (Product2.Name, PricebookEntry.Name, Name, ProductCode), Quantity,
UnitPrice and TotalPrice as monthly amounts (``price_period``), ServiceDate → its start.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from service.adapters.salesforce.fields import add_months, day, flag, has, number, salesforce_id, value
from service.adapters.salesforce.mapping import SalesforceMapping
from service.adapters.salesforce.objects import lowered, updated_at
from service.adapters.writing import Pending

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A contract to write. ``pending`` lacks the dates when ``start`` is to be placed by ``service`` (renewal,
    upsell); ``won`` is None when the record says nothing of its stage."""

    pending: Pending
    won: bool | None
    deleted: bool
    kind: str | None  # the contract's kind; None: the Type is not mapped, or not in the record
    start: dt.date | None
    end: dt.date | None  # an end the org records (end_field)
    months: int
    lines_only: bool = False  # line items of an opportunity the payload does not hold


def is_won(record: Mapping[str, Any], mapping: SalesforceMapping) -> bool | None:
    won = flag(record.get("IsWon"))
    if won is not None:
        return won
    stage = record.get("StageName")
    if isinstance(stage, str) and stage.strip():
        return mapping.stages.get(lowered(stage), "open") == "won"
    return None


def read_opportunity(
    item: str,
    record: Mapping[str, Any],
    mapping: SalesforceMapping,
    lines: Sequence[tuple[str, Mapping[str, Any]]] | None,
    commit: Any = None,
) -> Opportunity:
    """``lines``: its line items (path, record) — None when the payload does not say (the stored ones stay)."""
    terms = mapping.contract
    record_id = salesforce_id(record.get("Id"))
    fields: dict[str, Any] = {"external_id": record_id if record_id is not None else record.get("Id")}
    # The status comes of the start's date: a contract with none is refused naming the start field.
    paths = {
        "external_id": "Id",
        "start_date": terms.start_field,
        "status": terms.start_field,
        "updated_at": "LastModifiedDate",
    }
    stamp = updated_at(record, commit)
    if stamp is not None:
        fields["updated_at"] = stamp
    account = salesforce_id(record.get("AccountId"))
    if account is not None:
        fields["account_external_id"] = account
        paths["account_external_id"] = "AccountId"
    if record.get("CurrencyIsoCode"):
        fields["currency"] = record["CurrencyIsoCode"]
        paths["currency"] = "CurrencyIsoCode"
    months = terms.term_months
    term = number(record.get(terms.term_field)) if terms.term_field is not None else None
    if term is not None and 1 <= term <= 1200:
        months = int(term)
    start = day(record.get(terms.start_field))
    if start is None and has(record, terms.start_field):
        fields["start_date"] = record.get(terms.start_field)  # refused by the record model, naming the field
    end = day(record.get(terms.end_field)) if terms.end_field is not None else None
    if lines is not None:
        fields["lines"] = [_line(line, terms.price_months or months, terms.product_fields) for _, line in lines]
        paths |= {f"lines[{index}]": f"OpportunityLineItems.records[{index}]" for index in range(len(lines))}
    kind_name = record.get("Type")
    kind = mapping.kinds.get(lowered(kind_name)) if isinstance(kind_name, str) else None
    if "Type" in record:  # a Type not mapped (or empty) is an unknown kind; no Type field keeps the stored one
        fields["kind"] = kind
        paths["kind"] = "Type"
    pending = Pending(item, record_id, "contracts", fields, paths)
    deleted = flag(record.get("IsDeleted")) is True
    return Opportunity(pending, is_won(record, mapping), deleted, kind, start, end, months)


def line_items_only(
    item: str, opportunity_id: str, lines: Sequence[tuple[str, Mapping[str, Any]]], mapping: SalesforceMapping
) -> Opportunity:
    """Line items whose opportunity the payload does not hold: the full set of its lines (a Bulk query of
    OpportunityLineItem returns them all), written over the contract cshub has for it."""
    terms = mapping.contract
    fields = {
        "external_id": opportunity_id,
        "lines": [_line(line, terms.price_months or terms.term_months, terms.product_fields) for _, line in lines],
    }
    paths = {"external_id": "OpportunityId"} | {f"lines[{index}]": at for index, (at, _) in enumerate(lines)}
    pending = Pending(item, opportunity_id, "contracts", fields, paths)
    return Opportunity(pending, None, False, None, None, None, terms.term_months, lines_only=True)


def _line(record: Mapping[str, Any], price_months: int, product_fields: Sequence[str]) -> dict[str, Any]:
    product = next((value(record, name) for name in product_fields if value(record, name)), None)
    quantity = number(record.get("Quantity"))
    line: dict[str, Any] = {"product": product}
    if quantity is not None:
        line["quantity"] = int(quantity) if quantity == quantity.to_integral_value() else record.get("Quantity")
    unit = number(record.get("UnitPrice"))
    total = number(record.get("TotalPrice"))
    if "UnitPrice" in record:
        line["unit_price"] = _monthly(unit, price_months, record["UnitPrice"])
    if "TotalPrice" in record and record["TotalPrice"] is not None:
        line["mrr"] = _monthly(total, price_months, record["TotalPrice"])
    if (service_day := day(record.get("ServiceDate"))) is not None:
        line["start_date"] = service_day.isoformat()
    return line


def _monthly(amount: Decimal | None, months: int, raw: Any) -> Any:
    """A price over ``months`` as a monthly amount; what cannot be one passes as it is (the record model says why)."""
    if amount is None:
        return raw
    try:
        return str((amount / months).quantize(CENT))
    except InvalidOperation:
        return raw


def dated(opportunity: Opportunity, start: dt.date | None, end: dt.date | None, today: dt.date) -> Pending:
    """The contract with its dates (``start``/``end`` as ``service`` placed them) and its status today."""
    pending = opportunity.pending
    fields = dict(pending.record)
    if start is not None:
        end = end or add_months(start, opportunity.months)
        fields |= {"start_date": start.isoformat(), "end_date": end.isoformat(), "renewal_date": end.isoformat()}
        fields["status"] = "ended" if end <= today else "active"
    return Pending(pending.item, pending.vendor_id, pending.entity, fields, pending.paths)


def cancelled(opportunity: Opportunity) -> Pending:
    pending = opportunity.pending
    fields = {name: pending.record[name] for name in ("external_id", "updated_at") if name in pending.record}
    return Pending(pending.item, pending.vendor_id, pending.entity, fields | {"status": "cancelled"}, pending.paths)
