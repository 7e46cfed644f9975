"""Partial records: a field a record leaves out keeps what its source sent before; an explicit ``null`` clears it.

Each source link stores the last accepted record (``source_links.payload``). A re-sent record is laid over
it and validated again, so cross-field rules (an end after its start, a score on its kind's scale) hold for
the combination, and "unchanged" compares what the record stands for rather than how much of it was sent.
The account reference and ``updated_at`` are never carried over: they say where and when this delivery
belongs, not what the record is.
"""

from collections.abc import Mapping, Set
from typing import Any, TypeVar

from pydantic import BaseModel

from service.ingest.results import FieldError
from service.ingest.validation import validate_record

M = TypeVar("M", bound=BaseModel)

NOT_CARRIED = frozenset({"updated_at", "account_external_id", "account_domain"})


def remembered(record: BaseModel) -> dict[str, Any]:
    """What to store so that the next, possibly partial, delivery of this record can be completed."""
    return record.model_dump(mode="json", exclude=set(NOT_CARRIED))


def completed(record: M, stored: Mapping[str, Any] | None) -> M | tuple[FieldError, ...]:
    """``record`` with every field it omits taken from ``stored``; errors if the combination is invalid."""
    if not stored:
        return record
    fields = type(record).model_fields
    kept = {name: value for name, value in stored.items() if name in fields and name not in NOT_CARRIED}
    omitted = kept.keys() - record.model_fields_set
    if not omitted:  # it sends every field it would keep: there is nothing to add
        return record
    if _holds_already(record, omitted, kept):
        # What it omits, it already holds (the defaults a full delivery stored): the combination is this record,
        # with those fields taken as sent — no second validation of what was valid already.
        whole = record.model_copy()
        whole.__pydantic_fields_set__.update(omitted)  # the copy's own set (in place: no pydantic __setattr__)
        return whole
    return validate_record(type(record), {**kept, **record.model_dump(mode="json", exclude_unset=True)})


def _holds_already(record: BaseModel, omitted: Set[str], kept: Mapping[str, Any]) -> bool:
    """Whether the record's values of the fields it omits are the kept ones. Nulls, text and numbers (the defaults
    a full delivery stored, mostly) are their own JSON and compare as they are; dates, amounts and nested values
    compare dumped. The record models have no serializers of their own."""
    dumped = set()
    for name in omitted:
        value = getattr(record, name)
        if value is None or isinstance(value, str | int | float):
            if value != kept[name]:
                return False
        else:
            dumped.add(name)
    return not dumped or record.model_dump(mode="json", include=dumped) == {name: kept[name] for name in dumped}


def sent_columns(values: dict[str, Any], record: BaseModel, derived: Mapping[str, str]) -> dict[str, Any]:
    """Only the columns of fields the record sent (``derived`` maps a computed column to its field); for
    records stored before their payload was kept, when there is nothing to complete them from."""
    fields = type(record).model_fields
    sent = record.model_fields_set

    def was_sent(column: str) -> bool:
        field = derived.get(column, column)
        return field not in fields or field in sent

    return {column: value for column, value in values.items() if was_sent(column)}
