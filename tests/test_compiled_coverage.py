"""The queries people are shown run compiled, with no fallback: the README's examples, the benches' pages and
the query the demo banner suggests — on the demo company with health scores, for an admin key."""

import datetime as dt
import re
from pathlib import Path
from typing import Any

import graphql
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.graphql_360.pages import ACCOUNT_360_QUERY, PORTFOLIO_QUERY, TIMELINE_QUERY, usage_range
from bench.page_memory import PAGE
from bench.peer_postgraphile.queries import CSHUB_360, CSHUB_PORTFOLIO
from service.api_keys.roles import Role
from service.graphql.relay import encode_global_id
from service.serve_setup import DEMO_QUERY
from service.settings import Settings
from tests.app_client import app_client
from tests.compiled_portfolio import seed_portfolio
from tests.compiled_reads import direct_answers, fallbacks
from tests.conftest import make_key
from tests.graphql_client import gql

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README.read_text(), flags=re.S)
PLACEHOLDER = re.compile(r'"<([^">]+)>"')


def _queries_of(example: str) -> list[str]:
    """The example's query operations (mutations left out), each as a document of its own."""
    document = graphql.parse(example)
    return [
        graphql.print_ast(graphql.DocumentNode(definitions=(definition,)))
        for definition in document.definitions
        if isinstance(definition, graphql.OperationDefinitionNode)
        and definition.operation == graphql.OperationType.QUERY
    ]


def _filled(query: str, ids: dict[str, str]) -> str:
    """Placeholders (``"<global id>"``, ``"<account id>"``, ``"<endCursor …>"``) as real values."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return "null" if "cursor" in name.lower() else f'"{ids["Account"]}"'

    return PLACEHOLDER.sub(value, query)


def _shown_queries() -> list[tuple[str, str, str]]:
    """(name, query, variables kind) of every query shown to people."""
    readme = [
        (f"README {index}", query, "") for index, example in enumerate(EXAMPLES) for query in _queries_of(example)
    ]
    return [
        *readme,
        ("bench portfolio", PORTFOLIO_QUERY, "portfolio"),
        ("bench 360", ACCOUNT_360_QUERY, "account"),
        ("bench timeline", TIMELINE_QUERY, "account"),
        ("peer portfolio", CSHUB_PORTFOLIO, "portfolio"),
        ("peer 360", CSHUB_360, "account"),
        ("memory page", PAGE, "usage"),
        ("demo banner", DEMO_QUERY, ""),
    ]


def _variables(kind: str, ids: dict[str, str], csm: str) -> dict[str, Any]:
    start, end = usage_range(dt.datetime.now(dt.UTC).date())
    usage = {"from": start.isoformat(), "to": end.isoformat()}
    if kind == "portfolio":
        return {"csm": csm, "first": 50, **usage}
    if kind == "account":
        return {"id": ids["Account"], **usage}
    return usage if kind == "usage" else {}


async def test_shown_queries_run_compiled(engine: AsyncEngine, settings: Settings) -> None:
    await seed_portfolio(engine)
    key = await make_key(engine, Role.ADMIN, "coverage")
    async with engine.connect() as conn:
        account_id, csm = (
            await conn.execute(sa.text("SELECT id, csm_owner FROM accounts WHERE csm_owner IS NOT NULL LIMIT 1"))
        ).one()
    ids: dict[str, str] = {"Account": encode_global_id("Account", account_id)}
    problems: dict[str, Any] = {}
    shown = _shown_queries()
    assert len(shown) >= 12
    async with app_client(settings) as (client, _):
        for name, query, kind in shown:
            variables = {
                variable: value for variable, value in _variables(kind, ids, csm).items() if f"${variable}" in query
            }  # only the variables the operation declares
            with fallbacks() as fell:
                body = await gql(client, key, _filled(query, ids), variables)
            if "errors" in body or fell.seen:
                problems[name] = (body.get("errors"), fell.seen)
            if name.startswith(("bench", "peer", "memory")):  # pages asked again: from their kept statements
                with direct_answers() as direct:
                    again = await gql(client, key, _filled(query, ids), variables)
                if again != body or len(direct.answered) != 1:
                    problems[f"{name}, asked again"] = (again.get("errors"), direct.answered)
    assert problems == {}
