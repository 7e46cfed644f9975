"""Before timing: every rotation entry of both pages is asked of both sides, each answer is reduced to the
same plain form (uuids, lower-case enums, decimals, parsed timestamps, lines as a set per contract: see
``bench.peer_postgraphile.queries`` for why), and the two forms must be equal; any difference stops the
bench. Returns the rows seen per kind (the same on both sides once they agree) and each side's bytes.
"""

import datetime as dt
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

from bench.graphql_360.clients import checked_graphql
from bench.graphql_360.errors import BenchError
from bench.lean_http import LeanClient
from bench.peer_postgraphile.queries import Page
from service.graphql.relay import decode_global_id

Rows = dict[str, Any]


def _id(value: str) -> uuid.UUID:
    return decode_global_id(value)[1]


def _time(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value["amount"] if isinstance(value, dict) else value)


def _line(line: dict[str, Any]) -> tuple[Any, ...]:
    product = line["product"]
    return (
        product["name"],
        product.get("family"),
        line["quantity"],
        _amount(line["mrr"]),
        _amount(line.get("unitPrice")),
        line.get("startDate"),
        line.get("endDate"),
    )


def _contract(contract: dict[str, Any], cshub: bool) -> Rows:
    lines = contract["lines"] if cshub else contract["contractLines"]["nodes"]
    return {
        "id": _id(contract["id"]) if cshub else uuid.UUID(contract["rowId"]),
        "status": _lower(contract["status"]),
        "dates": (contract["startDate"], contract["endDate"], contract["renewalDate"]),
        "autoRenew": contract.get("autoRenew"),
        "lines": sorted(map(_line, lines), key=repr),
    }


def _ticket(ticket: dict[str, Any], cshub: bool) -> tuple[Any, ...]:
    return (
        _id(ticket["id"]) if cshub else uuid.UUID(ticket["rowId"]),
        ticket["subject"],
        _lower(ticket["status"]),
        _lower(ticket["priority"]),
        _time(ticket["openedAt"]),
        _time(ticket.get("solvedAt")),
    )


def _nodes(connection: dict[str, Any], cshub: bool) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]] if cshub else list(connection["nodes"])


def _ref(row: dict[str, Any], cshub: bool) -> uuid.UUID:
    return _id(row["id"]) if cshub else uuid.UUID(row["rowId"])


def _contacts(rows: list[dict[str, Any]], cshub: bool) -> list[tuple[Any, ...]]:
    return [(_ref(c, cshub), c["name"], c["email"], c["title"], _lower(c.get("role"))) for c in rows]


def portfolio_form(data: dict[str, Any], cshub: bool) -> Rows:
    accounts = []
    for account in _nodes(data["accounts"], cshub):
        contracts = account["contracts"] if cshub else account["contracts"]["nodes"]
        accounts.append(
            {
                "id": _ref(account, cshub),
                "name": account["name"],
                "segment": _lower(account["segment"]),
                "contracts": [_contract(c, cshub) for c in contracts],
                "tickets": [_ticket(t, cshub) for t in _nodes(account["tickets"], cshub)],
                "moreTickets": account["tickets"]["pageInfo"]["hasNextPage"],
                "contacts": _contacts(account["contacts"] if cshub else account["contacts"]["nodes"], cshub),
            }
        )
    return {"accounts": accounts, "hasNextPage": data["accounts"]["pageInfo"]["hasNextPage"]}


def account_360_form(data: dict[str, Any], cshub: bool) -> Rows:
    a = data["account"]
    scalars = ("name", "domain", "industry", "csmOwner", "salesOwner")
    enums = ("segment", "lifecycleStage", "touchModel")
    sources = a["sources"] if cshub else a["sourceLinks"]["nodes"]
    children = a["children"] if cshub else a["accountsByParentAccountId"]["nodes"]
    parent = a["parent"] if cshub else a["parentAccount"]
    contacts = a["contacts"] if cshub else a["contacts"]["nodes"]
    surveys = a["surveys"] if cshub else a["surveyResponses"]
    return {
        "id": _ref(a, cshub),
        "columns": [a[name] for name in scalars] + [_lower(a[name]) for name in enums],
        "times": (_time(a["createdAt"]), _time(a["updatedAt"])),
        "sources": [(s["source"], s["externalId"], _time(s["firstSeenAt"])) for s in sources],
        "parent": None if parent is None else (_ref(parent, cshub), parent["name"]),
        "children": [(_ref(c, cshub), c["name"]) for c in children],
        "contacts": _contacts(contacts, cshub),
        "contracts": [_contract(c, cshub) for c in (a["contracts"] if cshub else a["contracts"]["nodes"])],
        "tickets": [_ticket(t, cshub) for t in _nodes(a["tickets"], cshub)],
        "moreTickets": a["tickets"]["pageInfo"]["hasNextPage"],
        "surveys": [(_ref(s, cshub), _lower(s["kind"]), s["score"]) for s in _nodes(surveys, cshub)],
    }


def row_counts(form: Rows) -> Counter[str]:
    """Rows per kind in one answer's form: accounts, contracts, lines, tickets, contacts, ..."""
    counts: Counter[str] = Counter()
    accounts = form.get("accounts", [form])
    counts["accounts"] += len(accounts)
    for account in accounts:
        for kind in ("contracts", "tickets", "contacts", "sources", "children", "surveys"):
            if kind in account:
                counts[kind] += len(account[kind])
        counts["lines"] += sum(len(c["lines"]) for c in account["contracts"])
    return counts


async def check_agreement(page: Page, cshub: LeanClient, peer: LeanClient) -> tuple[Counter[str], dict[str, int]]:
    """Both sides' answers to every rotation entry of ``page`` are equal in form; the rows and bytes seen."""
    form = portfolio_form if page.name == "portfolio" else account_360_form
    rows: Counter[str] = Counter()
    sizes = {"cshub": 0, "postgraphile": 0}
    for number, (ours, theirs) in enumerate(zip(page.cshub, page.peer, strict=True)):
        ours_answer = await cshub.post("/graphql", ours)
        theirs_answer = await peer.post("/graphql", theirs)
        sizes["cshub"] += len(ours_answer.body)
        sizes["postgraphile"] += len(theirs_answer.body)
        ours_form = form(checked_graphql(ours_answer.status, ours_answer.body), cshub=True)
        theirs_form = form(checked_graphql(theirs_answer.status, theirs_answer.body), cshub=False)
        if ours_form != theirs_form:
            differing = sorted(key for key in ours_form if ours_form[key] != theirs_form.get(key))
            raise BenchError(
                f"{page.name} entry {number}: cshub and PostGraphile disagree on {', '.join(differing)}:\n"
                f"cshub:        {str({k: ours_form[k] for k in differing})[:1500]}\n"
                f"PostGraphile: {str({k: theirs_form.get(k) for k in differing})[:1500]}"
            )
        rows += row_counts(ours_form)
    return rows, sizes
