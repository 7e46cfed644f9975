"""Success-plan goals over GraphQL: adding and listing, progress and the current value, status and the
achieved date, validation (nothing written on error), roles, the service the handoff workflow calls, and
batched loading."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.authorization import READERS
from service.errors import NotFound
from service.goals import service
from service.goals.service import NewGoal
from service.goals.tables import goal_progress, goals
from service.goals.validation import InvalidField
from service.graphql.relay import encode_global_id
from service.table_map import GOAL
from tests.factories import insert_accounts
from tests.graphql_client import gql
from tests.statements import counting_statements
from tests.success_plan import (
    ADD_GOAL,
    RECORD,
    SET_STATUS,
    account_gid,
    add_goal,
    count,
    insert_handoff,
    keys,
    mutate,
)

PLAN = """query($id: ID!, $status: [GoalStatus!]) { account(id: $id) { goals(status: $status) {
  id outcome status dueOn successCriterion { metric } } } }"""
TODAY = dt.datetime.now(dt.UTC).date()


async def plan(client: httpx.AsyncClient, key: str, account_id: uuid.UUID, **variables: Any) -> list[dict[str, Any]]:
    body = await gql(client, key, PLAN, {"id": account_gid(account_id), **variables})
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["account"]["goals"]
    return found


async def test_goals_are_added_and_listed_due_first_undated_last(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (acme, beta) = await insert_accounts(engine, "Acme", "Beta")
    csm = (await keys(engine))[Role.CSM]
    undated = await add_goal(client, csm, acme, outcome="Fewer escalations")
    later = await add_goal(client, csm, acme, outcome="Close books in 3 days", dueOn="2027-06-30")
    sooner = await add_goal(
        client,
        csm,
        acme,
        outcome="  Agents solve more tickets  ",
        metric="tickets solved per agent per day",
        unit="tickets",
        baseline="12.5000",
        target=40,
        dueOn="2027-03-31",
    )
    same_day = await add_goal(client, csm, acme, outcome="Launch the portal", dueOn="2027-06-30")
    await add_goal(client, csm, beta, outcome="Beta's own goal")

    assert [goal["id"] for goal in await plan(client, csm, acme)] == [
        sooner["id"], later["id"], same_day["id"], undated["id"]
    ]  # fmt: skip
    assert sooner == {
        "id": sooner["id"],
        "accountId": account_gid(acme),
        "outcome": "Agents solve more tickets",
        "dueOn": "2027-03-31",
        "status": "ON_TRACK",
        "currentValue": None,
        "achievedOn": None,
        "progressRatio": None,
        "handoffId": None,
        "createdBy": sooner["createdBy"],
        "createdAt": sooner["createdAt"],
        "updatedAt": sooner["updatedAt"],
        "successCriterion": {
            "metric": "tickets solved per agent per day",
            "unit": "tickets",
            "baseline": "12.5",
            "target": "40",
            "dueOn": "2027-03-31",
        },
    }
    assert sooner["createdBy"].startswith("Aiko (")
    assert undated["successCriterion"] is None  # no metric named: no criterion

    node = await gql(client, csm, "query($id: ID!) { node(id: $id) { ... on Goal { outcome } } }", {"id": later["id"]})
    assert node["data"]["node"] == {"outcome": "Close books in 3 days"}


async def test_goals_filter_by_status(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    csm = (await keys(engine))[Role.CSM]
    first = await add_goal(client, csm, acme, outcome="One")
    second = await add_goal(client, csm, acme, outcome="Two")
    await add_goal(client, csm, acme, outcome="Three")
    await mutate(client, csm, SET_STATUS, {"input": {"goalId": first["id"], "status": "ACHIEVED"}})
    await mutate(client, csm, SET_STATUS, {"input": {"goalId": second["id"], "status": "AT_RISK"}})

    assert [g["outcome"] for g in await plan(client, csm, acme)] == ["One", "Two", "Three"]  # default: all
    assert [g["outcome"] for g in await plan(client, csm, acme, status=["ACHIEVED"])] == ["One"]
    on_track_or_risk = await plan(client, csm, acme, status=["ON_TRACK", "AT_RISK"])
    assert [(g["outcome"], g["status"]) for g in on_track_or_risk] == [("Two", "AT_RISK"), ("Three", "ON_TRACK")]
    assert await plan(client, csm, acme, status=["MISSED"]) == []


def at(day: int) -> str:
    return f"2026-03-{day:02d}T09:00:00Z"


async def test_the_current_value_is_the_latest_measurement_not_the_last_recorded(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    csm = (await keys(engine))[Role.CSM]
    goal = await add_goal(client, csm, acme, outcome="Adoption", metric="weekly active users", baseline=50, target=150)

    def record(value: str, measured_at: str | None = None, note: str | None = None) -> dict[str, Any]:
        return {"input": {"goalId": goal["id"], "value": value, "measuredAt": measured_at, "note": note}}

    after_day_3 = await mutate(client, csm, RECORD, record("80", at(3), "from the admin console"))
    assert (after_day_3["currentValue"], after_day_3["progressRatio"]) == ("80", 0.3)
    # Recorded later, measured earlier: it joins the history but does not become the current value.
    late = await mutate(client, csm, RECORD, record("60.25", at(1)))
    assert (late["currentValue"], late["progressRatio"]) == ("80", 0.3)
    assert [(p["value"], p["measuredAt"]) for p in late["progress"]] == [
        ("80", "2026-03-03T09:00:00+00:00"),
        ("60.25", "2026-03-01T09:00:00+00:00"),
    ]
    assert late["progress"][0]["note"] == "from the admin console"
    assert late["progress"][0]["recordedBy"].startswith("Aiko (")
    # Without measuredAt it is measured now, so it is the latest.
    now = await mutate(client, csm, RECORD, record("170"))
    assert (now["currentValue"], now["progressRatio"]) == ("170", 1.2)
    assert [p["value"] for p in now["progress"]] == ["170", "80", "60.25"]
    assert now["updatedAt"] > goal["updatedAt"]

    # The table map's SQL for progressRatio gives the API's answer.
    async with engine.connect() as conn:
        mapped = (await conn.execute(sa.select(GOAL.columns["progressRatio"]))).scalar_one()
    assert mapped == 1.2


@pytest.mark.parametrize(
    ("criterion", "value", "ratio"),
    [
        ({"metric": "NPS", "target": 40}, "10", None),  # no baseline
        ({"metric": "NPS", "baseline": 10}, "10", None),  # no target
        ({"metric": "NPS", "baseline": 30, "target": 30}, "35", None),  # target = baseline
        ({"metric": "NPS", "baseline": 20, "target": 40}, "10", -0.5),  # moving away
        ({"metric": "hours to close", "baseline": 72, "target": 24}, "60", 0.25),  # a target below the baseline
    ],
)
async def test_progress_ratio_is_null_when_undefined(
    client: httpx.AsyncClient, engine: AsyncEngine, criterion: dict[str, Any], value: str, ratio: float | None
) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    csm = (await keys(engine))[Role.CSM]
    goal = await add_goal(client, csm, acme, outcome="Happier customers", **criterion)
    assert goal["progressRatio"] is None  # nothing measured yet
    recorded = await mutate(client, csm, RECORD, {"input": {"goalId": goal["id"], "value": value}})
    assert (recorded["currentValue"], recorded["progressRatio"]) == (value, ratio)
    async with engine.connect() as conn:
        assert (await conn.execute(sa.select(GOAL.columns["progressRatio"]))).scalar_one() == ratio


async def test_status_changes_and_the_achieved_date(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    csm = (await keys(engine))[Role.CSM]
    goal = await add_goal(client, csm, acme, outcome="Go live")

    async def set_status(status: str, achieved_on: str | None = None) -> dict[str, Any]:
        variables = {"input": {"goalId": goal["id"], "status": status, "achievedOn": achieved_on}}
        return await mutate(client, csm, SET_STATUS, variables)

    achieved = await set_status("ACHIEVED")
    assert (achieved["status"], achieved["achievedOn"]) == ("ACHIEVED", TODAY.isoformat())  # default today (UTC)
    dated = await set_status("ACHIEVED", "2026-02-14")
    assert dated["achievedOn"] == "2026-02-14"
    again = await set_status("ACHIEVED")  # already achieved: keeps the day it was achieved on
    assert again["achievedOn"] == "2026-02-14"
    at_risk = await set_status("AT_RISK")
    assert (at_risk["status"], at_risk["achievedOn"]) == ("AT_RISK", None)
    missed = await set_status("MISSED")
    assert missed["status"] == "MISSED"
    noted = {"input": {"goalId": goal["id"], "status": "MISSED", "note": "  budget frozen until Q3 "}}
    await mutate(client, csm, SET_STATUS, noted)
    status_of = "query($id: ID!) { node(id: $id) { ... on Goal { statusNote statusChangedBy statusChangedAt } } }"
    changed = (await gql(client, csm, status_of, {"id": goal["id"]}))["data"]["node"]
    assert (changed["statusNote"], changed["statusChangedBy"].split(" (")[0]) == ("budget frozen until Q3", "Aiko")
    assert changed["statusChangedAt"] is not None
    too_long = {"input": {"goalId": goal["id"], "status": "MISSED", "note": "x" * 2001}}
    assert (await mutate(client, csm, SET_STATUS, too_long))["field"] == "note"

    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    for status, day in [("ON_TRACK", "2026-02-14"), ("ACHIEVED", tomorrow), ("ACHIEVED", "1999-12-31")]:
        refused = await set_status(status, day)
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "achievedOn"), refused
        assert refused["message"].startswith("achievedOn: ")
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(goals.c.status, goals.c.achieved_on))).one()
    assert tuple(row) == ("missed", None)  # the refused changes wrote nothing

    nowhere = encode_global_id("Goal", uuid.uuid4())
    unknown = await mutate(client, csm, SET_STATUS, {"input": {"goalId": nowhere, "status": "MISSED"}})
    assert (unknown["code"], unknown["field"]) == ("NOT_FOUND", "goalId")


TOO_LONG = "x" * 1001
BAD_GOALS: list[tuple[dict[str, Any], str, str]] = [
    ({"outcome": "   "}, "BAD_USER_INPUT", "outcome"),
    ({"outcome": TOO_LONG}, "BAD_USER_INPUT", "outcome"),
    ({"outcome": "x", "metric": "m" * 201}, "BAD_USER_INPUT", "metric"),
    ({"outcome": "x", "metric": "NPS", "unit": "u" * 41}, "BAD_USER_INPUT", "unit"),
    ({"outcome": "x", "target": 10}, "BAD_USER_INPUT", "metric"),  # numbers without a metric
    ({"outcome": "x", "unit": "%"}, "BAD_USER_INPUT", "metric"),
    ({"outcome": "x", "metric": "NPS", "target": "100000000000000"}, "BAD_USER_INPUT", "target"),
    ({"outcome": "x", "metric": "NPS", "target": "-1e14"}, "BAD_USER_INPUT", "target"),
    ({"outcome": "x", "metric": "NPS", "target": "1.23456"}, "BAD_USER_INPUT", "target"),
    ({"outcome": "x", "dueOn": "1999-12-31"}, "BAD_USER_INPUT", "dueOn"),
    ({"outcome": "x", "dueOn": f"{TODAY.year + 11}-01-01"}, "BAD_USER_INPUT", "dueOn"),
    ({"outcome": "x", "accountId": encode_global_id("Account", uuid.uuid4())}, "NOT_FOUND", "accountId"),
    ({"outcome": "x", "accountId": encode_global_id("Ticket", uuid.uuid4())}, "BAD_USER_INPUT", "accountId"),
    ({"outcome": "x", "accountId": "not-an-id"}, "BAD_USER_INPUT", "accountId"),
]


@pytest.mark.parametrize(("fields", "code", "field"), BAD_GOALS)
async def test_a_bad_goal_is_refused_with_its_field_and_nothing_is_written(
    client: httpx.AsyncClient, engine: AsyncEngine, fields: dict[str, Any], code: str, field: str
) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    csm = (await keys(engine))[Role.CSM]
    refused = await mutate(client, csm, ADD_GOAL, {"input": {"accountId": account_gid(acme), **fields}})
    assert (refused["code"], refused["field"]) == (code, field), refused
    assert refused["message"].startswith(f"{field}: ")
    assert await count(engine, goals) == 0


async def test_a_number_that_is_not_finite_is_refused_before_anything_runs(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    csm = (await keys(engine))[Role.CSM]
    goal = await add_goal(client, csm, acme, outcome="Adoption", metric="users", baseline=1, target=2)
    for query, fields, path in [
        (ADD_GOAL, {"accountId": account_gid(acme), "outcome": "x", "metric": "NPS", "baseline": "NaN"}, "baseline"),
        (ADD_GOAL, {"accountId": account_gid(acme), "outcome": "x", "metric": "NPS", "target": "Infinity"}, "target"),
        (RECORD, {"goalId": goal["id"], "value": "NaN"}, "value"),
    ]:
        body = await gql(client, csm, query, {"input": fields})
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert f"at .{path}: Decimal must be a finite number" in error["message"]
    assert await count(engine, goals) == 1
    assert await count(engine, goal_progress) == 0


async def test_bad_progress_is_refused_and_nothing_is_written(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    csm = (await keys(engine))[Role.CSM]
    goal = await add_goal(client, csm, acme, outcome="Adoption", metric="users", baseline=1, target=2)
    in_an_hour = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"value": "1e15"}, "BAD_USER_INPUT", "value"),
        ({"value": "0.00001"}, "BAD_USER_INPUT", "value"),
        ({"value": "1", "measuredAt": in_an_hour}, "BAD_USER_INPUT", "measuredAt"),
        ({"value": "1", "measuredAt": "2026-03-01T09:00:00"}, "BAD_USER_INPUT", "measuredAt"),  # no time zone
        ({"value": "1", "measuredAt": "1999-12-31T23:00:00Z"}, "BAD_USER_INPUT", "measuredAt"),
        ({"value": "1", "note": "n" * 2001}, "BAD_USER_INPUT", "note"),
        ({"value": "1", "goalId": encode_global_id("Goal", uuid.uuid4())}, "NOT_FOUND", "goalId"),
        ({"value": "1", "goalId": account_gid(acme)}, "BAD_USER_INPUT", "goalId"),
    ]
    for fields, code, field in cases:
        refused = await mutate(client, csm, RECORD, {"input": {"goalId": goal["id"], **fields}})
        assert (refused["code"], refused["field"]) == (code, field), (fields, refused)
    assert await count(engine, goal_progress) == 0
    async with engine.connect() as conn:
        assert (await conn.execute(sa.select(goals.c.current_value))).scalar_one() is None


async def test_only_csm_and_admin_change_goals_and_account_readers_read_them(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (acme,) = await insert_accounts(engine, "Acme")
    by_role = await keys(engine)
    goal = await add_goal(client, by_role[Role.CSM], acme, outcome="By the CSM")
    await add_goal(client, by_role[Role.ADMIN], acme, outcome="By an admin")
    admin_set = await mutate(
        client, by_role[Role.ADMIN], SET_STATUS, {"input": {"goalId": goal["id"], "status": "AT_RISK"}}
    )
    assert admin_set["status"] == "AT_RISK"

    attempts = [
        (ADD_GOAL, {"input": {"accountId": account_gid(acme), "outcome": "Not allowed"}}),
        (RECORD, {"input": {"goalId": goal["id"], "value": "1"}}),
        (SET_STATUS, {"input": {"goalId": goal["id"], "status": "ACHIEVED"}}),
    ]
    for role in (Role.SALES, Role.BI, Role.INGEST):
        for query, variables in attempts:
            denied = await gql(client, by_role[role], query, variables)
            assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, denied)
    assert await count(engine, goals) == 2
    assert await count(engine, goal_progress) == 0

    # Goals are part of the account: every role that reads accounts reads them (not ingest: service.authorization).
    for role in READERS:
        answer = await gql(client, by_role[role], PLAN, {"id": account_gid(acme)})
        assert [g["status"] for g in answer["data"]["account"]["goals"]] == ["AT_RISK", "ON_TRACK"], role


async def test_add_goals_adds_a_handoffs_goals_in_order_in_one_statement(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (acme, beta) = await insert_accounts(engine, "Acme", "Beta")
    handoff = await insert_handoff(engine, acme)
    wanted = [
        NewGoal("Cut onboarding to 2 weeks", "days to onboard", "days", Decimal(45), Decimal(14), dt.date(2027, 1, 31)),
        NewGoal("Replace spreadsheets"),
        NewGoal("Grow seats", metric="seats", baseline=Decimal("100.5"), target=Decimal(300)),
    ]
    with counting_statements() as statements:
        async with engine.begin() as conn:
            rows = await service.add_goals(conn, acme, wanted, by="handoff flow", handoff_id=handoff)
    assert [row.outcome for row in rows] == [goal.outcome for goal in wanted]
    assert [(row.baseline, row.target, row.due_on) for row in rows] == [
        (Decimal(45), Decimal(14), dt.date(2027, 1, 31)), (None, None, None), (Decimal("100.5"), Decimal(300), None)
    ]  # fmt: skip
    assert {(row.handoff_id, row.created_by, row.status) for row in rows} == {(handoff, "handoff flow", "on_track")}
    assert sum(statement.lstrip().upper().startswith("INSERT INTO GOALS") for statement in statements) == 1

    csm = (await keys(engine))[Role.CSM]
    query = "query($id: ID!) { account(id: $id) { goals { outcome handoffId } } }"
    body = await gql(client, csm, query, {"id": account_gid(acme)})
    listed = body["data"]["account"]["goals"]
    assert listed[0] == {"outcome": "Cut onboarding to 2 weeks", "handoffId": encode_global_id("Handoff", handoff)}
    # Undated goals added together stay in the order given (they share one statement's now()).
    assert [goal["outcome"] for goal in listed[1:]] == ["Replace spreadsheets", "Grow seats"]

    async with engine.begin() as conn:
        assert await service.add_goals(conn, acme, [], by="handoff flow") == []
        with pytest.raises(InvalidField) as bad:  # one bad goal: none is added
            await service.add_goals(conn, acme, [NewGoal("Fine"), NewGoal(" ")], by="handoff flow")
        assert bad.value.field == "outcome"
        with pytest.raises(NotFound, match="handoffId"):  # a handoff of another account
            await service.add_goals(conn, beta, [NewGoal("Fine")], by="handoff flow", handoff_id=handoff)
    assert await count(engine, goals) == 3


PORTFOLIO = """query($first: Int!) { accounts(first: $first) { edges { node { name
  goals { outcome progressRatio progress { value } }
  atRisk: goals(status: [AT_RISK]) { outcome } } } } }"""


async def test_statements_do_not_grow_with_the_number_of_accounts(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    account_ids = await insert_accounts(engine, *(f"Customer {i:02d}" for i in range(12)))
    async with engine.begin() as conn:
        for account_id in account_ids:
            pair = [NewGoal("A", "m", None, Decimal(0), Decimal(10)), NewGoal("B")]
            added = await service.add_goals(conn, account_id, pair, by="test")
            for value in (2, 5):
                await service.record_progress(conn, added[0].id, Decimal(value), by="test", now=dt.datetime.now(dt.UTC))
    admin = (await keys(engine))[Role.ADMIN]
    await gql(client, admin, "{ __typename }")  # the key's first use looks it up; then it is cached
    counts = {}
    for first in (2, 12):
        with counting_statements() as statements:
            body = await gql(client, admin, PORTFOLIO, {"first": first})
        assert "errors" not in body, body
        nodes = [edge["node"] for edge in body["data"]["accounts"]["edges"]]
        assert len(nodes) == first
        expected = {"outcome": "A", "progressRatio": 0.5, "progress": [{"value": "5"}, {"value": "2"}]}
        assert all(node["goals"][0] == expected for node in nodes)
        counts[first] = len(statements)
    assert counts[2] == counts[12], counts
