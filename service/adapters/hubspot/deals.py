"""HubSpot deals with their line items → cshub contracts and lines.

A deal in a stage ``[deal.stages]`` maps is a ``contracts`` record of the HubSpot source (external id: the deal
id) in its associated company's account, with the status the stage maps to; a deal in another stage is not sold
and is skipped. Its lines are its line items (the ``line_items`` the deal's associations name, sent beside the
deals): product (``name``, else ``hs_sku``), ``quantity``, ``price`` (the unit price) and the MRR — the line's
``amount`` (else price × quantity) spread over its ``recurringbillingfrequency`` (monthly 1, quarterly 3,
annually 12 months…); a one-time line has an MRR of 0. A line's ``hs_recurring_billing_start_date`` starts it
and its term (``hs_recurring_billing_period``, ISO 8601 ``P12M``/``P1Y``, or ``hs_term_in_months``) ends it.

The contract starts when its lines start (the earliest), else on the deal's ``closedate``; it ends when its
last recurring line does if every recurring line has a term (that is its renewal date), else it is open-ended.
A deal that names no line items has no lines, unless the mapping's ``[deal.amount]`` makes its ``amount`` one
line (``amount_line``). Its currency is ``deal_currency_code``; its kind (new, renewal, expansion) is its
``dealtype`` through ``[deal.types]`` (a dealtype not listed: unknown). The kind is recorded, it does not move the
contract's dates: a renewal deal's lines start when HubSpot says they do.
"""

import calendar
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from service.adapters.hubspot.mapping import DELETED, DealAmount, HubSpotMapping
from service.adapters.hubspot.objects import associated, association_results, object_id, properties_of, updated_at
from service.adapters.writing import Pending

# recurringbillingfrequency → the months one billing period covers (HubSpot's options).
FREQUENCY_MONTHS: Mapping[str, Decimal] = {
    "weekly": Decimal(12) / Decimal(52),
    "biweekly": Decimal(12) / Decimal(26),
    "monthly": Decimal(1),
    "quarterly": Decimal(3),
    "per_six_months": Decimal(6),
    "annually": Decimal(12),
    "per_two_years": Decimal(24),
    "per_three_years": Decimal(36),
    "per_four_years": Decimal(48),
    "per_five_years": Decimal(60),
}
# The deal properties ``[deal.amount]`` makes a line of.
AMOUNT_PROPERTIES = frozenset({"amount", "closedate"})
_PERIOD = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?$")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class DealItem:
    pending: Pending
    status: str | None  # the contract status its stage maps to; None: not a contract (skipped)
    stage: str | None
    missing_lines: tuple[str, ...] = ()  # associated line items the payload does not hold (refused)
    change: bool = False  # a webhook's property change: without a dealstage, the stage stays as cshub has it


def read_deal(
    item: str, raw: Mapping[str, Any], mapping: HubSpotMapping, line_items: Mapping[str, Mapping[str, Any]]
) -> DealItem:
    """``line_items``: the line items of the payload by id (those the deal's associations name are its lines)."""
    deal_id = object_id(raw.get("id"))
    props = properties_of(raw)
    stage = props.get("dealstage")
    stage_key = DELETED if raw.get("archived") is True else str(stage).strip().lower() if stage else None
    status = mapping.stages.get(stage_key) if stage_key is not None else None
    record: dict[str, Any] = {"external_id": deal_id}
    paths = {"external_id": "id", "status": "properties.dealstage", "lines": "line_items"}
    if status is not None:
        record["status"] = status
    company = associated(raw, "companies", "deal_to_company")
    if company is not None:
        record["account_external_id"] = company
        paths["account_external_id"] = "associations.companies"
    if "dealtype" in props:  # not mapped (or empty): an unknown kind; no dealtype property keeps the stored one
        dealtype = props.get("dealtype")
        record["kind"] = mapping.deal_types.get(str(dealtype).strip().lower()) if dealtype else None
        paths["kind"] = "properties.dealtype"
    if props.get("deal_currency_code"):
        record["currency"] = props["deal_currency_code"]
        paths["currency"] = "properties.deal_currency_code"
    ids = _line_item_ids(raw)
    if ids is not None:
        missing = tuple(line_id for line_id in ids if line_id not in line_items)
        items = [line_items[line_id] for line_id in ids if line_id in line_items]
        lines = [read_line(line_item) for line_item in items]
        record["lines"] = lines
        starts = [line["start_date"] for line in lines if line.get("start_date")]
        # The recurring lines' ends (a one-time line has none and ends nothing).
        ends = [line.get("end_date") for line, line_item in zip(lines, items, strict=True) if _recurring(line_item)]
        start = min(starts) if starts else _day(props.get("closedate"))
        if start is not None:
            record["start_date"] = start
        if ends and all(ends):
            record["end_date"] = record["renewal_date"] = max(end for end in ends if end)
    elif mapping.deal_amount is not None and AMOUNT_PROPERTIES & props.keys():
        record |= amount_line(props, mapping.deal_amount)
        paths["lines"] = "properties.amount"
    elif "closedate" in props:
        record["start_date"] = _day(props.get("closedate")) or props.get("closedate")
    paths["start_date"] = "properties.closedate"
    if (when := updated_at(raw, "hs_lastmodifieddate")) is not None:
        record["updated_at"] = when
        paths["updated_at"] = "updatedAt"
    pending = Pending(item, deal_id, "contracts", record, paths)
    return DealItem(pending, status, stage_key, missing if ids is not None else ())


def read_line(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One line item as a contract line; a value that is not a number is passed on for validation to refuse."""
    props = properties_of(raw)
    line: dict[str, Any] = {"product": props.get("name") or props.get("hs_sku")}
    quantity = _number(props.get("quantity"))
    line["quantity"] = int(quantity) if quantity is not None and quantity == int(quantity) else props.get("quantity", 1)
    price = _number(props.get("price"))
    line["unit_price"] = str(price.quantize(_CENT)) if price is not None else props.get("price")
    amount = _number(props.get("amount"))
    if amount is None and price is not None and quantity is not None:
        amount = price * quantity
    if amount is not None:
        months = FREQUENCY_MONTHS.get(str(props.get("recurringbillingfrequency") or "").strip().lower())
        line["mrr"] = str((amount / months).quantize(_CENT)) if months is not None else "0.00"
    start = _day(props.get("hs_recurring_billing_start_date"))
    if start is not None:
        line["start_date"] = start
        term = _term_months(props)
        if term:
            line["end_date"] = _add_months(dt.date.fromisoformat(start), term).isoformat()
    return line


def amount_line(props: Mapping[str, Any], terms: DealAmount) -> dict[str, Any]:
    """A deal that names no line items, by ``[deal.amount]``: one line of its amount (none for a blank amount),
    from its close date for ``term_months``; an amount that is not a number is passed on for validation to
    refuse. Only what the properties given decide: a property change of the amount alone is the line alone, of the
    close date alone the dates alone."""
    fields: dict[str, Any] = {}
    if "closedate" in props:
        start = _day(props.get("closedate"))
        fields["start_date"] = start or props.get("closedate")
        if start is not None:
            fields["end_date"] = fields["renewal_date"] = _add_months(
                dt.date.fromisoformat(start), terms.term_months
            ).isoformat()
    if "amount" not in props:
        return fields
    raw = props.get("amount")
    if raw is None or raw == "":
        fields["lines"] = []
        return fields
    amount = _number(raw)
    line: dict[str, Any] = {"product": terms.product, "quantity": 1, "unit_price": raw}
    if amount is not None:
        line |= {"unit_price": str(amount.quantize(_CENT)), "mrr": str((amount / terms.months).quantize(_CENT))}
    fields["lines"] = [line]
    return fields


def _recurring(line_item: Mapping[str, Any]) -> bool:
    frequency = properties_of(line_item).get("recurringbillingfrequency")
    return str(frequency or "").strip().lower() in FREQUENCY_MONTHS


def _line_item_ids(raw: Mapping[str, Any]) -> list[str] | None:
    results = association_results(raw, "line items", "line_items")
    if results is None:
        return None
    ids = [object_id(entry.get("id")) for entry in results]
    return list(dict.fromkeys(line_id for line_id in ids if line_id is not None))


def _term_months(props: Mapping[str, Any]) -> int | None:
    period = props.get("hs_recurring_billing_period")
    if isinstance(period, str) and (match := _PERIOD.match(period.strip().upper())) and any(match.groups()):
        years, months = (int(part or 0) for part in match.groups())
        return years * 12 + months or None
    term = _number(props.get("hs_term_in_months"))
    return int(term) if term is not None and term > 0 and term == int(term) else None


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _day(value: Any) -> str | None:
    """A HubSpot date or datetime property (``2026-11-01``, ``2026-11-01T00:00:00Z``) as a date."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None


def line_items_by_id(entries: Sequence[Any]) -> dict[str, Mapping[str, Any]]:
    return {
        line_id: entry
        for entry in entries
        if isinstance(entry, Mapping) and (line_id := object_id(entry.get("id"))) is not None
    }
