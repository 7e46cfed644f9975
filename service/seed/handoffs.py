"""Demo handoffs: after the sources are ingested, sales hands recent deals to customer success.

The newest customers get handoffs in every workflow state, written through the handoff service with
backdated clocks (closed a few days before the contract start, submitted, sometimes returned, accepted,
kickoff, first value), so the demo's events, SLA figures, success plans and action items are what the
real workflow produces.
"""

import datetime as dt
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.acceptance import service as acceptance
from service.accounts.tables import accounts
from service.api_keys.roles import Role
from service.api_keys.service import Principal
from service.contacts.tables import contacts
from service.contracts.queries import NOT_COUNTED, annual
from service.contracts.tables import contract_lines, contracts, products
from service.db.pool import in_transaction
from service.handoffs import service
from service.handoffs.tables import handoffs
from service.handoffs.workflow import Action

# Newest deals first: the earliest states go to the most recent deals, first value to older ones.
STATES = (
    "DRAFT",
    "DRAFT",
    "SUBMITTED",
    "RETURNED",
    "SUBMITTED",
    "CANCELLED",
    "ACCEPTED",
    "ACCEPTED",
    "KICKOFF_HELD",
    "KICKOFF_HELD",
    "FIRST_VALUE_REACHED",
    "FIRST_VALUE_REACHED",
    "FIRST_VALUE_REACHED",
    "FIRST_VALUE_REACHED",
)
_SALES = Principal(key_id=uuid.UUID(int=1), name="demo sales", role=Role.SALES)
_CSM = Principal(key_id=uuid.UUID(int=2), name="demo csm", role=Role.CSM)

_GOALS = (
    ("Cut time spent on manual reporting", "hours per week on reports", "hours", 12, 4),
    ("Faster answers to customers", "median first response", "hours", 9, 3),
    ("One view of every customer", "teams working from the hub", "teams", 0, 5),
    ("Grow renewals", "gross revenue retention", "%", 82, 92),
)
_PAINS = ("spreadsheets everywhere", "churn found too late", "no shared customer view", "slow onboarding")
_COMPETITORS = ("Gainsight", "ChurnZero", "Totango", "in-house spreadsheets")


@dataclass(frozen=True, slots=True)
class _Deal:
    account_id: uuid.UUID
    csm_owner: str | None
    sales_owner: str | None
    contract_id: uuid.UUID
    start: dt.date
    end: dt.date | None
    currency: str
    mrr: Decimal
    products: tuple[str, ...]
    decision_maker: uuid.UUID | None
    champion: uuid.UUID | None


async def _recent_deals(conn: AsyncConnection, count: int, today: dt.date) -> list[_Deal]:
    """Each account's latest contract that started by today, newest first."""
    latest = (
        sa.select(contracts)
        .where(contracts.c.status.not_in(NOT_COUNTED), contracts.c.start_date <= today)
        .ext(distinct_on(contracts.c.account_id))
        .order_by(contracts.c.account_id, contracts.c.start_date.desc(), contracts.c.id)
        .subquery()
    )
    rows = (
        await conn.execute(
            sa.select(latest, accounts.c.csm_owner, accounts.c.sales_owner)
            .join(accounts, accounts.c.id == latest.c.account_id)
            .order_by(latest.c.start_date.desc(), latest.c.id)
            .limit(count)
        )
    ).all()
    deals = []
    for row in rows:
        lines = (
            await conn.execute(
                sa.select(products.c.name, contract_lines.c.mrr)
                .join(products, products.c.id == contract_lines.c.product_id)
                .where(contract_lines.c.contract_id == row.id)
                .order_by(products.c.name)
            )
        ).all()
        people: dict[str, str] = dict(
            (
                await conn.execute(
                    sa.select(contacts.c.role, sa.func.min(sa.cast(contacts.c.id, sa.Text)))
                    .where(contacts.c.account_id == row.account_id, contacts.c.role.in_(("decision_maker", "champion")))
                    .group_by(contacts.c.role)
                )
            ).all()
        )
        deals.append(
            _Deal(
                account_id=row.account_id,
                csm_owner=row.csm_owner,
                sales_owner=row.sales_owner,
                contract_id=row.id,
                start=row.start_date,
                end=row.end_date,
                currency=row.currency,
                mrr=sum((line.mrr for line in lines), Decimal(0)),
                products=tuple(line.name for line in lines),
                decision_maker=uuid.UUID(people["decision_maker"]) if "decision_maker" in people else None,
                champion=uuid.UUID(people["champion"]) if "champion" in people else None,
            )
        )
    return deals


def _record(deal: _Deal, rng: random.Random, closed: dt.datetime) -> dict[str, Any]:
    outcome, metric, unit, baseline, target = rng.choice(_GOALS)
    stakeholders: list[dict[str, Any]] = []
    if deal.decision_maker:
        stakeholders.append({"contact_id": deal.decision_maker, "role": "economic_buyer"})
    else:
        stakeholders.append({"name": "Budget owner (to confirm)", "role": "decision_maker"})
    if deal.champion:
        stakeholders.append({"contact_id": deal.champion, "role": "champion", "notes": "ran the evaluation"})
    return {
        "contract_id": deal.contract_id,
        "opportunity_ref": f"OPP-{deal.contract_id.hex[:8].upper()}",
        "sales_owner": deal.sales_owner,
        "csm_owner": deal.csm_owner,
        "deal": {
            "products": list(deal.products),
            "arr": str(annual(deal.mrr).quantize(Decimal("0.01"))),
            "currency": deal.currency,
            "contract_start_date": deal.start.isoformat(),
            "contract_end_date": deal.end.isoformat() if deal.end else None,
            "closed_at": closed.isoformat(),
            "pricing_terms": "per seat per month, list price",
            "discount_percent": str(rng.choice((0, 5, 10, 15))),
            "billing_terms": rng.choice(("annual upfront, net 30", "quarterly, net 45", "monthly by card")),
            "scope": "the customer success team",
            "out_of_scope": ["custom integrations"],
        },
        "why_they_bought": {
            "trigger_event": "renewal risk surfaced too late last year",
            "pain_points": rng.sample(_PAINS, 2),
            "alternatives_evaluated": rng.sample(_COMPETITORS, 2),
            "why_we_won": "one customer view across CRM, support and product data",
        },
        "goals": [
            {
                "outcome": outcome,
                "success_criterion": {
                    "metric": metric,
                    "unit": unit,
                    "baseline": baseline,
                    "target": target,
                    "due_on": (deal.start + dt.timedelta(days=180)).isoformat(),
                },
            }
        ],
        "stakeholders": stakeholders,
        "promises": [{"kind": "roadmap_item", "description": "Slack alerts for red accounts", "promised_by": "AE"}],
        "implementation": {
            "pre_start_tasks": [
                {"title": "Connect the CRM", "owner": "customer admin"},
                {"title": "Sign the DPA", "done": True},
            ],
            "integrations": ["CRM", "support desk"],
            "lead_time_days": rng.choice((14, 30, 45)),
        },
        "risks": [{"description": "Champion may change roles", "severity": rng.choice(("low", "medium", "high"))}],
        "competition": {"situation": rng.choice(("single_tool", "parallel_tools")), "switching_cost": "medium"},
        "timeline": {
            "intro_sent_on": (closed + dt.timedelta(days=1)).date().isoformat(),
            "kickoff_date": (deal.start + dt.timedelta(days=3)).isoformat(),
            "go_live_target_date": (deal.start + dt.timedelta(days=30)).isoformat(),
            "first_value_milestone": "first weekly health review",
        },
        "evidence": [{"kind": "proposal", "title": "Signed proposal", "url": "https://crm.example/proposals/demo"}],
    }


async def seed_handoffs(engine: AsyncEngine, *, seed: int, today: dt.date) -> Counter[str]:
    """Handoffs in every state for the newest deals; returns how many ended in each state."""
    rng = random.Random(seed)
    async with engine.connect() as conn:
        if await conn.scalar(sa.select(sa.exists().select_from(handoffs))):
            return Counter()  # handed over already: seeding again changes nothing
        deals = await _recent_deals(conn, len(STATES), today)
    now = dt.datetime.combine(today, dt.time(6), tzinfo=dt.UTC)
    made: Counter[str] = Counter()
    for deal, state in zip(deals, STATES, strict=False):
        delays = _steps(state, rng)
        # The story happens in the past: closed ten days before the contract start, and never after "now".
        closed = dt.datetime.combine(deal.start, dt.time(15), tzinfo=dt.UTC) - dt.timedelta(days=10)
        closed = min(closed, now - sum(delays, dt.timedelta()) - dt.timedelta(hours=2))
        first_value = min(deal.start + dt.timedelta(days=rng.randint(10, 45)), today)
        record = _record(deal, rng, closed)

        async def write(
            conn: AsyncConnection,
            deal: _Deal = deal,
            state: str = state,
            delays: list[dt.timedelta] = delays,
            record: dict[str, Any] = record,
            at: dt.datetime = closed + dt.timedelta(hours=2),
            first_value: dt.date = first_value,
        ) -> None:
            row = await service.create_handoff(conn, deal.account_id, record, by=_SALES, now=at)
            for action, delay in zip(_actions(state), delays, strict=True):
                at += delay
                if action is Action.ACCEPT:
                    await acceptance.accept_handoff(conn, row.id, by=_CSM, now=at)
                elif action is Action.REACH_FIRST_VALUE:
                    at = max(at, dt.datetime.combine(first_value, dt.time(0), tzinfo=dt.UTC))
                    await service.transition(conn, row.id, action, by=_CSM, now=at, first_value_on=first_value)
                else:
                    by = _SALES if action is Action.SUBMIT else _CSM
                    comment = "please add the data-migration plan" if action is Action.RETURN else None
                    await service.transition(conn, row.id, action, by=by, now=at, comment=comment)

        await in_transaction(engine, write)
        made[state] += 1
    return made


def _actions(state: str) -> list[Action]:
    path = {
        "DRAFT": [],
        "SUBMITTED": [Action.SUBMIT],
        "RETURNED": [Action.SUBMIT, Action.RETURN],
        "CANCELLED": [Action.CANCEL],
        "ACCEPTED": [Action.SUBMIT, Action.ACCEPT],
        "KICKOFF_HELD": [Action.SUBMIT, Action.ACCEPT, Action.HOLD_KICKOFF],
        "FIRST_VALUE_REACHED": [Action.SUBMIT, Action.ACCEPT, Action.HOLD_KICKOFF, Action.REACH_FIRST_VALUE],
    }
    return path[state]


def _steps(state: str, rng: random.Random) -> list[dt.timedelta]:
    """The delay before each step of the state's path (hours to submit and accept, days to kickoff/value)."""
    delays = {
        Action.SUBMIT: dt.timedelta(hours=rng.randint(4, 72)),
        Action.RETURN: dt.timedelta(hours=rng.randint(4, 30)),
        Action.CANCEL: dt.timedelta(days=rng.randint(1, 5)),
        Action.ACCEPT: dt.timedelta(hours=rng.randint(2, 48)),
        Action.HOLD_KICKOFF: dt.timedelta(days=rng.randint(2, 10)),
        Action.REACH_FIRST_VALUE: dt.timedelta(days=rng.randint(10, 45)),
    }
    return [delays[action] for action in _actions(state)]
