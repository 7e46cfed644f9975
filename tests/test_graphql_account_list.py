"""The account list: every filter, every ordering in both directions, pagination under filters and orderings,
`totalCount` under a filter, and clear errors for contradictory input and foreign cursors."""

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.graphql.relay import encode_cursor, encode_global_id
from tests.graphql_client import gql
from tests.ingesting import ingest, rows, statuses

TODAY = dt.datetime.now(dt.UTC).date()


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


ACCOUNTS = [
    {"external_id": "a", "name": "Acme", "domain": "acme.example", "industry": "Software", "segment": "enterprise",
     "lifecycle_stage": "adoption", "touch_model": "high", "csm_owner": "Aiko", "sales_owner": "Sam"},
    {"external_id": "b", "name": "Beta Corp", "domain": "beta-corp.example", "industry": "Retail", "segment": "smb",
     "lifecycle_stage": "onboarding", "touch_model": "low", "csm_owner": "Ben", "sales_owner": "Sam"},
    {"external_id": "c", "name": "Gamma 100%_Sub", "domain": "gamma.example", "industry": "Software",
     "segment": "enterprise", "csm_owner": "Aiko", "parent_external_id": "a"},
    {"external_id": "d", "name": "Delta", "domain": "acmedelta.example", "segment": "mid_market",
     "lifecycle_stage": "churned", "touch_model": "tech", "sales_owner": "Kim"},
    {"external_id": "e", "name": "Epsilon", "domain": "epsilon.example", "industry": "Retail", "segment": "smb",
     "csm_owner": "Ben"},
]  # fmt: skip

CONTRACTS = [
    # Acme: ARR 12,000 USD, renews in 200 days.
    {"external_id": "ka", "account_external_id": "a", "status": "active", "start_date": day(-100),
     "end_date": day(200), "renewal_date": day(200), "lines": [{"product": "Hub", "quantity": 10, "mrr": "1000"}]},
    # Beta: ARR 2,400 USD, renews in 30 days.
    {"external_id": "kb", "account_external_id": "b", "status": "active", "start_date": day(-10),
     "end_date": day(355), "renewal_date": day(30), "lines": [{"product": "Hub", "quantity": 2, "mrr": "200"}]},
    # delta: its only contract ended (its renewal date is past): ARR 0, no next renewal.
    {"external_id": "kd", "account_external_id": "d", "status": "ended", "start_date": day(-400),
     "end_date": day(-35), "renewal_date": day(-35), "lines": [{"product": "Hub", "quantity": 5, "mrr": "900"}]},
    # Epsilon: billed in EUR (6,000 EUR ARR, 0 USD), renews in 60 days.
    {"external_id": "ke", "account_external_id": "e", "status": "active", "start_date": day(-5),
     "end_date": day(60), "renewal_date": day(60), "currency": "EUR",
     "lines": [{"product": "Hub", "quantity": 4, "mrr": "500"}]},
]  # fmt: skip

LIST = """
query($filter: AccountFilter, $orderBy: AccountOrder, $first: Int, $after: String) {
  accounts(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""


@pytest.fixture
async def customers(engine: AsyncEngine) -> dict[str, str]:
    """Global ids of the fixture accounts, by external id."""
    assert statuses(await ingest(engine, "crm", "accounts", ACCOUNTS)) == ["created"] * len(ACCOUNTS)
    assert statuses(await ingest(engine, "crm", "contracts", CONTRACTS)) == ["created"] * len(CONTRACTS)
    links = await rows(engine, "SELECT external_id, entity_id FROM source_links WHERE object_type = 'account'")
    return {external_id: encode_global_id("Account", entity_id) for external_id, entity_id in links}


async def names(client: httpx.AsyncClient, key: str, **variables: Any) -> list[str]:
    body = await gql(client, key, LIST, {"first": 100, **variables})
    assert "errors" not in body, body
    connection = body["data"]["accounts"]
    found = [edge["node"]["name"] for edge in connection["edges"]]
    assert connection["totalCount"] == len(found)  # the count honours the filter
    return found


ALL = ["Acme", "Beta Corp", "Delta", "Epsilon", "Gamma 100%_Sub"]  # by name


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({}, ALL),
        ({"segment": ["ENTERPRISE", "MID_MARKET"]}, ["Acme", "Delta", "Gamma 100%_Sub"]),
        ({"segment": []}, []),
        ({"industry": ["Retail"]}, ["Beta Corp", "Epsilon"]),
        ({"lifecycleStage": ["CHURNED", "ONBOARDING"]}, ["Beta Corp", "Delta"]),
        ({"touchModel": ["HIGH"]}, ["Acme"]),
        ({"csmOwner": ["Aiko"]}, ["Acme", "Gamma 100%_Sub"]),
        ({"salesOwner": ["Sam", "Kim"]}, ["Acme", "Beta Corp", "Delta"]),
        ({"hasParent": True}, ["Gamma 100%_Sub"]),
        ({"hasParent": False}, ["Acme", "Beta Corp", "Delta", "Epsilon"]),
        ({"renewalDate": {"from": day(0), "to": day(61)}}, ["Beta Corp", "Epsilon"]),
        ({"renewalDate": {"from": day(31)}}, ["Acme", "Epsilon"]),
        ({"renewalDate": {"to": day(30)}}, []),  # `to` is excluded
        ({"arr": {"min": "2400"}}, ["Acme", "Beta Corp"]),
        ({"arr": {"min": "2400", "max": "2400"}}, ["Beta Corp"]),
        ({"arr": {"max": "0"}}, ["Delta", "Epsilon", "Gamma 100%_Sub"]),  # no USD revenue is ARR 0 in USD
        ({"arr": {"min": "1", "currency": "eur"}}, ["Epsilon"]),
        ({"search": "ACME"}, ["Acme", "Delta"]),  # name or domain, any case
        ({"search": "100%_"}, ["Gamma 100%_Sub"]),  # LIKE wildcards are literal
        ({"search": "%"}, ["Gamma 100%_Sub"]),
        ({"search": "   "}, ALL),
        ({"segment": ["ENTERPRISE"], "csmOwner": ["Aiko"], "hasParent": False}, ["Acme"]),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, admin_key: str, customers: dict[str, str], filter_: dict[str, Any], expected: list[str]
) -> None:
    assert await names(client, admin_key, filter=filter_) == sorted(expected)


async def test_parent_filter_lists_the_subsidiaries(
    client: httpx.AsyncClient, admin_key: str, customers: dict[str, str]
) -> None:
    assert await names(client, admin_key, filter={"parentId": customers["a"]}) == ["Gamma 100%_Sub"]
    assert await names(client, admin_key, filter={"parentId": customers["b"]}) == []


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ({"field": "ARR", "direction": "DESC"}, ["Acme", "Beta Corp"]),  # then the zeros, by id (desc)
        ({"field": "RENEWAL_DATE"}, ["Beta Corp", "Epsilon", "Acme"]),
        ({"field": "RENEWAL_DATE", "direction": "DESC"}, ["Acme", "Epsilon", "Beta Corp"]),
        ({"field": "ARR", "direction": "DESC", "currency": "EUR"}, ["Epsilon"]),
    ],
)
async def test_computed_orderings(
    client: httpx.AsyncClient, admin_key: str, customers: dict[str, str], order: dict[str, Any], expected: list[str]
) -> None:
    found = await names(client, admin_key, orderBy=order)
    assert found[: len(expected)] == expected
    assert sorted(found) == sorted(ALL)  # accounts without the value are still listed, after the others


async def test_name_and_created_orderings(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str, customers: dict[str, str]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.text("UPDATE accounts SET created_at = now() - interval '1 day' * length(name)"))
    by_length = sorted(ALL, key=len)
    assert await names(client, admin_key, orderBy={"field": "CREATED_AT", "direction": "DESC"}) == by_length
    assert await names(client, admin_key, orderBy={"field": "CREATED_AT"}) == by_length[::-1]
    ascending = await names(client, admin_key, orderBy={"field": "NAME"})
    assert await names(client, admin_key, orderBy={"field": "NAME", "direction": "DESC"}) == ascending[::-1]


async def walk(client: httpx.AsyncClient, key: str, first: int, **variables: Any) -> list[str]:
    """Every name of the list, page by page; checks the page flags on the way."""
    seen: list[str] = []
    after = None
    while True:
        body = await gql(client, key, LIST, {"first": first, "after": after, **variables})
        assert "errors" not in body, body
        connection = body["data"]["accounts"]
        assert len(connection["edges"]) <= first
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [edge["node"]["name"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return seen
        after = connection["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    "order",
    [
        {"field": "NAME"},
        {"field": "NAME", "direction": "DESC"},
        {"field": "ARR"},
        {"field": "ARR", "direction": "DESC"},
        {"field": "RENEWAL_DATE"},
        {"field": "RENEWAL_DATE", "direction": "DESC"},
        {"field": "CREATED_AT"},
        {"field": "CREATED_AT", "direction": "DESC"},
    ],
)
async def test_pages_of_every_ordering_add_up_to_the_whole_list(
    client: httpx.AsyncClient, admin_key: str, customers: dict[str, str], order: dict[str, Any]
) -> None:
    whole = await names(client, admin_key, orderBy=order)
    for first in (1, 2, 3):
        assert await walk(client, admin_key, first, orderBy=order) == whole
    # Under a filter too: pages of a filtered list are the filtered list.
    filtered = await names(client, admin_key, orderBy=order, filter={"segment": ["SMB", "ENTERPRISE"]})
    assert await walk(client, admin_key, 2, orderBy=order, filter={"segment": ["SMB", "ENTERPRISE"]}) == filtered


async def test_last_page_and_empty_result(client: httpx.AsyncClient, admin_key: str, customers: dict[str, str]) -> None:
    body = await gql(client, admin_key, LIST, {"first": 5})
    connection = body["data"]["accounts"]
    assert len(connection["edges"]) == 5
    assert connection["pageInfo"]["hasNextPage"] is False
    after_last = await gql(client, admin_key, LIST, {"first": 5, "after": connection["pageInfo"]["endCursor"]})
    assert after_last["data"]["accounts"]["edges"] == []
    assert after_last["data"]["accounts"]["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": None,
    }
    assert await names(client, admin_key, filter={"search": "no such customer"}) == []


async def test_cursor_of_another_ordering_is_rejected(
    client: httpx.AsyncClient, admin_key: str, customers: dict[str, str]
) -> None:
    body = await gql(client, admin_key, LIST, {"first": 1, "orderBy": {"field": "ARR"}})
    cursor = body["data"]["accounts"]["pageInfo"]["endCursor"]
    for other in ({"field": "NAME"}, {"field": "ARR", "direction": "DESC"}, {"field": "ARR", "currency": "EUR"}):
        rejected = await gql(client, admin_key, LIST, {"after": cursor, "orderBy": other})
        assert rejected["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "another order" in rejected["errors"][0]["message"]
    # The filter may change between pages.
    continued = await gql(client, admin_key, LIST, {"after": cursor, "orderBy": {"field": "ARR"}, "filter": {}})
    assert "errors" not in continued


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"filter": {"renewalDate": {"from": day(10), "to": day(10)}}}, "must be after `from`"),
        ({"filter": {"arr": {"min": "10", "max": "5"}}}, "must not be below `min`"),
        ({"filter": {"arr": {"min": "NaN"}}}, "at .arr.min: Decimal must be a finite number"),
        ({"filter": {"arr": {"max": "1e999999"}}}, "at .arr.max: Decimal must have at most 30 digits before"),
        ({"filter": {"renewalDate": {"to": "2200-01-01"}}}, "outside the supported dates, 1900-01-01 to 2199-12-31"),
        ({"filter": {"arr": {"min": "1", "currency": "dollars"}}}, "not an ISO 4217 currency code"),
        ({"orderBy": {"field": "ARR", "currency": "US"}}, "orderBy.currency"),
        ({"filter": {"search": "x" * 201}}, "at most 200 characters"),
        ({"filter": {"parentId": encode_global_id("Contact", uuid.uuid4())}}, "Contact id"),
    ],
)
async def test_contradictory_or_malformed_input_is_a_clear_error(
    client: httpx.AsyncClient, admin_key: str, variables: dict[str, Any], message: str
) -> None:
    body = await gql(client, admin_key, LIST, variables)
    assert body.get("data") is None  # absent when the variables themselves are refused
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


@pytest.mark.parametrize(
    ("order", "tag", "value"),
    [
        ({"field": "ARR"}, "arr:USD.asc", "1e999999"),
        ({"field": "ARR"}, "arr:USD.asc", "9" * 40),
        ({"field": "ARR"}, "arr:USD.asc", "NaN"),
        ({"field": "RENEWAL_DATE"}, "renewal_date.asc", "0002-01-01"),
        ({"field": "RENEWAL_DATE"}, "renewal_date.asc", "2200-01-01"),
        ({"field": "CREATED_AT"}, "created_at.asc", "9999-12-31T23:59:59-14:00"),
        ({"field": "CREATED_AT"}, "created_at.asc", "0001-01-01T00:00:00+14:00"),
    ],
)
async def test_a_cursor_holding_a_value_out_of_bounds_is_refused(
    client: httpx.AsyncClient, admin_key: str, order: dict[str, str], tag: str, value: str
) -> None:
    cursor = encode_cursor((tag, value, uuid.uuid4()))
    body = await gql(client, admin_key, LIST, {"orderBy": order, "after": cursor})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "is not a cursor returned by this connection" in body["errors"][0]["message"]


async def test_amounts_beyond_any_arr_filter_and_page_like_any_other(
    client: httpx.AsyncClient, admin_key: str, customers: dict[str, str]
) -> None:
    # Far beyond what a money column holds (numeric(14, 2)), inside what a Decimal input may be.
    assert await names(client, admin_key, filter={"arr": {"min": "1e29"}}) == []
    assert await names(client, admin_key, filter={"arr": {"max": "-1e29"}}) == []
    everyone = await names(client, admin_key, filter={"arr": {"min": "-1e29", "max": "1e29"}})
    assert len(everyone) == len(ACCOUNTS)
    after_all = encode_cursor(("arr:USD.asc", "1e29", uuid.uuid4()))
    body = await gql(client, admin_key, LIST, {"orderBy": {"field": "ARR"}, "after": after_all})
    assert body["data"]["accounts"]["edges"] == []


async def test_unauthenticated_listing_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ accounts { totalCount } }"})
    assert response.status_code == 401
