"""The Zendesk mapping: statuses, priorities, types, custom fields, satisfaction scores, organization and user fields.

``default_mapping.toml`` (next to this module) works for a stock Zendesk Support and documents every table;
``CSHUB_ZENDESK_MAPPING_FILE`` names a file laid over it (``service.adapters.mapping``), checked when the app is
built. Zendesk values are compared lower-case: its webhooks say ``OPEN`` where its REST API says ``open``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.adapters.mapping import Table, digits, load_mapping_file, one_of, text, whole_number
from service.ingest.account_records import PROFILE_FIELDS
from service.tickets.tables import TICKET_CATEGORIES, TICKET_PRIORITIES, TICKET_STATUSES

DEFAULT_FILE = Path(__file__).with_name("default_mapping.toml")
SETTING = "CSHUB_ZENDESK_MAPPING_FILE"
CUSTOM_FIELD_TARGETS = ("subject", "priority", "category")
# An organization's name and domain come from the organization itself; its fields may fill the rest.
ACCOUNT_MAPPED_FIELDS = tuple(name for name in PROFILE_FIELDS if name not in ("name", "domain"))
CONTACT_MAPPED_FIELDS = ("phone", "title", "role")

TABLES = (
    Table("ticket.status", text, one_of(*TICKET_STATUSES)),
    Table("ticket.priority", text, one_of(*TICKET_PRIORITIES)),
    Table("ticket.type", text, one_of(*TICKET_CATEGORIES)),
    Table("ticket.custom_fields", digits, one_of(*CUSTOM_FIELD_TARGETS)),
    Table("ticket.custom_field_values", digits, text, nested=True),
    Table("satisfaction.scores", text, whole_number(1, 5)),
    Table("organization.fields", text, one_of(*ACCOUNT_MAPPED_FIELDS)),
    Table("user.fields", text, one_of(*CONTACT_MAPPED_FIELDS)),
)


def _lowered(entries: Mapping[str, Any]) -> dict[str, Any]:
    return {key.strip().lower(): value for key, value in entries.items()}


@dataclass(frozen=True, slots=True)
class ZendeskMapping:
    statuses: Mapping[str, str]
    priorities: Mapping[str, str]
    types: Mapping[str, str]
    custom_fields: Mapping[str, str]  # field id → cshub ticket field
    custom_field_values: Mapping[str, Mapping[str, str]]  # field id → {zendesk value → cshub value}
    scores: Mapping[str, int]
    organization_fields: Mapping[str, str]
    user_fields: Mapping[str, str]

    def custom_value(self, field_id: str, value: Any) -> Any:
        values = self.custom_field_values.get(field_id, {})
        return values.get(value.strip().lower(), value) if isinstance(value, str) else value


def load_mapping(path: Path | None) -> ZendeskMapping:
    """The default mapping with ``path``'s entries over it; ConfigurationError naming the file's line."""
    tables = load_mapping_file(DEFAULT_FILE, path, TABLES, SETTING)
    return ZendeskMapping(
        statuses=_lowered(tables["ticket.status"]),
        priorities=_lowered(tables["ticket.priority"]),
        types=_lowered(tables["ticket.type"]),
        custom_fields=dict(tables["ticket.custom_fields"]),
        custom_field_values={key: _lowered(values) for key, values in tables["ticket.custom_field_values"].items()},
        scores=_lowered(tables["satisfaction.scores"]),
        organization_fields=dict(tables["organization.fields"]),
        user_fields=dict(tables["user.fields"]),
    )


DEFAULT_MAPPING = load_mapping(None)
