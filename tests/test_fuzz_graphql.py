"""Generated GraphQL operations (hypothesis-graphql over schema/schema.graphql) against a real ``cshub serve``.

Queries and mutations with arguments drawn from the schema — valid ones, and ones with one schema violation
(a wrong argument type, a missing required argument, an unknown enum value) — sent with an admin key, and a
smaller batch with a bi key (which may read but not write). No answer is a 5xx, and no error is an unmasked
or masked internal one: every error carries a code a client can act on.
"""

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import graphql
import hypothesis_graphql
import pytest
import pytest_asyncio
import requests
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api.export import schema_sdl
from service.api_keys.roles import Role
from service.graphql.errors import INTERNAL_ERROR_MESSAGE
from tests.fuzz_target import FuzzTarget, fuzz_server, fuzz_settings, prepare_database, real_ids

SDL = schema_sdl()
# What a GraphQL error may be about; INTERNAL_SERVER_ERROR (or an error without a code) fails the run.
INTERNAL = "INTERNAL_SERVER_ERROR"
ANSWER_STATUSES = {200, 400}  # 400: a request error answered as application/graphql-response+json

# (operation kind, generation mode, role) → examples in the default (CI) run; CSHUB_FUZZ_EXAMPLES multiplies.
RUNS = [
    ("query", hypothesis_graphql.Mode.POSITIVE, Role.ADMIN, 150),
    ("query", hypothesis_graphql.Mode.NEGATIVE, Role.ADMIN, 50),
    ("mutation", hypothesis_graphql.Mode.POSITIVE, Role.ADMIN, 150),
    ("mutation", hypothesis_graphql.Mode.NEGATIVE, Role.ADMIN, 50),
    ("query", hypothesis_graphql.Mode.POSITIVE, Role.BI, 60),
    ("mutation", hypothesis_graphql.Mode.POSITIVE, Role.BI, 30),
]


def _string(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return values.map(lambda value: graphql.StringValueNode(value=value))


def custom_scalars(ids: dict[str, str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Values for cshub's scalars: mostly real ids, accounts' most of all (most arguments take one), so that
    resolvers get past the lookup; dates around now."""
    today = dt.date(2026, 6, 15)
    dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31)) | st.just(today)
    moments = st.datetimes(
        min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 12, 31), timezones=st.just(dt.UTC)
    )
    decimals = st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False)
    return {
        "ID": _string(st.one_of(st.just(ids["Account"]), st.sampled_from(sorted(ids.values())), st.text(max_size=40))),
        "Date": _string(dates.map(dt.date.isoformat)),
        "DateTime": _string(moments.map(dt.datetime.isoformat)),
        "Decimal": _string(decimals.map(str)),
        "JSON": st.just(graphql.ObjectValueNode(fields=())),
    }


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def target(
    database_url: str, session_engine: AsyncEngine, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FuzzTarget]:
    keys = await prepare_database(session_engine)
    ids = await real_ids(session_engine)
    with fuzz_server(database_url, keys, tmp_path_factory.mktemp("fuzz-graphql")) as running:
        running.ids = ids
        yield running
        operations = sum(running.statuses.values())
        print(f"\nGraphQL fuzz: {operations} operations, statuses {dict(running.statuses)}")
        print(f"GraphQL fuzz errors by code: {dict(running.error_codes)}")


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _operations(kind: str, mode: hypothesis_graphql.Mode, ids: dict[str, str]) -> st.SearchStrategy[str]:
    build = hypothesis_graphql.queries if kind == "query" else hypothesis_graphql.mutations
    return build(SDL, custom_scalars=custom_scalars(ids), mode=mode)


def check_answer(response: requests.Response, codes: Counter[str]) -> None:
    sent = response.request.body
    assert response.status_code in ANSWER_STATUSES, f"HTTP {response.status_code}: {response.text[:500]}\n{sent!r}"
    body = response.json()
    for error in body.get("errors", []):
        code = (error.get("extensions") or {}).get("code")
        codes[str(code)] += 1
        assert code, f"an error without a code: {error}"
        assert code != INTERNAL, f"internal error: {error}"
        assert error["message"] != INTERNAL_ERROR_MESSAGE, error


@pytest.mark.parametrize(
    ("kind", "mode", "role", "examples"),
    [pytest.param(*run, id=f"{run[0]}-{run[1].name.lower()}-{run[2].value}") for run in RUNS],
)
def test_generated_operations_never_fail_internally(
    target: FuzzTarget,
    http: requests.Session,
    kind: str,
    mode: hypothesis_graphql.Mode,
    role: Role,
    examples: int,
) -> None:
    headers = target.auth(role)
    sent = 0

    @fuzz_settings(examples)
    @given(operation=_operations(kind, mode, target.ids))
    def fuzz(operation: str) -> None:
        nonlocal sent
        response = http.post(f"{target.base_url}/graphql", json={"query": operation}, headers=headers, timeout=30)
        sent += 1
        target.statuses[response.status_code] += 1
        check_answer(response, target.error_codes)

    fuzz()
    assert sent >= examples // 2, f"only {sent} operations generated"
    assert target.server_errors_logged() == []


# Found by the fuzzer: `featureAdoption(days: 0)` fails inside the non-null `account`, graphql-core cancels its
# siblings, and the cancelled `renewalDate` used to cancel the loader future the root `renewalDate` awaited too.
SIBLING_CANCELLED = """
query($id: ID!) {
  account(id: $id) { renewalDate(asOf: "2000-01-01") }
  handoffContext(accountId: $id) { account { renewalDate(asOf: "2000-01-01") featureAdoption(days: 0) { users } } }
}
"""


def test_a_failed_field_does_not_cancel_another_waiting_on_the_same_load(
    target: FuzzTarget, http: requests.Session
) -> None:
    for _ in range(10):  # a race: it failed about two times in three
        response = http.post(
            f"{target.base_url}/graphql",
            json={"query": SIBLING_CANCELLED, "variables": {"id": target.ids["Account"]}},
            headers=target.auth(Role.ADMIN),
            timeout=30,
        )
        check_answer(response, Counter())
        assert set(response.json()["data"]["account"]) == {"renewalDate"}
