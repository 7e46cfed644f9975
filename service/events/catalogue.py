"""The event catalogue: every event type cshub emits, with the JSON Schema (draft 2020-12) of its ``data``.

The schemas are files in ``catalogue/`` (one per type, named ``<type>.json``), kept in the repository and served
at ``GET /events/catalogue``; ``EVENT_TYPES`` is the code's list. tests/test_event_catalogue.py checks that the two
name the same types and that every payload the tests emit validates against its schema.
"""

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

CATALOGUE_DIR: Final = Path(__file__).parent / "catalogue"
SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

# Every type the code emits, with what it means (the schema's description says the same).
EVENT_TYPES: Final[Mapping[str, str]] = {
    "handoff.submitted": "Sales submitted a handoff for the CSM's review.",
    "handoff.returned": "The CSM returned a submitted handoff to sales, with a comment saying what to fix.",
    "handoff.accepted": "The CSM accepted a handoff (its goals and action items were created).",
    "handoff.kickoff_held": "The kickoff meeting of an accepted handoff was held.",
    "handoff.first_value_reached": "The customer reached first value: the handoff is complete.",
    "handoff.cancelled": "A handoff was cancelled.",
    "alert.opened": "A risk alert rule fired for an account (with a health recompute).",
    "alert.acknowledged": "Someone acknowledged an open alert.",
    "alert.resolved": "An alert was resolved.",
    "health.band_changed": "A recompute moved an account's health band (of one score name).",
    "health.override_set": "A CSM overrode an account's computed health score.",
    "health.override_lifted": "A health override was lifted before it expired.",
    "contract.created": "A source sent a contract the hub did not have.",
    "contract.ended": "A contract became ended or cancelled.",
    "ticket.escalated": "A support ticket reached high or urgent priority (once per level it reaches), or breached "
    "its SLA while open (once per breach kind: first response, resolution).",
    "account.merged": "Two accounts were merged into one; the merged account no longer exists.",
    "ingest.unmatched": "A source record's account could not be resolved; the record waits in the unmatched queue.",
    "goal.status_changed": "A success-plan goal changed status.",
    "renewal.upcoming": "A contract's renewal (or end) date is within a notice window (once per contract, date and "
    "window).",
    "action_item.overdue": "An action item's due date passed while it is still open (once per item and due date).",
    "timeline.entry_added": "A touchpoint was recorded on an account's timeline (added in the hub or ingested), "
    "once per entry.",
    "webhook.endpoint_disabled": "A webhook endpoint was disabled by the hub (410 Gone, or failing for too long).",
}

# The prefixes a pattern like ``handoff.*`` may name.
EVENT_FAMILIES: Final = frozenset(name.split(".", 1)[0] for name in EVENT_TYPES)


def schema_path(event_type: str) -> Path:
    return CATALOGUE_DIR / f"{event_type}.json"


@cache
def schemas() -> dict[str, dict[str, Any]]:
    """Every schema file in the catalogue directory, by the event type it is named after."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(CATALOGUE_DIR.glob("*.json"))}


@cache
def catalogue_json() -> str:
    """The document ``GET /events/catalogue`` serves: the envelope every delivery has, and each type's schema."""
    document = {
        "description": "cshub's event catalogue. A webhook body is {type, timestamp, data}: `type` is one of the "
        "names below, `timestamp` when the event occurred (RFC 3339), and `data` validates against the type's "
        "schema. Deliveries follow the Standard Webhooks spec (webhook-id, webhook-timestamp, webhook-signature).",
        "events": [
            {"type": name, "version": schemas()[name].get("x-version", 1), "schema": schemas()[name]}
            for name in sorted(schemas())
        ],
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
