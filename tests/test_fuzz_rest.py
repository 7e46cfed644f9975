"""schemathesis against openapi/cshub.yaml, on a real ``cshub serve`` process.

Every documented operation gets requests generated from the spec — valid ones (positive mode) and ones
that break it in one place (negative mode) — sent with an admin key and with an ingest key. Every
answer must be documented: no 5xx, a documented status code, content type, headers and body schema;
a request the spec calls invalid is refused (4xx), and a valid ingest batch is accepted (200).
"""

import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import requests
import schemathesis
import yaml
from hypothesis import given
from jsonschema import Draft202012Validator, FormatChecker
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from tests.fuzz_target import FuzzTarget, fuzz_server, fuzz_settings, prepare_database

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "cshub.yaml"

# Strings with NUL (\u0000) cannot be stored and are refused with 400, as the spec says; valid data has none.
SCHEMA = schemathesis.openapi.from_path(
    SPEC_PATH, config=schemathesis.Config.from_dict({"generation": {"allow-x00": False}})
)
OPERATIONS = {operation.label: operation for operation in (result.ok() for result in SCHEMA.get_all_operations())}  # type: ignore[union-attr]  # the spec is valid (test_contract_drift)

# Examples per (operation, mode, role) in the default (CI) run; CSHUB_FUZZ_EXAMPLES multiplies them.
EXAMPLES = {
    "GET /healthz": 1,  # nothing to vary
    "GET /readyz": 1,
    "GET /": 1,
    "GET /schema.graphql": 1,
    "GET /openapi.yaml": 1,
    "GET /events/catalogue": 1,
    "GET /graphiql/assets/{name}": 6,  # the six assets; negative: any other name, a documented 404
    "GET /graphql": 40,
    "POST /graphql": 40,
    "POST /v1/ingest/{entity}": 100,
    "POST /segment/v1/{call}": 60,
    "POST /zendesk/v1/tickets": 40,
    "POST /zendesk/v1/webhook": 30,
    "POST /hubspot/v1/objects/{object_type}": 30,
    "POST /hubspot/v1/webhook": 10,  # unsigned: every case is a 401
    "POST /salesforce/v1/records": 40,
    "POST /salesforce/v1/bulk/{sobject}": 30,
    "POST /salesforce/v1/events": 30,
}

CONFORMANCE: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
INGEST = "POST /v1/ingest/{entity}"
IngestCase = Case[Any]
MIN_REQUEST_SHARE = 0.5  # of the examples asked for; hypothesis may stop early on a small input space


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def target(
    database_url: str, session_engine: AsyncEngine, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FuzzTarget]:
    keys = await prepare_database(session_engine)
    with fuzz_server(database_url, keys, tmp_path_factory.mktemp("fuzz-rest")) as running:
        yield running
        print(
            f"\nREST fuzz: {sum(running.statuses.values())} requests, statuses {dict(sorted(running.statuses.items()))}"
        )


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _checks(label: str, mode: GenerationMode) -> list[CheckFunction]:
    # Ingest answers invalid *records* with 200 and a per-record `rejected`, as documented, so schemathesis'
    # rejection check is replaced by check_ingest_answer() there. GET /graphql ignores unknown parameters.
    if mode is GenerationMode.NEGATIVE and label == "POST /graphql":
        return [*CONFORMANCE, negative_data_rejection]
    return CONFORMANCE


def _has_inputs(label: str) -> bool:
    operation = OPERATIONS[label]
    return bool(list(operation.iter_parameters())) or bool(operation.body)


# Probes take no input: nothing to break in them.
CASES = [
    pytest.param(label, mode, id=f"{label}-{mode.value}")
    for label in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _has_inputs(label)
]


# The ingest contract ----------------------------------------------------------------------------------------

SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
COMPONENTS = SPEC["components"]
ENTITY_RECORDS = {
    "accounts": "AccountRecord",
    "contacts": "ContactRecord",
    "contracts": "ContractRecord",
    "tickets": "TicketRecord",
    "usage-events": "UsageEventRecord",
    "survey-responses": "SurveyResponseRecord",
    "timeline-events": "TimelineEventRecord",
}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": COMPONENTS}, format_checker=FormatChecker())


RECORD_VALIDATORS = {entity: _validator(COMPONENTS["schemas"][name]) for entity, name in ENTITY_RECORDS.items()}
# The batch without its records' contents: what decides between 200 and a 4xx for the whole request.
ENVELOPE = _validator(
    {
        **COMPONENTS["schemas"]["IngestRequest"],
        "properties": {
            "source": COMPONENTS["schemas"]["IngestRequest"]["properties"]["source"],
            "records": {"type": "array", "maxItems": 1000},
        },
    }
)
IDEMPOTENCY_KEY = _validator(SPEC["paths"]["/v1/ingest/{entity}"]["post"]["parameters"][1]["schema"])
ACCEPTED_ANYWAY = {429, 503}  # busy or database down: retry later, nothing written


def _envelope_is_valid(case: IngestCase) -> bool:
    key = dict(case.headers or {}).get("Idempotency-Key")
    return (
        dict(case.path_parameters or {}).get("entity") in ENTITY_RECORDS
        and ENVELOPE.is_valid(case.body)
        and (key is None or IDEMPOTENCY_KEY.is_valid(key))
    )


def check_ingest_answer(case: IngestCase, response: Response, headers: dict[str, str]) -> None:
    """A valid batch is answered 200 with one result per record, in order; a record that breaks its documented
    schema is `rejected` (with a reason), never stored; a batch whose envelope breaks the spec is a 4xx."""
    valid = _envelope_is_valid(case)
    if response.request.headers.get("Authorization") != headers["Authorization"]:
        assert response.status_code == 401, "a request without our key was not refused"  # negative mode dropped it
        return
    if response.status_code != 200:
        assert not valid or response.status_code in ACCEPTED_ANYWAY, f"valid batch refused: {response.text[:500]}"
        return
    assert valid, "a batch that breaks the spec was answered 200"
    answer = response.json()
    body: dict[str, Any] = case.body  # type: ignore[assignment]  # a valid envelope: an object with records
    records: list[Any] = body["records"]
    results = answer["results"]
    assert answer["entity"] == dict(case.path_parameters or {})["entity"]
    assert [result["index"] for result in results] == list(range(len(records)))
    totals = Counter(result["status"] for result in results)
    assert {status: count for status, count in answer["totals"].items() if count} == dict(totals)
    validator = RECORD_VALIDATORS[answer["entity"]]
    for record, result in zip(records, results, strict=True):
        if not validator.is_valid(record):
            broken = [error.message for error in validator.iter_errors(record)][:3]
            assert result["status"] == "rejected", f"record breaking {broken} was {result['status']}: {record!r}"
        if result["status"] == "rejected":
            assert result["id"] is None, result
            assert result["errors"], result
        else:
            assert result["id"] is not None, result
            assert not result["errors"], result


@pytest.mark.parametrize("role", [Role.ADMIN, Role.INGEST])
@pytest.mark.parametrize(("label", "mode"), CASES)
def test_every_generated_request_gets_a_documented_answer(
    target: FuzzTarget, http: requests.Session, label: str, mode: GenerationMode, role: Role
) -> None:
    operation = OPERATIONS[label]
    headers = target.auth(role)
    checks = _checks(label, mode)
    sent = 0
    examples = EXAMPLES[label]

    @fuzz_settings(examples)
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: IngestCase) -> None:
        nonlocal sent
        key = dict(case.headers or {}).get("Idempotency-Key")
        if key is not None and IDEMPOTENCY_KEY.is_valid(key):
            # Reusing a key for other content is a (documented) 422: every valid key is made unique.
            case.headers["Idempotency-Key"] = f"{uuid.uuid4().hex}-{key}"[:255]
        response = case.call(base_url=target.base_url, session=http, headers=headers, timeout=30)
        sent += 1
        target.statuses[response.status_code] += 1
        case.validate_response(response, checks=checks, headers=headers)
        if label == INGEST:
            check_ingest_answer(case, response, headers)

    started = time.monotonic()
    fuzz()
    assert sent >= examples * MIN_REQUEST_SHARE, f"only {sent} requests generated in {time.monotonic() - started:.1f}s"
    assert target.server_errors_logged() == []
