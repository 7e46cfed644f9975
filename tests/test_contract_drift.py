"""The committed contracts (GraphQL SDL, OpenAPI) must match the code."""

from pathlib import Path
from typing import Any

import httpx
import jsonschema
import yaml
from openapi_spec_validator import validate
from pydantic import BaseModel
from starlette.routing import Route

from service.api.export import schema_sdl
from service.app import create_app
from service.errors import CshubError
from service.ingest.records import ContractLineRecord
from service.ingest.service import MODELS
from service.settings import Settings
from tests.app_client import app_client
from tests.hubspot_payloads import SECRET as HUBSPOT_SECRET
from tests.hubspot_payloads import payload as hubspot_payload
from tests.hubspot_payloads import send_events as send_hubspot_events
from tests.salesforce_payloads import csv_payload as salesforce_csv
from tests.salesforce_payloads import payload as salesforce_payload
from tests.zendesk_payloads import payload as zendesk_payload

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "cshub.yaml"


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return spec


def test_exported_graphql_schema_is_committed() -> None:
    committed = (ROOT / "schema" / "schema.graphql").read_text()
    assert committed == schema_sdl(), "schema/schema.graphql is stale: run `make schema` and commit it"


def test_openapi_spec_is_valid() -> None:
    validate(_spec())


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    app = create_app(Settings(database_url="postgresql://unused@localhost/unused"))
    implemented = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or set())
        if method != "HEAD"
    }
    documented = {
        (path, method)
        for path, operations in _spec()["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert implemented == documented


def _response_schema(path: str, method: str, status: int, media_type: str) -> dict[str, Any]:
    spec = _spec()
    schema: dict[str, Any] = spec["paths"][path][method]["responses"][str(status)]["content"][media_type]["schema"]
    return {**schema, "components": spec["components"]}


def _check(response: httpx.Response, path: str) -> None:
    media_type = response.headers["content-type"].split(";")[0]
    schema = _response_schema(path, "get", response.status_code, media_type)
    jsonschema.validate(response.json(), schema)


async def test_probe_responses_match_the_spec(client: httpx.AsyncClient) -> None:
    _check(await client.get("/healthz"), "/healthz")
    _check(await client.get("/readyz"), "/readyz")


def test_ingest_record_schemas_match_the_record_models() -> None:
    schemas = _spec()["components"]["schemas"]
    documented = set(_spec()["paths"]["/v1/ingest/{entity}"]["post"]["parameters"][0]["schema"]["enum"])
    assert documented == set(MODELS)
    models: list[type[BaseModel]] = [*MODELS.values(), ContractLineRecord]
    for model in models:
        schema = schemas[model.__name__]
        assert set(schema["properties"]) == set(model.model_fields), model.__name__
        required = {name for name, field in model.model_fields.items() if field.is_required()}
        assert set(schema["required"]) == required, model.__name__


def test_problem_codes_in_the_spec_are_the_error_tree() -> None:
    codes = set(_spec()["components"]["schemas"]["Problem"]["properties"]["code"]["enum"])

    def tree(cls: type[CshubError]) -> set[str]:
        return {cls.code}.union(*(tree(sub) for sub in cls.__subclasses__()))

    assert codes == tree(CshubError)


async def test_ingest_responses_match_the_spec(client: httpx.AsyncClient, admin_key: str) -> None:
    headers = {"Authorization": f"Bearer {admin_key}"}
    body = {"source": "crm", "records": [{"external_id": "1", "name": "Acme"}, {"external_id": "2"}]}
    ok = await client.post("/v1/ingest/accounts", json=body, headers=headers)
    jsonschema.validate(ok.json(), _response_schema("/v1/ingest/{entity}", "post", 200, "application/json"))
    jsonschema.validate(
        body, {**_spec()["components"]["schemas"]["IngestRequest"], "components": _spec()["components"]}
    )
    problem = await client.post("/v1/ingest/nope", json=body, headers=headers)
    spec = _spec()
    problem_schema = {**spec["components"]["schemas"]["Problem"], "components": spec["components"]}
    jsonschema.validate(problem.json(), problem_schema)


async def test_zendesk_payloads_and_answers_match_the_spec(client: httpx.AsyncClient, admin_key: str) -> None:
    spec = _spec()
    for name in ("tickets_page", "incremental_page", "ticket_single", "tickets_page_malformed"):
        body = zendesk_payload(name)
        if name != "tickets_page_malformed":  # (it holds a string where a ticket belongs)
            payload_schema = {**spec["components"]["schemas"]["ZendeskPayload"], "components": spec["components"]}
            jsonschema.validate(body, payload_schema)
        answer = await client.post("/zendesk/v1/tickets", json=body, headers={"Authorization": f"Bearer {admin_key}"})
        assert answer.status_code == 200, answer.text
        jsonschema.validate(answer.json(), _response_schema("/zendesk/v1/tickets", "post", 200, "application/json"))
    event = zendesk_payload("webhook_ticket_created")
    jsonschema.validate(event, {**spec["components"]["schemas"]["ZendeskEvent"], "components": spec["components"]})
    answer = await client.post("/zendesk/v1/webhook", json=event, headers={"Authorization": f"Bearer {admin_key}"})
    jsonschema.validate(answer.json(), _response_schema("/zendesk/v1/webhook", "post", 200, "application/json"))


async def test_hubspot_payloads_and_answers_match_the_spec(settings: Settings, admin_key: str) -> None:
    spec = _spec()
    objects_schema = {**spec["components"]["schemas"]["HubSpotObjects"], "components": spec["components"]}
    headers = {"Authorization": f"Bearer {admin_key}"}
    async with app_client(settings, hubspot_app_secret=HUBSPOT_SECRET) as (client, _):
        for object_type, name in (
            ("companies", "companies_page"),
            ("contacts", "contacts_page"),
            ("deals", "deals_page"),
            ("companies", "company_single_archived"),
        ):
            body = hubspot_payload(name)
            jsonschema.validate(body, objects_schema)
            answer = await client.post(f"/hubspot/v1/objects/{object_type}", json=body, headers=headers)
            assert answer.status_code == 200, answer.text
            schema = _response_schema("/hubspot/v1/objects/{object_type}", "post", 200, "application/json")
            jsonschema.validate(answer.json(), schema)
        events_schema = {
            **_spec()["paths"]["/hubspot/v1/webhook"]["post"]["requestBody"]["content"]["application/json"]["schema"],
            "components": spec["components"],
        }
        for name in ("webhook_property_changes", "webhook_creations_and_deletions", "webhook_company_merge"):
            events = hubspot_payload(name)
            jsonschema.validate(events, events_schema)
            answer = await send_hubspot_events(client, events)
            assert answer.status_code == 200, answer.text
            jsonschema.validate(answer.json(), _response_schema("/hubspot/v1/webhook", "post", 200, "application/json"))


async def test_salesforce_payloads_and_answers_match_the_spec(client: httpx.AsyncClient, admin_key: str) -> None:
    spec = _spec()
    headers = {"Authorization": f"Bearer {admin_key}"}
    for name in ("query_accounts", "query_opportunities", "query_cases", "query_malformed"):
        body = salesforce_payload(name)
        schema = {**spec["components"]["schemas"]["SalesforceQueryResult"], "components": spec["components"]}
        jsonschema.validate(body, schema)
        answer = await client.post("/salesforce/v1/records", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        jsonschema.validate(answer.json(), _response_schema("/salesforce/v1/records", "post", 200, "application/json"))
    for name in ("cdc_events", "cdc_deletes", "cdc_account_update"):
        body = salesforce_payload(name)
        schema = {**spec["components"]["schemas"]["SalesforceChangeEvents"], "components": spec["components"]}
        jsonschema.validate(body, schema)
        answer = await client.post("/salesforce/v1/events", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        jsonschema.validate(answer.json(), _response_schema("/salesforce/v1/events", "post", 200, "application/json"))
    bulk = await client.post(
        "/salesforce/v1/bulk/Contact",
        content=salesforce_csv("bulk_contacts"),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert bulk.status_code == 200, bulk.text
    jsonschema.validate(bulk.json(), _response_schema("/salesforce/v1/bulk/{sobject}", "post", 200, "application/json"))
