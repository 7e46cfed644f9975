"""The dlt destination (``service.dlt_destination``, the ``cshub[dlt]`` extra) end to end: real dlt pipelines over
local resources — vendor-shaped rows as dlt's verified Salesforce, HubSpot and Zendesk sources yield them, and
cshub-shaped rows — loading into a real ``cshub serve`` through its adapter and ingest routes; the customer 360
read back over GraphQL, replays, rejections, retries and the routes' limits."""

import ast
import asyncio
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest
import pytest_asyncio
from dlt.extract import DltResource
from dlt.pipeline.exceptions import PipelineStepFailed
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from tests import hubspot_payloads, salesforce_payloads, zendesk_payloads
from tests.conftest import make_key
from tests.dlt_pipelines import (
    Loader,
    hubspot_deals_with_line_items,
    hubspot_tables,
    salesforce_tables,
    zendesk_incremental_tickets,
    zendesk_tables,
)
from tests.ingesting import rows, snapshot
from tests.serve_process import cshub_env, free_port, launch, serving, stop


@pytest.fixture(autouse=True)
def dlt_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """dlt's data directory and telemetry off: nothing written to $HOME, nothing sent anywhere."""
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


@pytest_asyncio.fixture
async def keys(engine: AsyncEngine) -> tuple[str, str]:
    return await make_key(engine, Role.INGEST, "dlt"), await make_key(engine, Role.ADMIN, "reader")


def hub_env(database_url: str, tmp_path: Path, **overrides: str) -> dict[str, str]:
    return cshub_env(
        CSHUB_DATABASE_URL=database_url,
        CSHUB_DATA_DIR=str(tmp_path / "data"),
        CSHUB_HEALTH_RECOMPUTE_INTERVAL_SECONDS="0",
        CSHUB_HEALTH_RECOMPUTE_AFTER_INGEST_SECONDS="0",
        **overrides,
    )


@pytest.fixture
def loader(database_url: str, keys: tuple[str, str], tmp_path: Path) -> Iterator[Loader]:
    with serving(env=hub_env(database_url, tmp_path), workdir=tmp_path) as server:
        yield Loader(server.base_url, *keys, tmp_path)


class Seen(logging.Handler):
    """Sets ``event`` when a message containing ``text`` is logged (from any thread)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


def statuses(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "cshub.dlt"]


async def test_the_verified_salesforce_sources_tables_land_and_a_replay_writes_nothing(
    loader: Loader, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    # Accounts, then contacts, then opportunities and cases, then line items (the full set of each opportunity's
    # lines, for the contract its opportunity made): a case with no AccountId is placed by its contact's account.
    # One row per request, but an opportunity's line items travel together (apart, the last would replace the rest).
    infos = loader.run_in_order("salesforce", salesforce_tables(), max_records=1)
    assert len(infos) == 4

    acme = loader.account("salesforce", salesforce_payloads.ACME, salesforce_payloads.ACCOUNT_360)
    assert (acme["name"], acme["domain"], acme["industry"]) == ("Acme Corporation", "acme.example", "Manufacturing")
    assert sorted((c["name"], c["email"]) for c in acme["contacts"]) == [
        ("Ada Lovelace", "ada@acme.example"),
        ("Grace Hopper", "grace@acme.example"),
    ]
    contracts = salesforce_payloads.contracts_of(acme)
    new = contracts["2026-01-15"]
    assert (new["status"], new["endDate"]) == ("ACTIVE", "2027-01-15")
    assert salesforce_payloads.lines_of(new) == [
        ("Platform", 10, "100.00", "1000.00"),
        ("Premium Support", 1, "200.00", "200.00"),
    ]
    assert contracts["2026-06-01"]["endDate"] == "2027-01-15"  # the upsell, co-termed
    assert acme["mrr"] == [{"amount": "1700.00", "currency": "USD"}]
    tickets = salesforce_payloads.tickets_of(acme)
    assert (tickets["Export to CSV times out"]["status"], tickets["Export to CSV times out"]["category"]) == (
        "OPEN",
        "BUG",
    )
    assert tickets["SSO login loops"]["priority"] == "URGENT"  # no AccountId: placed by its ContactId

    before = await snapshot(engine)
    caplog.set_level(logging.INFO, logger="cshub.dlt")
    caplog.clear()  # what this run logs only (an earlier test in the process may have set the level already)
    loader.run_in_order("salesforce", salesforce_tables())  # the same rows again
    assert await snapshot(engine) == before
    reports = [ast.literal_eval(line.split("requests: ")[1]) for line in statuses(caplog) if "rows in" in line]
    assert len(reports) == 5, reports  # account, contact, opportunity, case, opportunity_line_item
    assert {status for report in reports for status in report} == {"unchanged", "skipped"}, reports


async def test_incremental_line_items_reloaded_in_full_keep_every_line_of_the_contract(loader: Loader) -> None:
    tables = salesforce_tables()
    lines = tables.pop("opportunity_line_item")
    loader.run_in_order("salesforce", tables)

    def line_items(seats: int) -> DltResource:
        """The verified source's resource: incremental on SystemModstamp; one line changed when ``seats`` do."""
        changed = [
            {**line, "Quantity": seats, "TotalPrice": seats * 1200.0, "SystemModstamp": "2026-12-01T00:00:00.000000Z"}
            if line["Id"] == "00kDn00000LnNw1AAC" and seats != 10
            else line
            for line in lines
        ]

        incremental: dlt.sources.incremental[str] = dlt.sources.incremental("SystemModstamp")
        return dlt.resource(changed, name="opportunity_line_item", incremental=incremental)

    pipeline = loader.pipeline("line_items", loader.destination("salesforce"))
    pipeline.run(line_items(10))
    # One line changed: the incremental resource would yield it alone, which cshub would take as the full set;
    # loaded in full (its state dropped), every line of the opportunity goes.
    pipeline.run(line_items(12), refresh="drop_resources")
    acme = loader.account("salesforce", salesforce_payloads.ACME, salesforce_payloads.ACCOUNT_360)
    assert salesforce_payloads.lines_of(salesforce_payloads.contracts_of(acme)["2026-01-15"]) == [
        ("Platform", 12, "100.00", "1200.00"),
        ("Premium Support", 1, "200.00", "200.00"),
    ]


async def test_hubspot_companies_contacts_and_deals_land_stage_by_stage(loader: Loader, engine: AsyncEngine) -> None:
    loader.run_in_order("hubspot", hubspot_tables())
    acme = loader.account("hubspot", "9834512001", hubspot_payloads.ACCOUNT_360)
    assert (acme["name"], acme["domain"], acme["industry"]) == ("Acme Corporation", "acme.example", "Computer Software")
    assert ("Ada Lovelace", "ada@acme.example", "VP Engineering") in [
        (c["name"], c["email"], c["title"]) for c in acme["contacts"]
    ]
    # The deals name no company: Acme lists them. The verified source reads no line items: contracts, no lines yet.
    assert sorted((c["kind"], c["lines"]) for c in acme["contracts"]) == [("EXPANSION", []), ("NEW", [])]
    # ACME Corp. lists Wile. Linus names no company, his company is not in HubSpot's page and
    # initech.example is no account: he waits for it.
    corp = loader.account("hubspot", "9834512004", hubspot_payloads.ACCOUNT_360)
    assert [c["email"] for c in corp["contacts"]] == ["wile@acme-corp.example"]
    waiting = await rows(engine, "SELECT entity, external_id FROM unmatched_records WHERE resolved_at IS NULL")
    assert waiting == [("contacts", "53")]
    # The line items by a pipeline of one's own: the deals as HubSpot returns them, each with its line items.
    loader.run("hubspot", hubspot_deals_with_line_items(), name="lines")
    acme = loader.account("hubspot", "9834512001", hubspot_payloads.ACCOUNT_360)
    assert acme["mrr"] == [{"amount": "1300.00", "currency": "USD"}]  # the two won deals' lines, as over REST
    before = await snapshot(engine)
    loader.run_in_order("hubspot", hubspot_tables())
    loader.run("hubspot", hubspot_deals_with_line_items(), name="lines")
    assert await snapshot(engine) == before


async def test_zendesk_organizations_users_and_tickets_land(loader: Loader) -> None:
    loader.run_in_order("zendesk", zendesk_tables())
    acme = loader.account("zendesk", "509974", zendesk_payloads.ACCOUNT_360)
    assert acme["name"] == "Acme Corporation"
    assert [c["email"] for c in acme["contacts"]] == ["ada@acme.example"]  # the agent is no contact
    subjects = sorted(edge["node"]["subject"] for edge in acme["tickets"]["edges"])
    assert subjects == ["Export to CSV times out", "How do I add a seat?"]
    # The ticket metric events (the verified source's ticket_metric_events): the first reply, after the tickets.
    export = zendesk_payloads.tickets_of(acme)["Export to CSV times out"]
    assert export["firstResponseAt"].startswith("2026-11-02T09:59:51")
    # The incremental export later, each ticket with its metric set: solved and first-response times, as over REST.
    loader.run("zendesk", zendesk_incremental_tickets(), name="incremental")
    acme = loader.account("zendesk", "509974", zendesk_payloads.ACCOUNT_360)
    export = zendesk_payloads.tickets_of(acme)["Export to CSV times out"]
    assert (export["status"], export["csat"]) == ("SOLVED", 1)
    assert export["solvedAt"].startswith("2026-11-05T11:00:00")
    assert export["firstResponseAt"].startswith("2026-11-02T09:59:51")


CSHUB_TABLES: dict[str, list[dict[str, Any]]] = {
    "accounts": [
        {"external_id": "a-1", "name": "Initech", "domain": "initech.example", "updated_at": "2026-11-01T00:00:00Z"},
        {"external_id": "a-2", "domain": "umbrella.example"},  # no name: rejected
        {"external_id": "a-3", "name": "Hooli", "domain": "hooli.example"},
    ],
    "contracts": [
        {
            "external_id": "k-1",
            "account_external_id": "a-1",
            "status": "active",
            "start_date": "2026-01-01",
            "lines": [{"product": "Platform", "quantity": 3, "unit_price": "100.00"}],
        }
    ],
    "usage_events": [
        {
            "event_id": "e-1",
            "account_external_id": "a-3",
            "user_id": "u1",
            "event": "Login",
            "occurred_at": "2026-11-01T10:00:00Z",
        },
    ],
}


async def test_a_rejected_record_fails_the_load_naming_it_and_the_good_ones_are_kept(
    loader: Loader, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(PipelineStepFailed) as failed:
        loader.run("cshub", {"accounts": CSHUB_TABLES["accounts"]}, source="billing")
    message = str(failed.value)
    assert "cshub rejected 1 of accounts's 3 records (the others were written)" in message
    assert "accounts row 1 (external_id a-2): name: required" in message
    assert await rows(engine, "SELECT name FROM accounts ORDER BY name") == [("Hooli",), ("Initech",)]
    assert await rows(engine, "SELECT source FROM source_links WHERE external_id = 'a-1'") == [("billing",)]
    # The failed package stays pending (dlt would send it again); dropped, the corrected rows load.
    pipeline = loader.pipeline("cshub", loader.destination("cshub", source="billing"))
    assert pipeline.has_pending_data
    pipeline.abort_packages()
    fixed = [{**CSHUB_TABLES["accounts"][1], "name": "Umbrella"}]
    loader.run("cshub", {"accounts": fixed}, source="billing")
    assert await rows(engine, "SELECT count(*) FROM accounts") == [(3,)]

    # With dlt's load.raise_on_failed_jobs off, the other tables load too and the load info names the failure.
    monkeypatch.setenv("LOAD__RAISE_ON_FAILED_JOBS", "false")
    caplog.set_level(logging.INFO, logger="cshub.dlt")
    caplog.clear()  # what this run logs only (an earlier test in the process may have set the level already)
    bad = {"external_id": "a-4", "domain": "wayne.example"}  # no name again, a new account
    tables = {**CSHUB_TABLES, "accounts": [*CSHUB_TABLES["accounts"], bad]}
    info = loader.run("cshub", tables, name="all_tables", source="billing")
    # The accounts sent again in a new run are answered afresh (the Idempotency-Key is the load job's, not the rows').
    reports = [line for line in statuses(caplog) if line.startswith("cshub destination: accounts:")]
    assert [ast.literal_eval(line.split("requests: ")[1]) for line in reports] == [{"unchanged": 3, "rejected": 1}]
    assert info.has_failed_jobs
    failures = [job.failed_message for package in info.load_packages for job in package.jobs["failed_jobs"]]
    assert len(failures) == 1
    assert "accounts row 3 (external_id a-4): name: required" in str(failures[0])
    assert await rows(engine, "SELECT count(*) FROM contract_lines") == [(1,)]
    assert await rows(engine, "SELECT count(*) FROM usage_events") == [(1,)]


async def test_a_table_that_is_no_entity_or_a_wrong_key_fails_the_load_with_the_reason(
    loader: Loader, engine: AsyncEngine
) -> None:
    with pytest.raises(PipelineStepFailed) as failed:
        loader.run("cshub", {"customers": [{"external_id": "c-1", "name": "Acme"}]}, name="customers")
    assert "table 'customers' is no cshub entity" in str(failed.value)
    loader.ingest_key = "not-a-cshub-key"
    with pytest.raises(PipelineStepFailed) as refused:
        loader.run("cshub", {"accounts": [{"external_id": "a-1", "name": "Acme"}]}, name="wrong_key")
    assert "cshub refused accounts rows 0-0 (POST /v1/ingest/accounts): 401" in str(refused.value)
    assert await rows(engine, "SELECT count(*) FROM accounts") == [(0,)]


async def test_a_hub_that_is_not_up_yet_is_retried_and_batches_over_its_limit_are_split(
    database_url: str, keys: tuple[str, str], tmp_path: Path, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cshub.dlt")
    caplog.clear()  # what this run logs only (an earlier test in the process may have set the level already)
    port = free_port()
    accounts = [{"external_id": f"a-{i}", "name": f"Account {i}"} for i in range(7)]
    loader = Loader(f"http://127.0.0.1:{port}", *keys, tmp_path)
    failures: list[BaseException] = []

    def load() -> None:
        try:
            loader.run("cshub", {"accounts": accounts}, max_records=5, retries=8, backoff_seconds=0.5)
        except BaseException as error:
            failures.append(error)

    watch = Seen("ConnectError")
    logging.getLogger("cshub.dlt").addHandler(watch)
    pipeline = threading.Thread(target=load)
    pipeline.start()
    # The hub starts once the pipeline has found it down, and takes 2 records per request.
    assert await asyncio.to_thread(watch.event.wait, 60)
    server = launch(env=hub_env(database_url, tmp_path, CSHUB_INGEST_MAX_RECORDS="2"), workdir=tmp_path, port=port)
    try:
        pipeline.join(timeout=120)
    finally:
        stop(server.process)
        logging.getLogger("cshub.dlt").removeHandler(watch)
    assert not pipeline.is_alive()
    assert failures == []
    assert await rows(engine, "SELECT count(*) FROM accounts") == [(7,)]
    logged = statuses(caplog)
    assert any("ConnectError" in line for line in logged), logged  # refused connections, retried
    # 5 rows (413: over the hub's 2), halved: 2 rows, 3 rows (413), halved: 1 + 2; then the last 2 rows.
    assert "accounts: 7 rows in 6 requests: {'created': 7}" in logged[-1], logged
    assert os.listdir(tmp_path / "pipelines")  # dlt's working files under the test's directory


def test_a_hub_that_stays_unreachable_fails_the_load_after_the_retries(tmp_path: Path) -> None:
    loader = Loader(f"http://127.0.0.1:{free_port()}", "any-key", "", tmp_path)  # nothing listens there
    with pytest.raises(PipelineStepFailed) as failed:
        loader.run("cshub", {"accounts": [{"external_id": "a-1", "name": "Acme"}]}, retries=1, backoff_seconds=0.01)
    assert "POST /v1/ingest/accounts failed 2 times; last: ConnectError" in str(failed.value)
