"""The event catalogue: one JSON Schema (draft 2020-12) per type the code emits, and none more, served publicly.

Payloads are checked against these schemas wherever a test reads the outbox (tests/event_log.py).
"""

import json

import httpx
from jsonschema import Draft202012Validator

from service.events.catalogue import CATALOGUE_DIR, EVENT_TYPES, SCHEMA_DIALECT, schemas


def test_every_type_in_the_code_has_a_schema_and_every_schema_a_type() -> None:
    files = {path.stem for path in CATALOGUE_DIR.glob("*.json")}
    assert files == set(EVENT_TYPES), "add or remove service/events/catalogue/<type>.json with the type"


def test_every_schema_is_a_valid_draft_2020_12_schema_of_its_type() -> None:
    for name, schema in schemas().items():
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == SCHEMA_DIALECT
        assert schema["title"] == name
        assert schema["description"] == EVENT_TYPES[name]
        assert schema["additionalProperties"] is False, name  # a new payload field is a schema change
        assert set(schema["required"]) == set(schema["properties"]), name


def test_a_schema_refuses_a_payload_that_breaks_it() -> None:
    validator = Draft202012Validator(schemas()["alert.resolved"], format_checker=Draft202012Validator.FORMAT_CHECKER)
    good = {
        "eventId": "1e3c1c2c-4a0b-4a34-9f55-1f1d3f0f6a11",
        "sequence": 1,
        "version": 1,
        "accountId": None,
        "actor": None,
        "alertId": "1e3c1c2c-4a0b-4a34-9f55-1f1d3f0f6a12",
        "rule": "no_logins",
        "note": None,
    }
    assert validator.is_valid(good)
    assert not validator.is_valid(good | {"alertId": "not a uuid"})
    assert not validator.is_valid(good | {"surprise": 1})
    assert not validator.is_valid({key: value for key, value in good.items() if key != "rule"})


async def test_the_catalogue_is_served_without_a_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/events/catalogue")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    served = response.json()
    assert [event["type"] for event in served["events"]] == sorted(EVENT_TYPES)
    for event in served["events"]:
        assert event["schema"] == json.loads((CATALOGUE_DIR / f"{event['type']}.json").read_text())
        assert event["version"] == 1
