"""The activity metrics' contract around the numbers: argument checks (PRODUCT refused, periods, names,
currencies), one SQL statement per metric call however grouped, and who may read them."""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.statements import counting_statements
from tests.test_metrics_activity import JANUARY, accounts_of, load_handoffs, load_responses, load_tickets

EVERY_METRIC = {
    "outcomes": ("due", JANUARY),
    "voiceOfCustomer": ("requests", JANUARY),
    "nps": ("nps", JANUARY),
    "ticketStats": ("opened", JANUARY),
    "healthDistribution": ("unscored", {"asOf": "2026-01-31"}),
    "usageSummary": ("stickiness", JANUARY),
    "onboarding": ("cohort", JANUARY),
}


def _call(field: str, selection: str, arguments: dict[str, Any], extra: str = "") -> str:
    passed = ", ".join(f'{name}: "{value}"' for name, value in arguments.items())
    return f"{{ metrics {{ {field}({passed}{extra}) {{ group {{ value }} {selection} }} }} }}"


@pytest.mark.parametrize("field", sorted(EVERY_METRIC))
async def test_every_metric_refuses_product_grouping_and_bad_arguments(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str, field: str
) -> None:
    selection, arguments = EVERY_METRIC[field]
    product = await gql(client, admin_key, _call(field, selection, arguments, ", groupBy: [SEGMENT, PRODUCT]"))
    assert product["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "PRODUCT" in product["errors"][0]["message"]
    if "from" in arguments:
        for wrong in ({"from": "2026-02-01", "to": "2026-02-01"}, {"from": "2000-01-01", "to": "2020-01-02"}):
            refused = await gql(client, admin_key, _call(field, selection, wrong))
            assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", wrong
        twenty_years = await gql(client, admin_key, _call(field, selection, {"from": "2000-01-01", "to": "2020-01-01"}))
        assert "errors" not in twenty_years


@pytest.mark.parametrize("extra", [', name: ""', f', name: "{"x" * 101}"'])
async def test_health_distribution_refuses_blank_or_long_names(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str, extra: str
) -> None:
    body = await gql(client, admin_key, _call("healthDistribution", "red", {"asOf": "2026-01-31"}, extra))
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_voice_of_customer_refuses_a_malformed_currency(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    body = await gql(client, admin_key, _call("voiceOfCustomer", "arr", JANUARY, ', currency: "usd"'))
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("field", sorted(EVERY_METRIC))
async def test_every_metric_call_is_one_statement_however_grouped(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str, field: str
) -> None:
    p = await accounts_of(engine)
    await load_tickets(engine, p)
    await load_responses(engine, p)
    await load_handoffs(engine, p)
    selection, arguments = EVERY_METRIC[field]
    await gql(client, admin_key, "{ metrics { dimensions } }")  # the key's first use looks it up; then it is cached
    with counting_statements() as baseline:
        assert "errors" not in await gql(client, admin_key, "{ metrics { dimensions } }")
    for extra in ("", ", groupBy: [SEGMENT, CSM_OWNER, INDUSTRY]"):
        with counting_statements() as statements:
            body = await gql(client, admin_key, _call(field, selection, arguments, extra))
        assert "errors" not in body, body
        assert len(statements) - len(baseline) == 1, statements


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.BI, True), (Role.CSM, True), (Role.ADMIN, True), (Role.SALES, False), (Role.INGEST, False)],
)
async def test_only_bi_csm_and_admin_read_activity_metrics(
    client: httpx.AsyncClient, engine: AsyncEngine, role: Role, allowed: bool
) -> None:
    key = await make_key(engine, role, f"{role.value} key")
    body = await gql(client, key, _call("nps", "responses nps", JANUARY))
    if allowed:
        assert body["data"]["metrics"]["nps"] == [{"group": [], "responses": 0, "nps": None}]
    else:
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
