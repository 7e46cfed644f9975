"""Extreme but well-formed values at every argument of the schema (tests/edge_inputs.py), sent to ``cshub serve``.

Every argument leaf of every field a query reaches and of every mutation gets each fixed edge value of its type
(explicit hypothesis examples, so none is skipped) and some drawn by hypothesis: dates at year 1, 1899, 2200 and
9999, times at the ends of the calendar in ±14:00, numbers beyond PostgreSQL and float, cursors holding them,
text nested 5,000 deep. No answer is a 5xx or an internal error, and a date outside the supported calendar is
refused with BAD_USER_INPUT naming the range, whichever argument carries it. The module prints its tally at the
end (``pytest -s``): argument leaves, requests, 5xx answers, internal errors, error codes.
"""

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import graphql
import pytest
import pytest_asyncio
import requests
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api.export import schema_sdl
from service.api_keys.roles import Role
from service.graphql.errors import INTERNAL_ERROR_MESSAGE
from service.input_bounds import FIRST_DAY, LAST_DAY
from tests.edge_inputs import (
    ArgumentTarget,
    argument_targets,
    edge_values,
    generated,
    has_edges,
    request,
)
from tests.fuzz_inputs import Ids, to_json
from tests.fuzz_target import FuzzTarget, fuzz_server, fuzz_settings, prepare_database, real_ids

SCHEMA = graphql.build_schema(schema_sdl())
TARGETS = [target for target in argument_targets(SCHEMA) if has_edges(target.leaf)]
# One test per root field: its own targets and those of the fields reached through it.
ROOTS = sorted({(target.operation, target.path[0][1]) for target in TARGETS})
GENERATED_EXAMPLES = 25  # per root field, on top of every fixed edge value at every leaf


def outside_the_calendar(leaf_type: str, value: Any) -> bool:
    """Whether ``value`` (or a list's one item) is a Date, or a DateTime whose UTC instant, outside the calendar."""
    item = value[0] if isinstance(value, list) and value else value
    if leaf_type not in {"Date", "DateTime"} or not isinstance(item, str):
        return False
    try:
        if leaf_type == "Date":
            return not FIRST_DAY <= dt.date.fromisoformat(item) <= LAST_DAY
        moment = dt.datetime.fromisoformat(item)
    except ValueError:
        return False  # not a date at all: GraphQL's own coercion refuses it
    first = dt.datetime.combine(FIRST_DAY, dt.time(), dt.UTC)
    end = dt.datetime.combine(LAST_DAY, dt.time(), dt.UTC) + dt.timedelta(days=1)
    return not first <= (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)) < end


@dataclass
class Tally:
    requests: int = 0
    server_errors: int = 0  # 5xx answers
    internal_errors: int = 0  # INTERNAL_SERVER_ERROR, or the masked message
    codes: Counter[str] = field(default_factory=Counter)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def target(
    database_url: str, session_engine: AsyncEngine, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[FuzzTarget, Ids, Tally]]:
    keys = await prepare_database(session_engine)
    ids = Ids(await real_ids(session_engine))
    tally = Tally()
    with fuzz_server(database_url, keys, tmp_path_factory.mktemp("edge-inputs")) as running:
        yield running, ids, tally
        print(
            f"\nedge inputs: {len(TARGETS)} argument leaves, {tally.requests} requests, "
            f"{tally.server_errors} 5xx, {tally.internal_errors} internal errors; codes {dict(tally.codes)}"
        )


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _problems(case: ArgumentTarget, value: Any, response: requests.Response, tally: Tally) -> list[str]:
    where = f"{case.label} <- {str(value)[:80]!r}"
    tally.requests += 1
    if response.status_code >= 500:
        tally.server_errors += 1
        return [f"{where}: HTTP {response.status_code}: {response.text[:300]}"]
    errors = response.json().get("errors") or []
    problems = []
    for error in errors:
        code = str((error.get("extensions") or {}).get("code"))
        tally.codes[code] += 1
        if code == "INTERNAL_SERVER_ERROR" or error["message"] == INTERNAL_ERROR_MESSAGE:
            tally.internal_errors += 1
            problems.append(f"{where}: internal error {error}")
        elif code == "None":
            problems.append(f"{where}: an error without a code {error}")
    if outside_the_calendar(case.leaf.named.name, value):
        refusals = [e for e in errors if (e.get("extensions") or {}).get("code") == "BAD_USER_INPUT"]
        if not any(str(FIRST_DAY) in e["message"] and str(LAST_DAY) in e["message"] for e in refusals):
            problems.append(f"{where}: not refused with the supported range: {response.text[:300]}")
    return problems


@pytest.mark.parametrize(("operation", "root"), [pytest.param(*root, id=f"{root[0]}-{root[1]}") for root in ROOTS])
def test_edge_values_at_every_argument_are_answered_clearly(
    target: tuple[FuzzTarget, Ids, Tally], http: requests.Session, operation: str, root: str
) -> None:
    server, ids, tally = target
    cases = [case for case in TARGETS if case.operation == operation and case.path[0][1] == root]
    headers = {**server.auth(Role.ADMIN), "Content-Type": "application/json", "Accept": "application/json"}
    problems: list[str] = []
    logged_before = len(server.server_errors_logged())

    @fuzz_settings(GENERATED_EXAMPLES)
    @given(case=st.sampled_from(cases).flatmap(lambda c: generated(c.leaf).map(lambda value: (c, value))))
    def fuzz(case: tuple[ArgumentTarget, Any]) -> None:
        argument, value = case
        body = to_json(request(SCHEMA, argument, value, ids))
        response = http.post(f"{server.base_url}/graphql", data=body.encode(), headers=headers, timeout=60)
        problems.extend(_problems(argument, value, response, tally))

    for case in cases:  # every fixed edge value at every leaf, whatever hypothesis draws
        for value in edge_values(case.leaf):
            fuzz = example(case=(case, value))(fuzz)
    fuzz()
    assert not problems, "\n".join(problems[:30])
    assert server.server_errors_logged()[logged_before:] == []
