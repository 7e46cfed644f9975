"""The activity metrics (outcomes, voiceOfCustomer, nps, ticketStats, healthDistribution, usageSummary, onboarding)
over GraphQL, on a small portfolio whose answers are worked out by hand in the comments: period boundaries,
empty groups with null ratios, accounts without a group value. (Random portfolios: test_metrics_activity_random;
arguments, statement counts and roles: test_metrics_activity_api.)"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.contracts.tables import contract_lines, contracts, products
from service.goals.tables import goals
from service.handoffs.tables import handoffs
from service.health_scores.tables import health_scores, scorecards
from service.surveys.tables import survey_responses
from service.tickets.tables import tickets
from service.usage.tables import usage_daily, usage_daily_users
from tests.factories import insert_accounts
from tests.graphql_client import gql

JANUARY = {"from": "2026-01-01", "to": "2026-02-01"}


def at(day: str, time: str = "00:00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}+00:00")


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass(frozen=True)
class Portfolio:
    acme: uuid.UUID  # enterprise, CSM Aiko
    beta: uuid.UUID  # smb, CSM Aiko
    cove: uuid.UUID  # smb, no CSM
    dune: uuid.UUID  # no segment, CSM Ben, no facts at all


async def accounts_of(engine: AsyncEngine) -> Portfolio:
    (acme,) = await insert_accounts(engine, "Acme", segment="enterprise", csm_owner="Aiko", industry="software")
    (beta,) = await insert_accounts(engine, "Beta", segment="smb", csm_owner="Aiko", industry="retail")
    (cove,) = await insert_accounts(engine, "Cove", segment="smb", industry="retail")
    (dune,) = await insert_accounts(engine, "Dune", csm_owner="Ben")
    return Portfolio(acme, beta, cove, dune)


async def insert(engine: AsyncEngine, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(table), rows)


async def metric(
    client: httpx.AsyncClient, key: str, field: str, selection: str, arguments: str = "", **variables: Any
) -> list[dict[str, Any]]:
    """Rows of ``metrics.<field>`` (arguments from ``JANUARY`` unless given), asserting no errors."""
    declared = ", ".join(f"${name}: {kind}" for name, kind in _kinds(variables).items())
    passed = ", ".join(f"{name}: ${name}" for name in variables)
    query = f"query({declared}) {{ metrics {{ {field}({passed}{', ' if passed and arguments else ''}{arguments}) "
    query += f"{{ group {{ dimension value }} {selection} }} }} }}"
    body = await gql(client, key, query.replace("query() ", "query "), variables)
    assert "errors" not in body, body
    rows: list[dict[str, Any]] = body["data"]["metrics"][field]
    return rows


def _kinds(variables: dict[str, Any]) -> dict[str, str]:
    known = {"from": "Date!", "to": "Date!", "asOf": "Date!", "groupBy": "[MetricDimension!]", "name": "String!"}
    return {name: known.get(name, "String!") for name in variables}


def strip_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: value for name, value in row.items() if name != "group"} for row in rows]


def groups(rows: list[dict[str, Any]]) -> list[list[str | None]]:
    return [[value["value"] for value in row["group"]] for row in rows]


# --- outcomes ---------------------------------------------------------------------------------------------------


async def load_goals(engine: AsyncEngine, p: Portfolio) -> None:
    def goal(account: uuid.UUID, due: str | None, status: str) -> dict[str, Any]:
        achieved = day(due) if status == "achieved" and due else (day("2026-01-01") if status == "achieved" else None)
        return {"account_id": account, "outcome": f"{status} by {due}", "due_on": due and day(due), "status": status,
                "achieved_on": achieved, "created_by": "test"}  # fmt: skip

    await insert(engine, goals, [
        goal(p.acme, "2026-01-01", "achieved"),  # first day: in
        goal(p.acme, "2026-01-31", "missed"),
        goal(p.acme, "2026-01-15", "at_risk"),
        goal(p.acme, "2026-02-01", "on_track"),  # `to`: out
        goal(p.acme, "2025-12-31", "achieved"),  # before: out
        goal(p.acme, None, "achieved"),  # no due date: never counted
        goal(p.beta, "2026-01-10", "on_track"),
    ])  # fmt: skip


async def test_outcomes_count_goals_due_in_the_period_and_the_achievement_rate(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    p = await accounts_of(engine)
    await load_goals(engine, p)
    selection = "due achieved missed atRisk onTrack achievementRate"
    rows = await metric(client, admin_key, "outcomes", selection, **JANUARY)
    # Due in January: achieved (Jan 1), missed, at risk, Beta's on track → rate = 1 / (1 + 1).
    assert rows == [
        {"group": [], "due": 4, "achieved": 1, "missed": 1, "atRisk": 1, "onTrack": 1, "achievementRate": 0.5}
    ]
    by_segment = await metric(client, admin_key, "outcomes", selection, **JANUARY, groupBy=["SEGMENT"])
    assert groups(by_segment) == [["enterprise"], ["smb"], [None]]
    # smb has a due goal but no verdict yet; Dune (no segment) has none: both rates are null, not NaN.
    assert strip_groups(by_segment) == [
        {"due": 3, "achieved": 1, "missed": 1, "atRisk": 1, "onTrack": 0, "achievementRate": 0.5},
        {"due": 1, "achieved": 0, "missed": 0, "atRisk": 0, "onTrack": 1, "achievementRate": None},
        {"due": 0, "achieved": 0, "missed": 0, "atRisk": 0, "onTrack": 0, "achievementRate": None},
    ]


# --- nps --------------------------------------------------------------------------------------------------------


def response(
    account: uuid.UUID, score: int, moment: dt.datetime, kind: str = "nps", comment: str | None = None
) -> dict[str, Any]:
    return {"account_id": account, "kind": kind, "score": score, "responded_at": moment, "comment": comment}


async def load_responses(engine: AsyncEngine, p: Portfolio) -> None:
    await insert(engine, survey_responses, [
        response(p.acme, 10, at("2026-01-01"), comment="love it"),  # first instant: in
        response(p.acme, 9, at("2026-01-15")),
        response(p.acme, 3, at("2026-01-31", "23:59:59"), comment="too slow"),  # last second: in
        response(p.acme, 8, at("2026-02-01"), comment="fine"),  # `to`: out
        response(p.acme, 5, at("2026-01-10"), kind="csat", comment="ok"),  # CSAT: not NPS
        response(p.beta, 7, at("2026-01-05"), comment="   "),  # blank comment
        response(p.beta, 9, at("2026-01-06")),
        response(p.cove, 2, at("2025-12-31", "23:59:59")),  # before: out
    ])  # fmt: skip


async def test_nps_counts_responses_in_the_period_with_null_for_groups_without_any(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    p = await accounts_of(engine)
    await load_responses(engine, p)
    selection = "responses promoters passives detractors nps"
    # January: 10, 9, 3 (Acme), 7, 9 (Beta) → 3 promoters, 1 passive, 1 detractor → 100 × (3 − 1) / 5 = 40.
    rows = await metric(client, admin_key, "nps", selection, **JANUARY)
    assert strip_groups(rows) == [{"responses": 5, "promoters": 3, "passives": 1, "detractors": 1, "nps": 40.0}]
    by_segment = await metric(client, admin_key, "nps", selection, **JANUARY, groupBy=["SEGMENT"])
    assert by_segment == [
        {"group": [{"dimension": "SEGMENT", "value": "enterprise"}],
         "responses": 3, "promoters": 2, "passives": 0, "detractors": 1, "nps": 33.33},
        {"group": [{"dimension": "SEGMENT", "value": "smb"}],
         "responses": 2, "promoters": 1, "passives": 1, "detractors": 0, "nps": 50.0},
        {"group": [{"dimension": "SEGMENT", "value": None}],
         "responses": 0, "promoters": 0, "passives": 0, "detractors": 0, "nps": None},
    ]  # fmt: skip


async def test_nps_of_one_account_agrees_with_the_account_360_nps(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    p = await accounts_of(engine)
    await load_responses(engine, p)
    async with engine.begin() as conn:  # Acme alone in its industry
        await conn.execute(sa.text("UPDATE accounts SET domain = 'acme.example' WHERE id = :id"), {"id": p.acme})
    account = await gql(
        client,
        admin_key,
        """query { accountByDomain(domain: "acme.example") {
        nps(from: "2026-01-01", to: "2026-02-01") { responses promoters passives detractors nps } } }""",
    )
    rows = await metric(client, admin_key, "nps", "responses promoters passives detractors nps", **JANUARY,
                        groupBy=["INDUSTRY"])  # fmt: skip
    software = next(row for row in rows if row["group"][0]["value"] == "software")
    assert strip_groups([software])[0] == account["data"]["accountByDomain"]["nps"]
    assert software["nps"] == 33.33


# --- ticketStats ------------------------------------------------------------------------------------------------


def ticket(
    account: uuid.UUID,
    category: str,
    opened: dt.datetime,
    responded: dt.datetime | None = None,
    solved: dt.datetime | None = None,
    csat: int | None = None,
) -> dict[str, Any]:
    return {"account_id": account, "category": category, "status": "solved" if solved else "open",
            "opened_at": opened, "first_response_at": responded, "solved_at": solved, "csat": csat}  # fmt: skip


async def load_tickets(engine: AsyncEngine, p: Portfolio) -> None:
    await insert(engine, tickets, [
        # opened in January, answered after 2 h, solved after 24 h (in January), rated 5
        ticket(p.acme, "feature_request", at("2026-01-02", "10:00:00"), at("2026-01-02", "12:00:00"),
               at("2026-01-03", "10:00:00"), 5),
        # opened in January, answered after 4 h, solved on Feb 3 (576 h; not solved in January), rated 1
        ticket(p.acme, "bug", at("2026-01-10"), at("2026-01-10", "04:00:00"), at("2026-02-03"), 1),
        # opened in December, solved in January, rated 3
        ticket(p.acme, "question", at("2025-12-20"), None, at("2026-01-05"), 3),
        # opened in the last hour of January, not answered
        ticket(p.beta, "feature_request", at("2026-01-31", "23:00:00")),
        # opened at `to`: not in January
        ticket(p.beta, "bug", at("2026-02-01")),
        # opened in January, answered after 10 h, solved after 24 h, not rated
        ticket(p.cove, "feature_request", at("2026-01-20"), at("2026-01-20", "10:00:00"), at("2026-01-21")),
    ])  # fmt: skip


TICKET_FIELDS = (
    "opened solved firstResponses resolved medianFirstResponseHours medianResolutionHours csatRatings meanCsat"
)


async def test_ticket_stats_count_volume_medians_and_csat_by_their_own_stamps(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    p = await accounts_of(engine)
    await load_tickets(engine, p)
    rows = await metric(client, admin_key, "ticketStats", TICKET_FIELDS, **JANUARY)
    # opened: 4; solved in January: 3 (Jan 3, Jan 5, Jan 21); first responses 2, 4, 10 h → 4; resolutions of
    # tickets opened in January 24, 576, 24 h → 24; CSAT of tickets solved in January: 5 and 3 → 4.
    assert strip_groups(rows) == [
        {"opened": 4, "solved": 3, "firstResponses": 3, "resolved": 3, "medianFirstResponseHours": 4.0,
         "medianResolutionHours": 24.0, "csatRatings": 2, "meanCsat": 4.0}
    ]  # fmt: skip
    by_csm = await metric(client, admin_key, "ticketStats", TICKET_FIELDS, **JANUARY, groupBy=["CSM_OWNER"])
    assert groups(by_csm) == [["Aiko"], ["Ben"], [None]]
    aiko, ben, nobody = strip_groups(by_csm)
    # Aiko: Acme and Beta. First responses 2 and 4 → 3 (interpolated median); resolutions 24 and 576 → 300.
    assert aiko == {"opened": 3, "solved": 2, "firstResponses": 2, "resolved": 2, "medianFirstResponseHours": 3.0,
                    "medianResolutionHours": 300.0, "csatRatings": 2, "meanCsat": 4.0}  # fmt: skip
    assert ben == {"opened": 0, "solved": 0, "firstResponses": 0, "resolved": 0, "medianFirstResponseHours": None,
                   "medianResolutionHours": None, "csatRatings": 0, "meanCsat": None}  # fmt: skip
    assert (nobody["meanCsat"], nobody["medianResolutionHours"]) == (None, 24.0)


# --- voiceOfCustomer --------------------------------------------------------------------------------------------


async def load_contracts(engine: AsyncEngine, p: Portfolio) -> None:
    async with engine.begin() as conn:
        core, addon = (
            await conn.execute(
                sa.insert(products).values([{"name": "Core"}, {"name": "Add-on"}]).returning(products.c.id)
            )
        ).scalars()

        async def contract(account: uuid.UUID, status: str, start: str, currency: str = "USD") -> uuid.UUID:
            values = {"account_id": account, "status": status, "start_date": day(start), "currency": currency}
            created: uuid.UUID = (
                await conn.execute(sa.insert(contracts).values(values).returning(contracts.c.id))
            ).scalar_one()
            return created

        acme_usd = await contract(p.acme, "active", "2025-01-01")  # open-ended
        acme_eur = await contract(p.acme, "active", "2025-01-01", "EUR")
        beta = await contract(p.beta, "active", "2026-02-01")  # starts exactly on `to`: active on it
        cove = await contract(p.cove, "draft", "2025-01-01")  # draft: no revenue, no seats
        lines = [
            (acme_usd, p.acme, core, 10, "1000.00", None),
            (acme_usd, p.acme, core, 5, "500.00", "2026-02-01"),  # ends on `to` (exclusive): not active on it
            (acme_eur, p.acme, addon, 4, "200.00", None),
            (beta, p.beta, core, 2, "100.00", None),
            (cove, p.cove, core, 50, "300.00", None),
        ]
        await conn.execute(
            sa.insert(contract_lines),
            [{"contract_id": contract_id, "account_id": account, "product_id": product, "quantity": quantity,
              "mrr": mrr, "end_date": end and day(end)}
             for contract_id, account, product, quantity, mrr, end in lines],
        )  # fmt: skip


VOICE_FIELDS = "category requests accounts currency arr"


async def test_voice_of_customer_weighs_each_category_by_the_requesters_arr_on_to(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    p = await accounts_of(engine)
    await load_tickets(engine, p)
    await load_responses(engine, p)
    await load_contracts(engine, p)
    rows = await metric(client, admin_key, "voiceOfCustomer", VOICE_FIELDS, **JANUARY)
    # ARR on Feb 1 in USD: Acme 12 × 1000 (the 500 line ended on Feb 1; EUR not converted), Beta 12 × 100 (starts
    # Feb 1), Cove 0 (draft). Feature requests: Acme, Beta, Cove → 13,200. Bugs: Acme's (Beta's opened at `to`).
    # NPS comments: Acme's two in January (the February one and Beta's blank one do not count); CSAT: Acme's.
    assert strip_groups(rows) == [
        {"category": "FEATURE_REQUEST", "requests": 3, "accounts": 3, "currency": "USD", "arr": "13200.00"},
        {"category": "BUG", "requests": 1, "accounts": 1, "currency": "USD", "arr": "12000.00"},
        {"category": "NPS_COMMENT", "requests": 2, "accounts": 1, "currency": "USD", "arr": "12000.00"},
        {"category": "CSAT_COMMENT", "requests": 1, "accounts": 1, "currency": "USD", "arr": "12000.00"},
    ]
    euro = await metric(client, admin_key, "voiceOfCustomer", VOICE_FIELDS, **JANUARY, currency="EUR")
    assert [row["arr"] for row in euro] == ["2400.00"] * 4
    by_segment = await metric(client, admin_key, "voiceOfCustomer", VOICE_FIELDS, **JANUARY, groupBy=["SEGMENT"])
    smb = [row for row in by_segment if row["group"][0]["value"] == "smb"]
    assert [(row["category"], row["requests"], row["accounts"], row["arr"]) for row in smb] == [
        ("FEATURE_REQUEST", 2, 2, "1200.00"), ("BUG", 0, 0, "0.00"), ("NPS_COMMENT", 0, 0, "0.00"),
        ("CSAT_COMMENT", 0, 0, "0.00"),
    ]  # fmt: skip
    assert len(by_segment) == 3 * 4  # every category for every group, empty ones included


# --- healthDistribution -----------------------------------------------------------------------------------------


async def load_scores(engine: AsyncEngine, p: Portfolio) -> None:
    async with engine.begin() as conn:
        card = (
            await conn.execute(
                sa.insert(scorecards).values(name="overall", version=1, config={}).returning(scorecards.c.id)
            )
        ).scalar_one()

    def score(account: uuid.UUID, moment: dt.datetime, value: int | None, band: str | None, tier: str | None,
              name: str = "overall") -> dict[str, Any]:  # fmt: skip
        return {"account_id": account, "scorecard_id": card, "score_name": name, "score": value, "band": band,
                "tier": tier, "coverage": 1 if value is not None else 0, "computed_at": moment}  # fmt: skip

    await insert(engine, health_scores, [
        score(p.acme, at("2026-01-10"), 80, "green", "Gold"),
        score(p.acme, at("2026-01-31", "23:59:59"), 40, "red", "Silver"),  # latest by the end of Jan 31
        score(p.acme, at("2026-02-01"), 90, "green", "Gold"),  # after asOf
        score(p.beta, at("2026-01-05"), None, None, None),  # not enough data: unscored
        score(p.cove, at("2026-01-05"), 60, "yellow", "Gold"),
        score(p.cove, at("2026-01-06"), 10, "red", "Bronze", name="adoption"),  # another score
    ])  # fmt: skip


HEALTH_FIELDS = "accounts red yellow green unscored tiers { tier accounts }"


async def test_health_distribution_counts_each_accounts_latest_score_by_the_end_of_as_of(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    p = await accounts_of(engine)
    await load_scores(engine, p)
    rows = await metric(client, admin_key, "healthDistribution", HEALTH_FIELDS, asOf="2026-01-31")
    # Acme red/Silver (its 23:59:59 score), Cove yellow/Gold, Beta (null score) and Dune (no score) unscored.
    assert strip_groups(rows) == [
        {"accounts": 4, "red": 1, "yellow": 1, "green": 0, "unscored": 2,
         "tiers": [{"tier": "Gold", "accounts": 1}, {"tier": "Silver", "accounts": 1}, {"tier": None, "accounts": 2}]}
    ]  # fmt: skip
    earlier = await metric(client, admin_key, "healthDistribution", HEALTH_FIELDS, asOf="2026-01-30")
    assert (earlier[0]["green"], earlier[0]["red"]) == (1, 0)  # Acme's Jan 10 score
    adoption = await metric(client, admin_key, "healthDistribution", HEALTH_FIELDS, asOf="2026-01-31", name="adoption")
    assert strip_groups(adoption)[0] == {
        "accounts": 4, "red": 1, "yellow": 0, "green": 0, "unscored": 3,
        "tiers": [{"tier": "Bronze", "accounts": 1}, {"tier": None, "accounts": 3}],
    }  # fmt: skip
    by_segment = await metric(
        client, admin_key, "healthDistribution", HEALTH_FIELDS, asOf="2026-01-31", groupBy=["SEGMENT"]
    )
    assert [(row["group"][0]["value"], row["accounts"], row["unscored"]) for row in by_segment] == [
        ("enterprise", 1, 0), ("smb", 2, 1), (None, 1, 1)
    ]  # fmt: skip


# --- usageSummary -----------------------------------------------------------------------------------------------


async def load_usage(engine: AsyncEngine, p: Portfolio) -> None:
    daily = [
        (p.acme, "2026-01-01", "reports", 3, ["u1"]),
        (p.acme, "2026-01-02", "reports", 2, ["u1"]),
        (p.acme, "2026-01-02", "export", 1, ["u1"]),  # same user, same day, another feature
        (p.acme, "2026-01-31", "reports", 4, ["u2"]),
        (p.acme, "2026-02-01", "reports", 7, ["u3"]),  # `to`: out of the period and of the 30-day window
        (p.acme, "2025-12-31", "reports", 7, ["u4"]),  # before
        (p.beta, "2026-01-15", "sync", 5, []),  # account-level events, no users
        (p.cove, "2026-01-01", "reports", 1, ["u9"]),  # in the period, before the 30-day window [Jan 2, Feb 1)
    ]
    await insert(engine, usage_daily, [
        {"account_id": account, "day": day(on), "feature": feature, "events": events, "active_users": len(users)}
        for account, on, feature, events, users in daily
    ])  # fmt: skip
    await insert(engine, usage_daily_users, [
        {"account_id": account, "day": day(on), "feature": feature, "user_ref": user}
        for account, on, feature, _, users in daily for user in users
    ])  # fmt: skip


USAGE_FIELDS = (
    "accounts activeAccounts events activeUsers meanDailyActiveUsers stickiness accountsWithSeats licensedSeats "
    "licensedActiveUsers meanLicenseUtilization"
)


async def test_usage_summary_counts_activity_stickiness_and_utilization(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    p = await accounts_of(engine)
    await load_usage(engine, p)
    await load_contracts(engine, p)
    (row,) = strip_groups(await metric(client, admin_key, "usageSummary", USAGE_FIELDS, **JANUARY))
    # Users u1, u2 (Acme) and u9 (Cove); user-days (u1, Jan 1), (u1, Jan 2), (u2, Jan 31), (u9, Jan 1) over 31 days.
    # Seats on Jan 31, the last day: Acme 15 (Core 10 + 5, the second line ends on Feb 1; the EUR add-on's 4 is a
    # subset of the same users); Beta's contract starts on Feb 1; Cove's is a draft. Utilization: Acme's 2 users in
    # [Jan 2, Feb 1) / 15.
    assert row == {
        "accounts": 4, "activeAccounts": 3, "events": 16, "activeUsers": 3, "meanDailyActiveUsers": 4 / 31,
        "stickiness": 4 / 31 / 3, "accountsWithSeats": 1, "licensedSeats": 15, "licensedActiveUsers": 2,
        "meanLicenseUtilization": pytest.approx(2 / 15),
    }  # fmt: skip
    # One day longer, the last day is Feb 1: Acme 10 seats (the 5 ended), u2 and u3 in [Jan 3, Feb 2) → 0.2; Beta's
    # 2 seats start, nobody active → 0; the mean over both is 0.1.
    (longer,) = await metric(client, admin_key, "usageSummary", USAGE_FIELDS, **{**JANUARY, "to": "2026-02-02"})
    assert (longer["accountsWithSeats"], longer["licensedSeats"], longer["licensedActiveUsers"]) == (2, 12, 2)
    assert longer["meanLicenseUtilization"] == pytest.approx(0.1)
    by_csm = await metric(client, admin_key, "usageSummary", USAGE_FIELDS, **JANUARY, groupBy=["CSM_OWNER"])
    ben = next(row for row in by_csm if row["group"][0]["value"] == "Ben")
    assert (ben["activeUsers"], ben["stickiness"], ben["meanLicenseUtilization"]) == (0, None, None)


# --- onboarding -------------------------------------------------------------------------------------------------


async def load_handoffs(engine: AsyncEngine, p: Portfolio) -> None:
    def handoff(account: uuid.UUID, state: str, start: str, first_value: str | None = None) -> dict[str, Any]:
        return {"account_id": account, "state": state, "contract_start_date": day(start),
                "first_value_on": first_value and day(first_value)}  # fmt: skip

    await insert(engine, handoffs, [
        handoff(p.acme, "FIRST_VALUE_REACHED", "2026-01-01", "2026-01-31"),  # 30 days
        handoff(p.acme, "ACCEPTED", "2026-01-10"),
        handoff(p.beta, "FIRST_VALUE_REACHED", "2026-01-20", "2026-02-09"),  # 20 days (first value after `to`)
        handoff(p.beta, "CANCELLED", "2026-01-05"),
        handoff(p.cove, "FIRST_VALUE_REACHED", "2026-02-01", "2026-02-02"),  # starts at `to`: out
        handoff(p.cove, "SUBMITTED", "2025-12-31"),  # before: out
    ])  # fmt: skip


ONBOARDING_FIELDS = "cohort completed cancelled completionRate medianTimeToValueDays meanTimeToValueDays"


async def test_onboarding_cohort_completion_and_median_time_to_value(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    p = await accounts_of(engine)
    await load_handoffs(engine, p)
    rows = await metric(client, admin_key, "onboarding", ONBOARDING_FIELDS, **JANUARY)
    assert strip_groups(rows) == [
        {"cohort": 3, "completed": 2, "cancelled": 1, "completionRate": 2 / 3, "medianTimeToValueDays": 25.0,
         "meanTimeToValueDays": 25.0}
    ]  # fmt: skip
    by_segment = await metric(client, admin_key, "onboarding", ONBOARDING_FIELDS, **JANUARY, groupBy=["SEGMENT"])
    assert strip_groups(by_segment) == [
        {"cohort": 2, "completed": 1, "cancelled": 0, "completionRate": 0.5, "medianTimeToValueDays": 30.0,
         "meanTimeToValueDays": 30.0},
        {"cohort": 1, "completed": 1, "cancelled": 1, "completionRate": 1.0, "medianTimeToValueDays": 20.0,
         "meanTimeToValueDays": 20.0},
        {"cohort": 0, "completed": 0, "cancelled": 0, "completionRate": None, "medianTimeToValueDays": None,
         "meanTimeToValueDays": None},
    ]  # fmt: skip
