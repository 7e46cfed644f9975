"""Action items over GraphQL: creating and listing (open ones by default), partial updates, completing,
links to goals of the same account, validation (nothing written on error), roles, the service the
handoff workflow calls, and batched loading."""

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.action_items import service
from service.action_items.service import NewActionItem
from service.action_items.tables import action_items
from service.api_keys.roles import Role
from service.authorization import READERS
from service.errors import NotFound
from service.goals.service import NewGoal, add_goals
from service.goals.validation import InvalidField
from service.graphql.relay import encode_global_id
from tests.factories import insert_accounts
from tests.graphql_client import gql
from tests.statements import counting_statements
from tests.success_plan import (
    COMPLETE_ITEM,
    CREATE_ITEM,
    UPDATE_ITEM,
    account_gid,
    add_goal,
    count,
    insert_handoff,
    keys,
    mutate,
)

ITEMS = """query($id: ID!, $status: [ActionItemStatus!]) { account(id: $id) {
  actionItems(status: $status) { title status } } }"""
TODAY = dt.datetime.now(dt.UTC).date()


async def titles(client: httpx.AsyncClient, key: str, account_id: uuid.UUID, **variables: Any) -> list[str]:
    body = await gql(client, key, ITEMS, {"id": account_gid(account_id), **variables})
    assert "errors" not in body, body
    return [item["title"] for item in body["data"]["account"]["actionItems"]]


async def create(client: httpx.AsyncClient, key: str, account_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    item = await mutate(client, key, CREATE_ITEM, {"input": {"accountId": account_gid(account_id), **fields}})
    assert "code" not in item, item
    return item


async def update(client: httpx.AsyncClient, key: str, item_id: str, **fields: Any) -> dict[str, Any]:
    return await mutate(client, key, UPDATE_ITEM, {"input": {"id": item_id, **fields}})


async def test_items_are_created_and_the_open_ones_listed_due_first(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (acme, beta) = await insert_accounts(engine, "Acme", "Beta")
    csm = (await keys(engine))[Role.CSM]
    goal = await add_goal(client, csm, acme, outcome="Faster onboarding")
    item = await create(
        client,
        csm,
        acme,
        title="  Run the kickoff  ",
        theme="VOICE_OF_CUSTOMER",
        owner="Aiko",
        dueOn="2027-01-15",
        goalId=goal["id"],
    )
    assert item == {
        "id": item["id"],
        "accountId": account_gid(acme),
        "title": "Run the kickoff",
        "theme": "VOICE_OF_CUSTOMER",
        "owner": "Aiko",
        "dueOn": "2027-01-15",
        "status": "OPEN",
        "completedAt": None,
        "goalId": goal["id"],
        "handoffId": None,
        "createdBy": item["createdBy"],
        "createdAt": item["createdAt"],
        "updatedAt": item["updatedAt"],
        "goal": {"id": goal["id"], "outcome": "Faster onboarding"},
    }
    assert item["createdBy"].startswith("Aiko (")
    async with engine.connect() as conn:
        assert (await conn.execute(sa.select(action_items.c.theme))).scalar_one() == "voc"  # the stored value

    undated = await create(client, csm, acme, title="Share the adoption report")
    sooner = await create(client, csm, acme, title="Send the welcome pack", dueOn="2026-12-01")
    started = await create(client, csm, acme, title="Set up SSO", dueOn="2027-01-15")
    done = await create(client, csm, acme, title="Intro email")
    cancelled = await create(client, csm, acme, title="On-site visit")
    await create(client, csm, beta, title="Beta's own item")
    await update(client, csm, started["id"], status="IN_PROGRESS")
    await update(client, csm, done["id"], status="DONE")
    await update(client, csm, cancelled["id"], status="CANCELLED")

    assert await titles(client, csm, acme) == [
        "Send the welcome pack", "Run the kickoff", "Set up SSO", "Share the adoption report"
    ]  # fmt: skip
    assert await titles(client, csm, acme, status=["DONE", "CANCELLED"]) == ["Intro email", "On-site visit"]
    assert await titles(client, csm, acme, status=["IN_PROGRESS"]) == ["Set up SSO"]
    node = await gql(
        client, csm, "query($id: ID!) { node(id: $id) { ... on ActionItem { title } } }", {"id": sooner["id"]}
    )
    assert node["data"]["node"] == {"title": "Send the welcome pack"}
    assert undated["dueOn"] is None


async def test_a_partial_update_changes_what_is_given_and_clears_what_is_null(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    csm = (await keys(engine))[Role.CSM]
    goal = await add_goal(client, csm, acme, outcome="Adoption")
    other_goal = await add_goal(client, csm, acme, outcome="Fewer tickets")
    item = await create(client, csm, acme, title="Train admins", theme="ONBOARDING", owner="Aiko", dueOn="2027-02-01",
                        goalId=goal["id"])  # fmt: skip

    retitled = await update(client, csm, item["id"], title="Train all admins")
    unchanged = ("theme", "owner", "dueOn", "status", "goalId", "completedAt", "createdAt")
    assert retitled["title"] == "Train all admins"
    assert {name: retitled[name] for name in unchanged} == {name: item[name] for name in unchanged}

    relinked = await update(client, csm, item["id"], goalId=other_goal["id"], theme="ADOPTION")
    assert (relinked["goal"]["outcome"], relinked["theme"], relinked["owner"]) == ("Fewer tickets", "ADOPTION", "Aiko")

    cleared = await update(client, csm, item["id"], theme=None, owner=None, dueOn=None, goalId=None)
    assert [cleared[name] for name in ("theme", "owner", "dueOn", "goalId", "goal")] == [None] * 5
    assert cleared["title"] == "Train all admins"

    for name in ("title", "status"):  # not nullable: null is refused, not stored
        refused = await update(client, csm, item["id"], **{name: None})
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", name), refused


async def test_completing_stamps_completed_at_and_reopening_clears_it(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    csm = (await keys(engine))[Role.CSM]
    item = await create(client, csm, acme, title="Send the QBR deck")

    done = await update(client, csm, item["id"], status="DONE")
    assert done["status"] == "DONE"
    assert done["completedAt"] is not None
    retitled = await update(client, csm, item["id"], status="DONE", title="Send the QBR deck (v2)")
    assert retitled["completedAt"] == done["completedAt"]  # still done: the first completion counts
    reopened = await update(client, csm, item["id"], status="IN_PROGRESS")
    assert (reopened["status"], reopened["completedAt"]) == ("IN_PROGRESS", None)

    completed = await mutate(client, csm, COMPLETE_ITEM, {"id": item["id"]})
    assert (completed["status"], completed["completedAt"] is not None) == ("DONE", True)
    again = await mutate(client, csm, COMPLETE_ITEM, {"id": item["id"]})
    assert again == completed  # completing a done item changes nothing

    dropped = await create(client, csm, acme, title="Dinner with the champion")
    await update(client, csm, dropped["id"], status="CANCELLED")
    conflict = await mutate(client, csm, COMPLETE_ITEM, {"id": dropped["id"]})
    assert conflict["code"] == "CONFLICT"
    assert "reopen" in conflict["message"]
    missing = await mutate(client, csm, COMPLETE_ITEM, {"id": encode_global_id("ActionItem", uuid.uuid4())})
    assert (missing["code"], missing["field"]) == ("NOT_FOUND", "id")
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(action_items.c.status).where(action_items.c.title.like("Dinner%")))).one()
    assert row.status == "cancelled"


BAD_ITEMS: list[tuple[dict[str, Any], str, str]] = [
    ({"title": " "}, "BAD_USER_INPUT", "title"),
    ({"title": "t" * 501}, "BAD_USER_INPUT", "title"),
    ({"title": "x", "owner": "o" * 201}, "BAD_USER_INPUT", "owner"),
    ({"title": "x", "dueOn": "1999-12-31"}, "BAD_USER_INPUT", "dueOn"),
    ({"title": "x", "dueOn": f"{TODAY.year + 11}-01-01"}, "BAD_USER_INPUT", "dueOn"),
    ({"title": "x", "accountId": encode_global_id("Account", uuid.uuid4())}, "NOT_FOUND", "accountId"),
    ({"title": "x", "accountId": "garbage"}, "BAD_USER_INPUT", "accountId"),
    ({"title": "x", "goalId": encode_global_id("Goal", uuid.uuid4())}, "NOT_FOUND", "goalId"),
    ({"title": "x", "goalId": encode_global_id("Account", uuid.uuid4())}, "BAD_USER_INPUT", "goalId"),
]


@pytest.mark.parametrize(("fields", "code", "field"), BAD_ITEMS)
async def test_a_bad_item_is_refused_with_its_field_and_nothing_is_written(
    client: httpx.AsyncClient, engine: AsyncEngine, fields: dict[str, Any], code: str, field: str
) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    csm = (await keys(engine))[Role.CSM]
    refused = await mutate(client, csm, CREATE_ITEM, {"input": {"accountId": account_gid(acme), **fields}})
    assert (refused["code"], refused["field"]) == (code, field), refused
    assert refused["message"].startswith(f"{field}: ")
    assert await count(engine, action_items) == 0


async def test_an_item_links_only_to_a_goal_of_its_own_account(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    (acme, beta) = await insert_accounts(engine, "Acme", "Beta")
    csm = (await keys(engine))[Role.CSM]
    betas_goal = await add_goal(client, csm, beta, outcome="Beta's outcome")
    refused = await mutate(client, csm, CREATE_ITEM, {"input": {"accountId": account_gid(acme), "title": "x",
                                                                "goalId": betas_goal["id"]}})  # fmt: skip
    assert (refused["code"], refused["field"]) == ("NOT_FOUND", "goalId")
    assert await count(engine, action_items) == 0

    item = await create(client, csm, acme, title="Kickoff", owner="Aiko")
    moved = await update(client, csm, item["id"], goalId=betas_goal["id"], owner="Someone else")
    assert (moved["code"], moved["field"]) == ("NOT_FOUND", "goalId")
    bad_date = await update(client, csm, item["id"], dueOn="1999-01-01", owner="Someone else")
    assert (bad_date["code"], bad_date["field"]) == ("BAD_USER_INPUT", "dueOn")
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(action_items.c.goal_id, action_items.c.owner, action_items.c.due_on))).one()
    assert tuple(row) == (None, "Aiko", None)  # neither refused update wrote anything


async def test_only_csm_and_admin_change_items_and_account_readers_read_them(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    by_role = await keys(engine)
    item = await create(client, by_role[Role.CSM], acme, title="By the CSM")
    await create(client, by_role[Role.ADMIN], acme, title="By an admin")
    assert (await update(client, by_role[Role.ADMIN], item["id"], owner="Admin"))["owner"] == "Admin"

    attempts = [
        (CREATE_ITEM, {"input": {"accountId": account_gid(acme), "title": "Not allowed"}}),
        (UPDATE_ITEM, {"input": {"id": item["id"], "title": "Not allowed"}}),
        (COMPLETE_ITEM, {"id": item["id"]}),
    ]
    for role in (Role.SALES, Role.BI, Role.INGEST):
        for query, variables in attempts:
            denied = await gql(client, by_role[role], query, variables)
            assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, denied)
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(action_items.c.title, action_items.c.status))).all()
    assert sorted(tuple(row) for row in rows) == [("By an admin", "open"), ("By the CSM", "open")]

    # Items are part of the account: every role that reads accounts reads them (not ingest: service.authorization).
    # bi reads them with their titles masked: people wrote them (service.privacy).
    for role in READERS:
        expected = ["•••", "•••"] if role is Role.BI else ["By the CSM", "By an admin"]
        assert await titles(client, by_role[role], acme) == expected, role


async def test_add_action_items_adds_a_handoffs_items_in_order_in_one_statement(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (acme, beta) = await insert_accounts(engine, "Acme", "Beta")
    handoff = await insert_handoff(engine, acme)
    async with engine.begin() as conn:
        (goal,) = await add_goals(conn, acme, [NewGoal("Go live")], by="handoff flow", handoff_id=handoff)
    wanted = [
        NewActionItem(acme, "Schedule kickoff", "onboarding", "Aiko", dt.date(2026, 12, 1), handoff, goal.id),
        NewActionItem(acme, "Confirm SSO scope", handoff_id=handoff),
        NewActionItem(beta, "Beta intro call", theme="time_to_value"),
        NewActionItem(acme, "Share success plan", handoff_id=handoff),
    ]
    with counting_statements() as statements:
        async with engine.begin() as conn:
            rows = await service.add_action_items(conn, wanted, by="handoff flow")
    assert [(row.account_id, row.title) for row in rows] == [(item.account_id, item.title) for item in wanted]
    assert [(row.theme, row.goal_id, row.handoff_id) for row in rows] == [
        ("onboarding", goal.id, handoff), (None, None, handoff), ("time_to_value", None, None), (None, None, handoff)
    ]  # fmt: skip
    assert {(row.status, row.created_by) for row in rows} == {("open", "handoff flow")}
    assert sum(statement.lstrip().upper().startswith("INSERT INTO ACTION_ITEMS") for statement in statements) == 1

    csm = (await keys(engine))[Role.CSM]
    # Undated items added together keep the order given.
    assert await titles(client, csm, acme) == ["Schedule kickoff", "Confirm SSO scope", "Share success plan"]
    body = await gql(client, csm, "query($id: ID!) { node(id: $id) { ... on ActionItem { handoffId goal { id } } } }",
                     {"id": encode_global_id("ActionItem", rows[0].id)})  # fmt: skip
    assert body["data"]["node"] == {"handoffId": encode_global_id("Handoff", handoff),
                                    "goal": {"id": encode_global_id("Goal", goal.id)}}  # fmt: skip

    async with engine.begin() as conn:
        assert await service.add_action_items(conn, [], by="handoff flow") == []
        with pytest.raises(NotFound, match="handoffId"):  # a handoff of another account: none is added
            await service.add_action_items(
                conn, [NewActionItem(beta, "Fine"), NewActionItem(beta, "Odd", handoff_id=handoff)], by="flow"
            )
        with pytest.raises(InvalidField) as bad:
            await service.add_action_items(conn, [NewActionItem(acme, "Fine", theme="growth")], by="flow")
        assert bad.value.field == "theme"
    assert await count(engine, action_items) == 4


PORTFOLIO = """query($first: Int!) { accounts(first: $first) { edges { node { name
  actionItems { title goal { outcome progress { value } } }
  done: actionItems(status: [DONE]) { title } } } } }"""


async def test_statements_do_not_grow_with_the_number_of_accounts(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    account_ids = await insert_accounts(engine, *(f"Customer {i:02d}" for i in range(12)))
    async with engine.begin() as conn:
        for account_id in account_ids:
            (goal,) = await add_goals(conn, account_id, [NewGoal("Go live")], by="test")
            items = [NewActionItem(account_id, "Kickoff", goal_id=goal.id), NewActionItem(account_id, "Training")]
            await service.add_action_items(conn, items, by="test")
    admin = (await keys(engine))[Role.ADMIN]
    await gql(client, admin, "{ __typename }")  # the key's first use looks it up; then it is cached
    counts = {}
    for first in (2, 12):
        with counting_statements() as statements:
            body = await gql(client, admin, PORTFOLIO, {"first": first})
        assert "errors" not in body, body
        nodes = [edge["node"] for edge in body["data"]["accounts"]["edges"]]
        assert len(nodes) == first
        expected = [
            {"title": "Kickoff", "goal": {"outcome": "Go live", "progress": []}},
            {"title": "Training", "goal": None},
        ]
        assert all(node["actionItems"] == expected and node["done"] == [] for node in nodes)
        counts[first] = len(statements)
    assert counts[2] == counts[12], counts
