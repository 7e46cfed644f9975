"""Helpers for the dlt destination's tests: the committed vendor payloads (tests/fixtures/) as the tables dlt's
verified sources make of them, and real dlt pipelines that load them into a running ``cshub serve``.

The verified sources' row shapes (dlt-hub/verified-sources): Salesforce yields each object's own fields, flat (no
``attributes``, no relationship objects or sub-queries; datetimes as ``%Y-%m-%dT%H:%M:%S.%fZ``, dates as the Bulk
API's epoch milliseconds), one table per object (``account``, ``contact``, ``opportunity``,
``opportunity_line_item``); HubSpot yields each object's properties with its ``id`` and, per association it asked
for, a list of ``{"value": <its hs_object_id>, "<kind>_id": id}``;
Zendesk yields tickets as the incremental export returns them without ``fields`` (custom fields pivoted), and users
and organizations as the REST API does.
"""

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import httpx
from dlt.common.pipeline import LoadInfo
from dlt.extract import DltResource, DltSource

from service.dlt_destination import cshub, run_in_order
from tests import hubspot_payloads, salesforce_payloads, zendesk_payloads

_SALESFORCE_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
_SALESFORCE_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _salesforce_flat(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record as the verified source reads it through the Bulk API (JSON): its own fields, datetimes turned back
    into ``%Y-%m-%dT%H:%M:%S.%fZ`` text, dates left as the Bulk API gives them (epoch milliseconds, midnight UTC)."""
    flat: dict[str, Any] = {}
    for name, value in record.items():
        if name == "attributes" or isinstance(value, Mapping):
            continue
        if isinstance(value, str) and _SALESFORCE_STAMP.match(value):
            value = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif isinstance(value, str) and _SALESFORCE_DAY.match(value):
            value = int(dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC).timestamp() * 1000)
        flat[name] = value
    return flat


def salesforce_tables() -> dict[str, list[dict[str, Any]]]:
    """The Salesforce fixtures (accounts with contacts, opportunities with line items, cases) as the verified
    source's tables: an OpportunityLineItem has its own Name and ProductCode fields (the product's)."""
    tables: dict[str, list[dict[str, Any]]] = {
        "account": [],
        "contact": [],
        "opportunity": [],
        "opportunity_line_item": [],
        "case": [],
    }
    for account in salesforce_payloads.payload("query_accounts")["records"]:
        tables["account"].append(_salesforce_flat(account))
        contacts = (account.get("Contacts") or {}).get("records", [])
        tables["contact"] += [_salesforce_flat(contact) for contact in contacts]
    for opportunity in salesforce_payloads.payload("query_opportunities")["records"]:
        tables["opportunity"].append(_salesforce_flat(opportunity))
        for line in (opportunity.get("OpportunityLineItems") or {}).get("records", []):
            product = line.get("Product2") or {}
            flat = _salesforce_flat(line) | {"Name": product.get("Name"), "ProductCode": product.get("ProductCode")}
            tables["opportunity_line_item"].append(flat)
    tables["case"] = [_salesforce_flat(case) for case in salesforce_payloads.payload("query_cases")["records"]]
    return tables


def hubspot_flat(raw: Mapping[str, Any], named: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """A CRM v3 object as the verified HubSpot source yields it: its properties with its ``id``, and per association
    it asked for (``named``: kind → ids) a list of ``{"value": <its hs_object_id>, "<kind>_id": id}``."""
    row: dict[str, Any] = {**raw["properties"], "id": raw["id"]}
    own = raw["properties"].get("hs_object_id")
    for kind, ids in (named or {}).items():
        row[kind] = [{"value": own, f"{kind}_id": one} for one in ids]
    return row


def _companies_of(objects: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Company id → the ids of the objects whose associations name it (what HubSpot lists on the company)."""
    listed: dict[str, list[str]] = {}
    for raw in objects:
        for entry in ((raw.get("associations") or {}).get("companies") or {}).get("results", []):
            if raw["id"] not in listed.setdefault(entry["id"], []):
                listed[entry["id"]].append(raw["id"])
    return listed


def hubspot_tables() -> dict[str, list[dict[str, Any]]]:
    """The verified source's tables, as its code reads HubSpot (dlt-hub/verified-sources, ``sources/hubspot``):
    companies asked with ``associations=contacts,deals,…`` (so each lists its contacts and deals), contacts with
    ``associations=deals,…`` (no company: ``associatedcompanyid`` is one of their properties), deals with none, and
    no line items."""
    contacts = hubspot_payloads.payload("contacts_page")["results"]
    deals = hubspot_payloads.payload("deals_page")["results"]
    listed = {"contacts": _companies_of(contacts), "deals": _companies_of(deals)}
    companies = [
        hubspot_flat(
            raw, {kind: by_company[raw["id"]] for kind, by_company in listed.items() if raw["id"] in by_company}
        )
        for raw in hubspot_payloads.payload("companies_page")["results"]
    ]
    return {
        "companies": companies,
        "contacts": [hubspot_flat(raw) for raw in contacts],
        "deals": [hubspot_flat(raw) for raw in deals],
    }


def hubspot_deals_with_line_items() -> dict[str, list[dict[str, Any]]]:
    """Deals as HubSpot returns them, each carrying the line items its associations name (a batch read): a pipeline
    of one's own, for the contracts' lines (the verified source reads no line items)."""
    deals_page = hubspot_payloads.payload("deals_page")
    line_items = {item["id"]: item for item in deals_page["line_items"]["results"]}
    deals = []
    for deal in deals_page["results"]:
        named = (deal.get("associations") or {}).get("line items", {}).get("results", [])
        deals.append({**deal, "line_items": [line_items[entry["id"]] for entry in named]})
    return {"deals": deals}


def _zendesk_ticket(raw: Mapping[str, Any]) -> dict[str, Any]:
    ticket = {key: value for key, value in raw.items() if key != "fields"}
    if not ticket.get("custom_fields"):
        ticket.pop("custom_fields", None)
    return ticket


def zendesk_tables() -> dict[str, list[dict[str, Any]]]:
    """The verified source's tables: organizations, users, tickets and the ticket metric events export."""
    page = zendesk_payloads.payload("tickets_page")
    tickets = [_zendesk_ticket(raw) for raw in page["tickets"]]
    events = zendesk_payloads.payload("ticket_metric_events_page")["ticket_metric_events"]
    return {
        "organizations": page["organizations"],
        "users": page["users"],
        "tickets": tickets,
        "ticket_metric_events": events,
    }


def zendesk_incremental_tickets() -> dict[str, list[dict[str, Any]]]:
    """The incremental export's page as a tickets resource of one's own: each ticket carrying its metric set."""
    page = zendesk_payloads.payload("incremental_page")
    metrics = {entry["ticket_id"]: entry for entry in page["metric_sets"]}
    tickets = [_zendesk_ticket(raw) | {"metric_set": metrics.get(raw["id"])} for raw in page["tickets"]]
    return {"tickets": tickets}


def resources(tables: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[DltResource]:
    """One dlt resource per table, yielding its rows (a local stand-in for the vendor's API)."""
    return [dlt.resource(list(rows), name=name) for name, rows in tables.items()]


def local_source(name: str, tables: Mapping[str, Iterable[Mapping[str, Any]]]) -> DltSource:
    @dlt.source(name=name)
    def local() -> list[DltResource]:
        return resources(tables)

    return local()


@dataclass
class Loader:
    """Runs dlt pipelines into one cshub; dlt's working files under ``workdir``."""

    base_url: str
    ingest_key: str
    admin_key: str
    workdir: Path

    def run(
        self, kind: str, tables: Mapping[str, Iterable[Mapping[str, Any]]], name: str = "", **options: Any
    ) -> LoadInfo:
        """Load ``tables`` with the pipeline ``name`` (a load that failed stays pending in its pipeline)."""
        return self.pipeline(name or kind, self.destination(kind, **options)).run(resources(tables))

    def run_in_order(
        self, kind: str, tables: Mapping[str, Iterable[Mapping[str, Any]]], **options: Any
    ) -> list[LoadInfo]:
        return run_in_order(self.pipeline(kind, self.destination(kind, **options)), local_source(kind, tables), kind)

    def destination(self, kind: str, **options: Any) -> Any:
        return cshub(url=self.base_url, ingest_key=self.ingest_key, kind=kind, **options)

    def pipeline(self, name: str, destination: Any) -> dlt.Pipeline:
        return dlt.pipeline(
            pipeline_name=f"to_cshub_{name}", pipelines_dir=str(self.workdir / "pipelines"), destination=destination
        )

    def account(self, source: str, external_id: str, query: str) -> Any:
        response = httpx.post(
            f"{self.base_url}/graphql",
            json={"query": query, "variables": {"source": source, "id": external_id}},
            headers={"Authorization": f"Bearer {self.admin_key}"},
            timeout=10,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["accountBySource"]
