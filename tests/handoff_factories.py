"""Typed helpers for handoff tests: principals, a complete record, and a handoff forced into any state."""

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.api_keys.service import Principal
from service.handoffs import service
from service.handoffs.queries import HandoffRow
from service.handoffs.tables import handoffs
from tests.factories import insert_accounts

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def principal(role: Role, name: str | None = None) -> Principal:
    return Principal(key_id=uuid.uuid4(), name=name or role.value, role=role)


def complete_record() -> dict[str, Any]:
    """A record that passes the submit gate (snake_case, as ``record.validated`` reads it)."""
    return {
        "opportunity_ref": "OPP-1001",
        "sales_owner": "Sato",
        "csm_owner": "Aiko",
        "deal": {
            "products": ["Platform", "Analytics add-on"],
            "arr": "120000.00",
            "currency": "USD",
            "contract_start_date": "2026-03-01",
            "contract_end_date": "2027-03-01",
            "closed_at": "2026-02-27T17:00:00+00:00",
            "pricing_terms": "100 seats at 100 USD/month, 10% off year one",
            "discount_percent": "10",
            "billing_terms": "annual upfront, net 30",
            "scope": "Support team of 100 agents",
            "out_of_scope": ["SSO setup", "custom reports"],
        },
        "why_they_bought": {
            "trigger_event": "New VP of Support",
            "pain_points": ["slow first response"],
            "alternatives_evaluated": ["Zendesk"],
            "why_we_won": "Analytics",
        },
        "goals": [
            {
                "outcome": "Halve first response time",
                "success_criterion": {
                    "metric": "median first response",
                    "unit": "hours",
                    "baseline": "8",
                    "target": "4",
                    "due_on": "2026-09-01",
                },
            },
            {"outcome": "Agents like the tool"},
        ],
        "stakeholders": [
            {"name": "Kim", "role": "economic_buyer"},
            {"name": "Lee", "role": "champion", "notes": "runs the pilot"},
        ],
        "promises": [{"kind": "roadmap_item", "description": "Slack integration", "due_on": "2026-06-30"}],
        "implementation": {
            "pre_start_tasks": [{"title": "Export legacy tickets", "owner": "Lee"}, {"title": "DPA", "done": True}],
            "integrations": ["Salesforce"],
            "lead_time_days": 30,
        },
        "risks": [{"description": "Champion leaves", "severity": "high"}],
        "competition": {"situation": "parallel_tools", "switching_cost": "medium"},
        "timeline": {"kickoff_date": "2026-03-05", "go_live_target_date": "2026-04-01"},
        "evidence": [{"kind": "proposal", "title": "Proposal v3", "url": "https://crm.example/opp/1001"}],
    }


async def create(
    engine: AsyncEngine, by: Principal, document: dict[str, Any] | None = None, *, now: dt.datetime = T0
) -> HandoffRow:
    (account_id,) = await insert_accounts(engine, f"Customer {uuid.uuid4().hex[:6]}")
    async with engine.begin() as conn:
        return await service.create_handoff(
            conn, account_id, complete_record() if document is None else document, by=by, now=now
        )


async def force_state(engine: AsyncEngine, handoff_id: uuid.UUID, state: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.update(handoffs).where(handoffs.c.id == handoff_id).values(state=state))
