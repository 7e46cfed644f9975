"""The Salesforce mapping: opportunity stages and types, how a won opportunity becomes a contract, case statuses,
priorities and types, account and contact fields, owner ids → names.

``default_mapping.toml`` (next to this module) works for a stock Salesforce org and documents every table;
``CSHUB_SALESFORCE_MAPPING_FILE`` names a file laid over it (``service.adapters.mapping``), checked when the app is
built. Picklist values are compared case-insensitively.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.adapters.mapping import Table, load_mapping_file, one_of, text
from service.contracts.tables import CONTRACT_KINDS
from service.errors import ConfigurationError
from service.ingest.account_records import PROFILE_FIELDS
from service.tickets.tables import TICKET_CATEGORIES, TICKET_PRIORITIES, TICKET_STATUSES

DEFAULT_FILE = Path(__file__).with_name("default_mapping.toml")
SETTING = "CSHUB_SALESFORCE_MAPPING_FILE"
STAGES = ("won", "lost", "open")
# Spellings of [opportunity.type] values before contracts recorded their kind, still read.
KIND_ALIASES = {"new_business": "new", "upsell": "expansion"}
PRICE_PERIODS = {"month": 1, "year": 12, "term": 0}  # months a price covers; 0: the contract's term
CONTRACT_SETTINGS = ("start_field", "end_field", "term_field", "term_months", "price_period", "product_fields")
ACCOUNT_MAPPED_FIELDS = tuple(name for name in PROFILE_FIELDS if name not in ("name", "domain"))
CONTACT_MAPPED_FIELDS = ("phone", "title", "role")
_USER_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")


def _setting(value: Any) -> str | None:
    """A ``[contract]`` value: a field name, a number of months, or a list of field names."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None if 1 <= value <= 120 else f"{value!r} is not a number of months from 1 to 120"
    if isinstance(value, list):
        return None if value and all(text(entry) is None for entry in value) else "is not a list of field names"
    return text(value)


def _user_id(value: Any) -> str | None:
    return None if isinstance(value, str) and _USER_ID.match(value) else f"{value!r} is not a Salesforce user id"


TABLES = (
    Table("opportunity.stage", text, one_of(*STAGES)),
    Table("opportunity.type", text, one_of(*CONTRACT_KINDS, *KIND_ALIASES)),
    Table("contract", one_of(*CONTRACT_SETTINGS), _setting),
    Table("case.status", text, one_of(*TICKET_STATUSES)),
    Table("case.priority", text, one_of(*TICKET_PRIORITIES)),
    Table("case.type", text, one_of(*TICKET_CATEGORIES)),
    Table("account.fields", text, one_of(*ACCOUNT_MAPPED_FIELDS)),
    Table("account.field_values", text, text, nested=True),
    Table("contact.fields", text, one_of(*CONTACT_MAPPED_FIELDS)),
    Table("owners", _user_id, text),
)


def _lowered(entries: Mapping[str, Any]) -> dict[str, Any]:
    return {key.strip().lower(): value for key, value in entries.items()}


@dataclass(frozen=True, slots=True)
class ContractTerms:
    start_field: str
    end_field: str | None
    term_field: str | None
    term_months: int
    price_months: int  # months a line's price covers; 0: the contract's term
    product_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SalesforceMapping:
    stages: Mapping[str, str]
    kinds: Mapping[str, str]  # Type → contract kind (new, renewal, expansion)
    contract: ContractTerms
    case_statuses: Mapping[str, str]
    case_priorities: Mapping[str, str]
    case_types: Mapping[str, str]
    account_fields: Mapping[str, str]  # Account field → cshub account field
    account_field_values: Mapping[str, Mapping[str, str]]  # Account field → {its value → cshub value}
    contact_fields: Mapping[str, str]
    owners: Mapping[str, str]  # user id (15 characters) → name

    def owner(self, user_id: str) -> str | None:
        return self.owners.get(user_id[:15])

    def account_value(self, field: str, value: Any) -> Any:
        values = self.account_field_values.get(field, {})
        return values.get(value.strip().lower(), value) if isinstance(value, str) else value


def _terms(entries: Mapping[str, Any], where: str) -> ContractTerms:
    period = entries.get("price_period", "year")
    if period not in PRICE_PERIODS:
        raise ConfigurationError(f"{where}: [contract] price_period: {period!r} is not one of month, year, term")
    for name in ("start_field", "end_field", "term_field"):
        if name in entries and not isinstance(entries[name], str):
            raise ConfigurationError(f"{where}: [contract] {name}: must be a field name")
    months = entries.get("term_months", 12)
    if not isinstance(months, int):
        raise ConfigurationError(f"{where}: [contract] term_months: must be a number of months")
    products = entries.get("product_fields", ["Product2.Name"])
    if not isinstance(products, list):
        raise ConfigurationError(f"{where}: [contract] product_fields: must be a list of field names")
    return ContractTerms(
        start_field=entries.get("start_field", "CloseDate"),
        end_field=entries.get("end_field"),
        term_field=entries.get("term_field"),
        term_months=months,
        price_months=PRICE_PERIODS[period],
        product_fields=tuple(products),
    )


def load_mapping(path: Path | None) -> SalesforceMapping:
    """The default mapping with ``path``'s entries over it; ConfigurationError naming the file's line."""
    tables = load_mapping_file(DEFAULT_FILE, path, TABLES, SETTING)
    return SalesforceMapping(
        stages=_lowered(tables["opportunity.stage"]),
        kinds={key: KIND_ALIASES.get(kind, kind) for key, kind in _lowered(tables["opportunity.type"]).items()},
        contract=_terms(tables["contract"], f"{SETTING} {path}" if path else "the default mapping"),
        case_statuses=_lowered(tables["case.status"]),
        case_priorities=_lowered(tables["case.priority"]),
        case_types=_lowered(tables["case.type"]),
        account_fields=dict(tables["account.fields"]),
        account_field_values={key: _lowered(values) for key, values in tables["account.field_values"].items()},
        contact_fields=dict(tables["contact.fields"]),
        owners={key[:15]: name for key, name in tables["owners"].items()},
    )


DEFAULT_MAPPING = load_mapping(None)
