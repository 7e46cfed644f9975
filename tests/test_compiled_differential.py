"""Generated queries answer the same compiled and through the resolvers: two real ``cshub serve`` processes on
one seeded portfolio, one with CSHUB_GRAPHQL_COMPILED_READS on and one with it off, get every operation with
the same key; status and body must be identical, data and errors alike, for every role.

Operations are drawn by hypothesis-graphql from the schema, over the root fields the planner compiles, with
real ids of every type (and some that are not ids). The default run is derandomised (fixed draws, as CI runs
it); CSHUB_FUZZ_EXAMPLES=10 (say) runs ten times as many, randomised, to hunt.
"""

import datetime as dt
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import graphql
import hypothesis_graphql
import pytest
import pytest_asyncio
import requests
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api.export import schema_sdl
from service.api_keys.roles import Role
from service.compiled.roots import ROOTS
from service.graphql.relay import decode_global_id, encode_global_id
from tests.compiled_reads import differences
from tests.fuzz_target import ID_TABLES, FuzzTarget, fuzz_server, fuzz_settings, prepare_database

SDL = schema_sdl()
# (role, root fields drawn from — None: every compiled root —, examples in the default run). The account list
# needs no id, so its runs reach the whole customer-360 tree with data.
RUNS: list[tuple[Role, tuple[str, ...] | None, int]] = [
    (Role.ADMIN, None, 150),
    (Role.ADMIN, ("accounts",), 150),
    (Role.CSM, None, 60),
    (Role.BI, None, 60),
    (Role.BI, ("accounts",), 60),
    (Role.SALES, None, 40),
]
IDS_PER_TYPE = 6


def _string(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return values.map(lambda value: graphql.StringValueNode(value=value))


def custom_scalars(ids: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Real ids (mostly), dates around today, amounts."""
    accounts = [found for found in ids if decode_global_id(found)[0] == "Account"]
    today = dt.datetime.now(dt.UTC).date()
    days = st.integers(min_value=-400, max_value=60).map(lambda offset: today + dt.timedelta(days=offset))
    moments = st.datetimes(
        min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(dt.UTC)
    )
    return {
        # Mostly accounts' (most arguments take one), then any type's, then not an id at all.
        "ID": _string(st.one_of(st.sampled_from(accounts), st.sampled_from(ids), st.text(max_size=12))),
        "Date": _string(days.map(dt.date.isoformat)),
        "DateTime": _string(moments.map(dt.datetime.isoformat)),
        "Decimal": _string(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False).map(str)),
        "JSON": st.just(graphql.ObjectValueNode(fields=())),
    }


async def sample_ids(engine: AsyncEngine) -> list[str]:
    found: list[str] = []
    async with engine.connect() as conn:
        for type_name, table in ID_TABLES.items():
            rows = await conn.execute(sa.text(f"SELECT id FROM {table} ORDER BY id LIMIT {IDS_PER_TYPE}"))
            found += [encode_global_id(type_name, row[0]) for row in rows]
    return found


class Pair:
    def __init__(self, compiled: FuzzTarget, resolvers: FuzzTarget, ids: list[str]) -> None:
        self.compiled, self.resolvers, self.ids = compiled, resolvers, ids
        self.compared = 0
        self.errors: Counter[str] = Counter()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pair(
    database_url: str, session_engine: AsyncEngine, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    keys = await prepare_database(session_engine, accounts=20)
    ids = await sample_ids(session_engine)
    with ExitStack() as servers:
        compiled = servers.enter_context(fuzz_server(database_url, keys, tmp_path_factory.mktemp("compiled")))
        resolvers = servers.enter_context(
            fuzz_server(database_url, keys, tmp_path_factory.mktemp("resolvers"), CSHUB_GRAPHQL_COMPILED_READS="false")
        )
        found = Pair(compiled, resolvers, ids)
        yield found
        print(f"\ncompiled vs resolvers: {found.compared} operations; errors: {found.errors.most_common(12)}")


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.mark.parametrize(
    ("role", "roots", "examples"),
    [pytest.param(*run, id=f"{run[0].value}-{'-'.join(run[1] or ('all',))}") for run in RUNS],
)
def test_generated_queries_answer_the_same_both_ways(
    pair: Pair, http: requests.Session, role: Role, roots: tuple[str, ...] | None, examples: int
) -> None:
    fields = sorted(roots or ROOTS)
    operations = hypothesis_graphql.queries(SDL, fields=fields, custom_scalars=custom_scalars(pair.ids))

    @fuzz_settings(examples)
    @given(operation=operations)
    def compare(operation: str) -> None:
        answers = []
        for target in (pair.compiled, pair.resolvers):
            response = http.post(
                f"{target.base_url}/graphql", json={"query": operation}, headers=target.auth(role), timeout=60
            )
            answers.append((response.status_code, json.loads(response.content)))
        (compiled_status, compiled), (resolvers_status, resolvers) = answers
        assert compiled_status == resolvers_status, (operation, compiled, resolvers)
        for body in (compiled, resolvers):
            if "errors" in body:
                body["errors"].sort(key=lambda error: json.dumps(error, sort_keys=True))
        assert compiled == resolvers, (operation, differences(compiled, resolvers))
        pair.compared += 1
        for error in compiled.get("errors", []):
            pair.errors[str((error.get("extensions") or {}).get("code")) + ": " + error["message"][:60]] += 1

    compare()
    assert pair.compiled.server_errors_logged() == []
