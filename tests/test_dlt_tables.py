"""The dlt destination's pieces that need no hub: rows as the routes' bodies, batches, and the stages of a run."""

import datetime as dt
import json
from decimal import Decimal

from service.dlt_destination.ordering import stages
from service.dlt_destination.sending import batches
from service.dlt_destination.tables import encode, hubspot_object, route_for


def test_a_verified_hubspot_row_becomes_a_crm_v3_object_with_text_properties() -> None:
    row = {
        "id": "17250001",
        "hs_object_id": 17250001,
        "dealname": "Acme - Platform annual",
        "amount": 17000.0,
        "hs_acv": Decimal("1416.67"),
        "closedate": dt.datetime(2026, 10, 15, 12, 0, tzinfo=dt.UTC),
        "hs_is_closed_won": True,
        "companies": [{"value": 17250001, "companies_id": "9834512001"}],
        "is_deleted": True,
    }
    assert hubspot_object(row) == {
        "id": "17250001",
        "properties": {
            "hs_object_id": "17250001",
            "dealname": "Acme - Platform annual",
            "amount": "17000",
            "hs_acv": "1416.67",
            "closedate": "2026-10-15T12:00:00.000Z",
            "hs_is_closed_won": "true",
        },
        "associations": {"companies": {"results": [{"id": "9834512001"}]}},
        "archived": True,
    }


def test_a_crm_v3_object_passes_as_it_is_and_its_line_items_go_beside_the_page() -> None:
    line = {"id": "4401", "properties": {"name": "Platform", "quantity": "10"}}
    deal = {"id": "1", "properties": {"dealstage": "closedwon"}, "line_items": [line]}
    route = route_for("hubspot", "deals", "dlt")
    assert route is not None
    assert route.body([deal]) == {
        "results": [{"id": "1", "properties": {"dealstage": "closedwon"}}],
        "line_items": [line],
    }


def test_rows_are_encoded_with_utc_timestamps_and_exact_decimals() -> None:
    row = {
        "at": dt.datetime(2026, 11, 2, 10, 14, 51, 123000, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        "naive": dt.datetime(2026, 11, 2, 9, 0),
        "on": dt.date(2026, 1, 15),
        "price": Decimal("1200.10"),
    }
    assert json.loads(encode(row)) == {
        "at": "2026-11-02T09:14:51.123000Z",
        "naive": "2026-11-02T09:00:00Z",
        "on": "2026-01-15",
        "price": "1200.10",
    }


def test_the_table_maps_name_their_routes_and_skip_what_cshub_does_not_read() -> None:
    assert route_for("salesforce", "opportunity_line_item", "dlt").path == "/salesforce/v1/records"  # type: ignore[union-attr]
    assert route_for("salesforce", "lead", "dlt") is None
    assert route_for("zendesk", "ticket_fields", "dlt") is None
    usage = route_for("cshub", "usage_events", "billing")
    assert usage is not None
    assert (usage.path, usage.id_field) == ("/v1/ingest/usage-events", "event_id")
    assert usage.body([{"event_id": "e-1"}]) == {"source": "billing", "records": [{"event_id": "e-1"}]}
    assert route_for("cshub", "customers", "dlt") is None


def test_an_opportunitys_line_items_are_never_split_between_batches() -> None:
    route = route_for("salesforce", "opportunity_line_item", "dlt")
    assert route is not None
    rows = [{"Id": f"L{i}", "OpportunityId": opportunity} for i, opportunity in enumerate("AABBBAC")]
    sent = [[row["Id"] for row in batch] for batch in batches(rows, route, 4)]
    assert sent == [["L0", "L1", "L5"], ["L2", "L3", "L4", "L6"]]
    plain = route_for("salesforce", "account", "dlt")
    assert plain is not None
    assert [len(batch) for batch in batches(rows, plain, 3)] == [3, 3, 1]


def test_a_runs_stages_put_accounts_first_and_unnamed_tables_last() -> None:
    names = ["lead", "opportunity_line_item", "case", "account", "opportunity"]
    assert stages("salesforce", names) == [["account"], ["opportunity", "case"], ["opportunity_line_item"], ["lead"]]
    assert stages("cshub", ["usage_events", "accounts", "contracts"]) == [["accounts"], ["usage_events", "contracts"]]


def test_a_zendesk_ticket_rows_metric_set_goes_beside_the_page() -> None:
    route = route_for("zendesk", "tickets", "dlt")
    assert route is not None
    metrics = {"ticket_id": 1, "solved_at": "2026-11-05T11:00:00Z"}
    assert route.body([{"id": 1, "metric_set": metrics}, {"id": 2}]) == {
        "tickets": [{"id": 1}, {"id": 2}],
        "metric_sets": [metrics],
    }
    users = route_for("zendesk", "users", "dlt")
    assert users is not None
    assert users.body([{"id": 7}]) == {"users": [{"id": 7}]}
