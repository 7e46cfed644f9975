"""The declared type → table mapping (service.table_map) agrees with the schema, with the row dataclasses the
queries fill, and with the database: every expression in it runs, and derived columns give the API's answers."""

import datetime as dt
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from graphql import GraphQLObjectType
from sqlalchemy.ext.asyncio import AsyncEngine

from service.accounts.queries import AccountRow
from service.action_items.queries import ActionItemRow
from service.api.schema import schema
from service.audit.queries import AuditRow
from service.contacts.queries import ContactRow
from service.contracts.queries import ContractRow, LineRow
from service.goals.queries import GoalRow, ProgressRow
from service.graphql.relay import encode_global_id
from service.handoffs.queries import HandoffEventRow, HandoffRow
from service.health_scores.alerts import AlertRow
from service.health_scores.overrides import OverrideRow
from service.health_scores.queries import HealthScoreRow
from service.health_scores.scorecards import ScorecardRow
from service.sources.queries import AccountSourceRow, UnmatchedRow
from service.surveys.queries import SurveyRow
from service.table_map import TICKET, TYPE_MAPS, VALUE_TYPES
from service.tickets.queries import TicketRow
from service.timeline.queries import TimelineRow
from tests.compiled_portfolio import seed_portfolio
from tests.graphql_client import gql
from tests.ingesting import ingest, statuses

ROWS: dict[str, type] = {
    "Account": AccountRow,
    "Contact": ContactRow,
    "Contract": ContractRow,
    "ContractLine": LineRow,
    "Ticket": TicketRow,
    "SurveyResponse": SurveyRow,
    "TimelineEvent": TimelineRow,
    "AccountSource": AccountSourceRow,
    "UnmatchedRecord": UnmatchedRow,
    "HealthScore": HealthScoreRow,
    "Scorecard": ScorecardRow,
    "HealthOverride": OverrideRow,
    "Alert": AlertRow,
    "Goal": GoalRow,
    "GoalProgress": ProgressRow,
    "ActionItem": ActionItemRow,
    "Handoff": HandoffRow,
    "HandoffEvent": HandoffEventRow,
    "AuditEntry": AuditRow,
}


def table_types() -> dict[str, GraphQLObjectType]:
    return {
        name: kind
        for name, kind in schema._schema.type_map.items()
        if isinstance(kind, GraphQLObjectType)
        and not name.startswith("__")
        and not name.endswith(("Connection", "Edge"))
        and name not in VALUE_TYPES
    }


def test_every_object_type_is_mapped_field_for_field() -> None:
    types = table_types()
    assert set(types) == set(TYPE_MAPS), "map new types in service/table_map.py (or list them as value types)"
    for name, kind in types.items():
        assert set(kind.fields) == TYPE_MAPS[name].field_names(), name


def test_relations_point_at_mapped_types_and_their_tables() -> None:
    for type_map in TYPE_MAPS.values():
        for field_name, relation in type_map.relations.items():
            target = TYPE_MAPS[relation.target]
            assert relation.theirs.table is target.table, f"{type_map.graphql_type}.{field_name}"
            assert relation.ours.table is type_map.table, f"{type_map.graphql_type}.{field_name}"


@pytest.mark.parametrize("type_name", sorted(ROWS))
def test_mapped_columns_are_carried_by_the_row_the_queries_fill(type_name: str) -> None:
    type_map = TYPE_MAPS[type_name]
    slots = set(ROWS[type_name].__slots__)  # type: ignore[attr-defined]
    # ColumnClause: also the named columns of a subquery (TimelineEvent reads a union of several tables).
    plain = [column for column in type_map.columns.values() if isinstance(column, sa.ColumnClause)]
    assert plain
    for column in plain:
        if column.table is type_map.table:
            assert column.name in slots, f"{type_name}: {column.name} is mapped but not fetched"


async def _a_row_of_every_type(client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str) -> None:
    """The demo portfolio with a health history (scores, alerts), plus what the demo does not make: a
    scorecard, an override, a goal's progress (and the audit entries of those mutations)."""
    await seed_portfolio(engine)
    async with engine.connect() as conn:
        account = (await conn.execute(sa.text("SELECT id FROM accounts ORDER BY name LIMIT 1"))).scalar_one()
        goal = (await conn.execute(sa.text("SELECT id FROM goals ORDER BY id LIMIT 1"))).scalar_one()
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).isoformat()
    mutations: list[tuple[str, dict[str, Any]]] = [
        (
            'mutation { createScorecard(input: {name: "mapped", config: {measures: [{key: "nps", weight: 1, '
            'scale: {kind: LINEAR, zeroAt: -50, fullAt: 50}}], tiers: [{name: "all", touchModel: LOW}]}}) '
            "{ __typename } }",
            {},
        ),
        (
            'mutation($a: ID!, $e: DateTime!) { overrideHealth(input: {accountId: $a, score: 50, reason: "r", '
            "expiresAt: $e}) { __typename } }",
            {"a": encode_global_id("Account", account), "e": later},
        ),
        (
            'mutation($id: ID!) { recordGoalProgress(input: {goalId: $id, value: "1"}) { __typename } }',
            {"id": encode_global_id("Goal", goal)},
        ),
    ]
    for document, variables in mutations:
        body = await gql(client, admin_key, document, variables)
        assert "errors" not in body, body


async def test_every_mapped_expression_runs_over_every_row(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    """Each type's key, columns and embedded fields evaluated over all of its rows — none of them empty, so a
    cast or a derivation that fails on real data fails here."""
    await _a_row_of_every_type(client, engine, admin_key)
    rows: dict[str, int] = {}
    async with engine.connect() as conn:
        for type_name, type_map in sorted(TYPE_MAPS.items()):
            expressions = [type_map.key, *type_map.columns.values()]
            expressions += [value for embedded in type_map.embedded.values() for value in embedded.fields.values()]
            labelled = [expression.label(f"c{i}") for i, expression in enumerate(expressions)]
            found = (await conn.execute(sa.select(*labelled).select_from(type_map.from_clause()))).all()
            rows[type_name] = len(found)
    assert [type_name for type_name, count in rows.items() if count == 0] == [], rows


async def test_derived_ticket_columns_give_the_api_answers(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    assert statuses(await ingest(engine, "crm", "accounts", [{"external_id": "a", "name": "Acme"}])) == ["created"]
    ticket = {"external_id": "t1", "account_external_id": "a", "subject": "Export fails", "status": "solved",
              "opened_at": "2026-03-01T09:00:00Z", "first_response_at": "2026-03-01T09:45:30.7Z",
              "solved_at": "2026-03-03T10:00:00Z"}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "tickets", [ticket])) == ["created"]
    fields = ("timeToFirstResponseSeconds", "timeToResolutionSeconds")
    async with engine.connect() as conn:
        mapped = (await conn.execute(sa.select(*(TICKET.columns[name] for name in fields)))).one()
    selection = " ".join(fields)
    query = "{ accounts { edges { node { tickets { edges { node { " + selection + " } } } } } } }"
    body = await gql(client, admin_key, query)
    answered = body["data"]["accounts"]["edges"][0]["node"]["tickets"]["edges"][0]["node"]
    assert tuple(mapped) == tuple(answered[name] for name in fields) == (2730, 176400)


async def test_the_mapped_timeline_union_gives_the_api_answers(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    acme = {"external_id": "a", "name": "Acme", "domain": "acme.example"}
    assert statuses(await ingest(engine, "crm", "accounts", [acme])) == ["created"]
    ticket = {"external_id": "t1", "account_domain": "acme.example", "subject": "Export fails", "status": "solved",
              "opened_at": "2026-03-01T09:00:00Z", "solved_at": "2026-03-03T10:00:00Z"}  # fmt: skip
    assert statuses(await ingest(engine, "desk", "tickets", [ticket])) == ["created"]
    note = {"external_id": "n1", "account_external_id": "a", "kind": "note", "summary": "Called about exports",
            "occurred_at": "2026-03-02T10:00:00Z", "actor": "Aiko"}  # fmt: skip
    assert statuses(await ingest(engine, "crm", "timeline-events", [note])) == ["created"]
    timeline = TYPE_MAPS["TimelineEvent"]
    fields = ("kind", "occurredAt", "summary", "actor", "source", "origin")
    async with engine.connect() as conn:
        mapped = await conn.execute(
            sa.select(*(timeline.columns[name].label(name) for name in fields)).select_from(timeline.from_clause()),
            {"today": dt.date.today()},
        )
        in_sql = {(r.kind.upper(), r.occurredAt, r.summary, r.actor, r.source, r.origin.upper()) for r in mapped}
    query = "{ accounts { edges { node { timeline { edges { node { " + " ".join(fields) + " } } } } } } }"
    body = await gql(client, admin_key, query)
    nodes = [edge["node"] for edge in body["data"]["accounts"]["edges"][0]["node"]["timeline"]["edges"]]
    in_api = {(n["kind"], dt.datetime.fromisoformat(n["occurredAt"]), n["summary"], n["actor"], n["source"],
               n["origin"]) for n in nodes}  # fmt: skip
    assert in_sql == in_api
    solved = ("TICKET_SOLVED", dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC), "Ticket solved: Export fails", None, "desk",
              "TICKET")  # fmt: skip
    assert solved in in_api
    assert len(in_api) == 3  # the note, the ticket opened and the ticket solved
