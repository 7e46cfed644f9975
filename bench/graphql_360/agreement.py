"""Agreement: before timing, the API's data and the baseline's JSON are compared field by field; any
difference stops the bench. Besides the measured pages, each checked account's whole timeline is compared
(the 360 page shows only its 10 newest entries), so every kind of entry, derived ones included, is checked."""

import datetime as dt
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from bench.graphql_360.baseline import TIMELINE_SQL
from bench.graphql_360.clients import Clients, api_fetch, baseline_fetch
from bench.graphql_360.errors import BenchError
from bench.graphql_360.pages import timeline_body
from bench.graphql_360.workload import Page

CHECKED_ACCOUNTS = 20  # the default; the rotation puts the special cases first
# PostgreSQL rounds numeric ties away from zero, Python's round() to even: one unit of the 4th decimal.
FLOAT_TOLERANCE = 1.0001e-4

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def differences(api: Any, baseline: Any, path: str = "") -> Iterator[str]:
    """Where the two answers differ; timestamps compare as instants, floats within FLOAT_TOLERANCE."""
    if isinstance(api, dict) and isinstance(baseline, dict):
        for key in sorted(api.keys() | baseline.keys()):
            if key not in api or key not in baseline:
                yield f"{path}.{key}: only in {'the API' if key in api else 'the baseline'}"
            else:
                yield from differences(api[key], baseline[key], f"{path}.{key}")
    elif isinstance(api, list) and isinstance(baseline, list):
        if len(api) != len(baseline):
            yield f"{path}: {len(api)} items from the API, {len(baseline)} from the baseline"
        for index, (a, b) in enumerate(zip(api, baseline, strict=False)):
            yield from differences(a, b, f"{path}[{index}]")
    elif isinstance(api, float) or isinstance(baseline, float):
        if not (isinstance(api, int | float) and isinstance(baseline, int | float)) or not math.isclose(
            api, baseline, rel_tol=0, abs_tol=FLOAT_TOLERANCE
        ):
            yield f"{path}: API {api!r}, baseline {baseline!r}"
    elif isinstance(api, str) and isinstance(baseline, str) and _TIMESTAMP.match(api) and _TIMESTAMP.match(baseline):
        if dt.datetime.fromisoformat(api) != dt.datetime.fromisoformat(baseline):
            yield f"{path}: API {api!r}, baseline {baseline!r}"
    elif type(api) is not type(baseline) or api != baseline:
        yield f"{path}: API {api!r}, baseline {baseline!r}"


def portfolio_totals(data: dict[str, Any]) -> str:
    nodes = [edge["node"] for edge in data["accounts"]["edges"]]
    mrr: dict[str, Decimal] = {}
    for node in nodes:
        for amount in node["mrr"]:
            mrr[amount["currency"]] = mrr.get(amount["currency"], Decimal(0)) + Decimal(amount["amount"])
    contracts = [contract for node in nodes for contract in node["contracts"]]
    return (
        f"{len(nodes)} accounts, {len(contracts)} active contracts with "
        f"{sum(len(c['lines']) for c in contracts)} lines, "
        f"{sum(len(n['tickets']['edges']) for n in nodes)} open tickets, "
        f"{sum(p['events'] for n in nodes for p in n['usage'])} usage events, MRR "
        + ", ".join(f"{currency} {amount}" for currency, amount in sorted(mrr.items()))
    )


def _disagreement(what: str, api: Any, baseline: Any) -> BenchError | None:
    found = list(itertools.islice(differences(api, baseline), 20))
    if not found:
        return None
    return BenchError(f"the API and the baseline disagree on {what}:\n  " + "\n  ".join(found))


def timeline_kinds(data: dict[str, Any]) -> Counter[str]:
    return Counter(edge["node"]["kind"] for edge in data["account"]["timeline"]["edges"])


async def check_agreement(pages: dict[str, Page], clients: Clients, checked_accounts: int) -> list[str]:
    """Compare every portfolio and the first ``checked_accounts`` 360 answers and whole timelines; raise on any
    difference. Returns report lines."""
    http, conn = clients.http[0], clients.pg[0]
    lines = []
    portfolios = len(pages["portfolio"].bodies)
    samples = [("portfolio", index) for index in range(portfolios)]
    samples += [("360", index) for index in range(min(checked_accounts, len(pages["360"].bodies)))]
    kinds: Counter[str] = Counter()
    for name, index in samples:
        page = pages[name]
        arguments = page.arguments[index]
        _, api = await api_fetch(http, page.bodies[index])
        _, baseline = await baseline_fetch(conn, page.sql, arguments)
        if error := _disagreement(f"the {name} page {arguments[:1]}", api, baseline):
            raise error
        if name == "portfolio" and index == 0:
            lines.append(f"check: portfolio of {arguments[0]!r}: {portfolio_totals(api)}")
        if name == "360":
            account_id, today = arguments[0], arguments[1]
            _, api = await api_fetch(http, timeline_body(account_id))
            _, baseline = await baseline_fetch(conn, TIMELINE_SQL, (account_id, today))
            if error := _disagreement(f"the whole timeline of account {account_id}", api, baseline):
                raise error
            kinds += timeline_kinds(api)
    accounts = len(samples) - portfolios
    lines.append(
        f"check: API and baseline agree field by field on {portfolios} portfolios, {accounts} account 360 pages "
        f"and their whole timelines ({sum(kinds.values())} entries: "
        + ", ".join(f"{kind.lower()} {count}" for kind, count in sorted(kinds.items()))
        + ")"
    )
    return lines
