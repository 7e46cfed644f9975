import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.graphql.relay import MAX_PAGE_SIZE, encode_global_id
from tests.factories import insert_accounts
from tests.graphql_client import gql

PAGE = """
query Page($first: Int, $after: String) {
  accounts(first: $first, after: $after) {
    edges { cursor node { id name segment } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def test_pages_walk_every_account_once_in_name_order(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    names = [f"Customer {i:02d}" for i in range(23)] + ["Customer 05"]  # a duplicate name: id breaks the tie
    await insert_accounts(engine, *names, segment="smb")
    seen: list[str] = []
    ids: set[str] = set()
    after = None
    pages = 0
    while True:
        body = await gql(client, admin_key, PAGE, {"first": 5, "after": after})
        connection = body["data"]["accounts"]
        pages += 1
        seen += [edge["node"]["name"] for edge in connection["edges"]]
        ids |= {edge["node"]["id"] for edge in connection["edges"]}
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == sorted(names)
    assert len(ids) == len(names)
    assert pages == 5


async def test_first_zero_and_empty_table(client: httpx.AsyncClient, admin_key: str) -> None:
    body = await gql(client, admin_key, PAGE, {"first": 0})
    assert body["data"]["accounts"]["edges"] == []
    assert body["data"]["accounts"]["pageInfo"]["endCursor"] is None


@pytest.mark.parametrize("first", [-1, MAX_PAGE_SIZE + 1])
async def test_page_size_outside_limits_is_a_clear_error(client: httpx.AsyncClient, admin_key: str, first: int) -> None:
    body = await gql(client, admin_key, PAGE, {"first": first})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"between 0 and {MAX_PAGE_SIZE}" in error["message"]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "WyJhIl0", encode_global_id("Account", uuid.uuid4())],
    ids=["garbage", "not-a-cursor", "an-account-id"],  # fixed ids: xdist workers must collect the same tests
)
async def test_foreign_cursor_is_rejected(client: httpx.AsyncClient, admin_key: str, cursor: str) -> None:
    body = await gql(client, admin_key, PAGE, {"after": cursor})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "not a cursor" in body["errors"][0]["message"]


async def test_total_count_is_opt_in(client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str) -> None:
    await insert_accounts(engine, "A", "B", "C")
    body = await gql(client, admin_key, "{ accounts(first: 1) { totalCount edges { node { name } } } }")
    assert body["data"]["accounts"]["totalCount"] == 3
    assert len(body["data"]["accounts"]["edges"]) == 1


async def test_account_by_id_and_node(client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str) -> None:
    (account_id,) = await insert_accounts(
        engine, "Acme", domain="acme.example", segment="enterprise", touch_model="high", csm_owner="Aiko"
    )
    global_id = encode_global_id("Account", account_id)
    query = """
    query One($id: ID!) {
      account(id: $id) { id name domain segment touchModel csmOwner lifecycleStage createdAt }
      node(id: $id) { __typename id ... on Account { name } }
    }
    """
    body = await gql(client, admin_key, query, {"id": global_id})
    assert "errors" not in body
    account = body["data"]["account"]
    assert account["id"] == global_id
    assert account["name"] == "Acme"
    assert account["segment"] == "ENTERPRISE"
    assert account["touchModel"] == "HIGH"
    assert account["lifecycleStage"] is None
    assert body["data"]["node"] == {"__typename": "Account", "id": global_id, "name": "Acme"}


async def test_missing_account_is_null(client: httpx.AsyncClient, admin_key: str) -> None:
    global_id = encode_global_id("Account", uuid.uuid4())
    body = await gql(client, admin_key, "query($id: ID!) { account(id: $id) { name } }", {"id": global_id})
    assert body == {"data": {"account": None}}


@pytest.mark.parametrize(
    ("value", "message"),
    [("nonsense", "not a valid cshub id"), (encode_global_id("Contact", uuid.uuid4()), "is a Contact id")],
    ids=["nonsense", "a-contact-id"],
)
async def test_bad_ids_are_clear_errors(client: httpx.AsyncClient, admin_key: str, value: str, message: str) -> None:
    body = await gql(client, admin_key, "query($id: ID!) { account(id: $id) { name } }", {"id": value})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in body["errors"][0]["message"]


async def test_validation_errors_carry_a_code(client: httpx.AsyncClient, admin_key: str) -> None:
    body = await gql(client, admin_key, "{ accounts { nope } }")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
