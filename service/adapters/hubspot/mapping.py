"""The HubSpot mapping: deal stages and types, lifecycle stages, company and contact properties, owners.

``default_mapping.toml`` (next to this module) works for a stock HubSpot portal and documents every table;
``CSHUB_HUBSPOT_MAPPING_FILE`` names a file laid over it (``service.adapters.mapping``), checked when the app is
built. Stage ids and property names are compared lower-case.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.accounts.tables import LIFECYCLE_STAGES
from service.adapters.mapping import Table, digits, load_mapping_file, one_of, settings_table, text, whole_number
from service.contracts.tables import CONTRACT_KINDS, CONTRACT_STATUSES
from service.ingest.account_records import PROFILE_FIELDS

DEFAULT_FILE = Path(__file__).with_name("default_mapping.toml")
SETTING = "CSHUB_HUBSPOT_MAPPING_FILE"
DELETED = "deleted"  # the [deal.stages] key a deleted (or archived) deal takes
# A company's name and domain come from their own properties; other properties may fill the rest.
ACCOUNT_MAPPED_FIELDS = tuple(name for name in PROFILE_FIELDS if name not in ("name", "domain"))
OWNER_FIELDS = ("csm_owner", "sales_owner")
CONTACT_MAPPED_FIELDS = ("phone", "title", "role")

# [deal.amount] per → the months an amount covers ("term": the deal's term_months).
AMOUNT_MONTHS = {"month": 1, "year": 12, "term": None}

TABLES = (
    Table("deal.stages", text, one_of(*CONTRACT_STATUSES)),
    Table("deal.types", text, one_of(*CONTRACT_KINDS)),
    Table("company.lifecycle_stages", text, one_of(*LIFECYCLE_STAGES)),
    Table("company.properties", text, one_of(*ACCOUNT_MAPPED_FIELDS)),
    Table("contact.properties", text, one_of(*CONTACT_MAPPED_FIELDS)),
    Table("owners", digits, text),
    settings_table(
        "deal.amount",
        {"per": one_of(*AMOUNT_MONTHS), "term_months": whole_number(1, 1200), "product": text},
    ),
)


def _lowered(entries: Mapping[str, Any]) -> dict[str, Any]:
    return {key.strip().lower(): value for key, value in entries.items()}


@dataclass(frozen=True, slots=True)
class DealAmount:
    """``[deal.amount]``: a closed-won deal that names no line items becomes one line of its ``amount``."""

    months: int  # the months the amount covers: the line's MRR is amount / months
    term_months: int  # the contract runs this long from its close date
    product: str


@dataclass(frozen=True, slots=True)
class HubSpotMapping:
    stages: Mapping[str, str]  # deal stage id → contract status
    deal_types: Mapping[str, str]  # dealtype → contract kind
    lifecycle_stages: Mapping[str, str]
    company_properties: Mapping[str, str]  # property → account field
    contact_properties: Mapping[str, str]  # property → contact field
    owners: Mapping[str, str]  # owner id → name
    deal_amount: DealAmount | None = None  # unset: a deal without line items has no lines


def load_mapping(path: Path | None) -> HubSpotMapping:
    """The default mapping with ``path``'s entries over it; ConfigurationError naming the file's line."""
    tables = load_mapping_file(DEFAULT_FILE, path, TABLES, SETTING)
    return HubSpotMapping(
        stages=_lowered(tables["deal.stages"]),
        deal_types=_lowered(tables["deal.types"]),
        lifecycle_stages=_lowered(tables["company.lifecycle_stages"]),
        company_properties=_lowered(tables["company.properties"]),
        contact_properties=_lowered(tables["contact.properties"]),
        owners=dict(tables["owners"]),
        deal_amount=_deal_amount(tables["deal.amount"]),
    )


def _deal_amount(entries: Mapping[str, Any]) -> DealAmount | None:
    if "per" not in entries:
        return None
    term = int(entries.get("term_months", 12))
    months = AMOUNT_MONTHS[entries["per"]] or term
    return DealAmount(months=months, term_months=term, product=str(entries.get("product", "Subscription")).strip())


DEFAULT_MAPPING = load_mapping(None)
