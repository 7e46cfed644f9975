"""The Salesforce mapping file: the stock default, an override laid over it (and used by the routes), and errors
that name the file's line."""

import re
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.adapters.salesforce.mapping import DEFAULT_MAPPING, load_mapping
from service.api_keys.roles import Role
from service.errors import ConfigurationError
from service.settings import Settings
from tests.app_client import app_client
from tests.conftest import make_key
from tests.salesforce_payloads import ACME, account_360, contracts_of, lines_of, payload, send_records


def test_the_default_maps_a_stock_org() -> None:
    assert DEFAULT_MAPPING.stages == {"closed won": "won", "closed lost": "lost"}
    assert DEFAULT_MAPPING.kinds["new customer"] == "new"
    assert DEFAULT_MAPPING.kinds["existing customer - upgrade"] == "expansion"
    assert DEFAULT_MAPPING.kinds["existing customer - replacement"] == "renewal"
    assert DEFAULT_MAPPING.kinds["existing customer - downgrade"] == "renewal"
    assert DEFAULT_MAPPING.case_statuses["working"] == "open"
    assert DEFAULT_MAPPING.case_priorities["medium"] == "normal"
    terms = DEFAULT_MAPPING.contract
    assert (terms.start_field, terms.term_months, terms.price_months) == ("CloseDate", 12, 12)
    assert DEFAULT_MAPPING.account_fields == {"Industry": "industry", "OwnerId": "sales_owner"}
    assert DEFAULT_MAPPING.owners == {}


def test_an_override_may_still_spell_kinds_as_before(tmp_path: Path) -> None:
    path = tmp_path / "salesforce.toml"
    path.write_text('[opportunity.type]\n"Expansion" = "upsell"\n"Brand New" = "new_business"\nRenewal = "new"\n')
    kinds = load_mapping(path).kinds
    assert (kinds["expansion"], kinds["brand new"], kinds["renewal"]) == ("expansion", "new", "new")


def test_an_override_changes_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "salesforce.toml"
    path.write_text(
        '[owners]\n"005Dn000001SalesAA" = "Grace Hopper"\n\n[account.fields]\nOwnerId = "csm_owner"\n'
        'Segment__c = "segment"\n\n[account.field_values.Segment__c]\n"Mid-Market" = "mid_market"\n\n'
        '[contract]\nprice_period = "month"\nterm_field = "Term_Months__c"\n'
    )
    mapping = load_mapping(path)
    assert mapping.owner("005Dn000001SalesAA") == "Grace Hopper"
    assert mapping.owner("005Dn000001Sales") == "Grace Hopper"  # the 15-character form
    assert mapping.account_fields == {"Industry": "industry", "OwnerId": "csm_owner", "Segment__c": "segment"}
    assert mapping.account_value("Segment__c", "mid-market") == "mid_market"
    assert (mapping.contract.price_months, mapping.contract.term_field, mapping.contract.term_months) == (
        1,
        "Term_Months__c",
        12,
    )


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ('[opportunity.stage]\n"Closed Won" = "won"\nNegotiation = "maybe"\n', 3, r'"maybe" is not one of won, lost'),
        ('[opportunity.type]\n\n# ours\nRenewal = "renew"\n', 4, r'"renew" is not one of new, renewal, expansion'),
        ('[owners]\nbob = "Bob"\n', 2, r"key 'bob': 'bob' is not a Salesforce user id"),
        ('[case.status]\nWorking = "working"\n', 2, r'"working" is not one of new, open'),
        ("[contract]\nterm_months = 0\n", 2, r"0 is not a number of months"),
        ('[contract]\nterm = "12"\n', 2, r"key 'term'"),
        ('[account.fields]\nName = "name"\n', 2, r'"name" is not one of industry'),
    ],
)
def test_errors_name_the_line(tmp_path: Path, content: str, line: int, message: str) -> None:
    path = tmp_path / "salesforce.toml"
    path.write_text(content)
    with pytest.raises(ConfigurationError) as raised:
        load_mapping(path)
    assert f"{path}:{line}:" in raised.value.message
    assert re.search(message, raised.value.message), raised.value.message


def test_a_price_period_that_is_none_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "salesforce.toml"
    path.write_text('[contract]\nprice_period = "week"\n')
    with pytest.raises(ConfigurationError, match=r"price_period: 'week' is not one of month, year, term"):
        load_mapping(path)


async def test_the_routes_use_the_override(settings: Settings, engine: AsyncEngine, tmp_path: Path) -> None:
    path = tmp_path / "salesforce.toml"
    path.write_text(
        '[owners]\n"005Dn000001SalesAA" = "Grace Hopper"\n[account.fields]\nOwnerId = "csm_owner"\n'
        '[contract]\nprice_period = "month"\n'
    )
    key = await make_key(engine, Role.INGEST, "salesforce")
    admin = await make_key(engine, Role.ADMIN, "admin")
    async with app_client(settings, salesforce_mapping_file=path) as (client, _):
        for name in ("query_accounts", "query_opportunities"):
            assert (await send_records(client, key, payload(name))).status_code == 200
        query = (
            """query($id: String!) { accountBySource(source: "salesforce", externalId: $id) { csmOwner salesOwner } }"""
        )
        response = await client.post(
            "/graphql", json={"query": query, "variables": {"id": ACME}}, headers={"Authorization": f"Bearer {admin}"}
        )
        assert response.json()["data"]["accountBySource"] == {"csmOwner": "Grace Hopper", "salesOwner": None}
        new = contracts_of(await account_360(client, admin, ACME))["2026-01-15"]
        assert lines_of(new) == [("Platform", 10, "1200.00", "12000.00"), ("Premium Support", 1, "2400.00", "2400.00")]


async def test_a_bad_mapping_stops_the_app_at_start(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "salesforce.toml"
    path.write_text('[case.priority]\nLow = "lowest"\n')
    with pytest.raises(ConfigurationError, match=r"salesforce.toml:2: \[case.priority\] Low"):
        async with app_client(settings, salesforce_mapping_file=path):
            pass
