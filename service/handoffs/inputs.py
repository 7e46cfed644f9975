"""GraphQL inputs of the handoff record, turned into the plain document ``record.validated`` checks.

One ``HandoffInput`` serves create and update: on update, each group you send replaces that group
(null clears it) and groups you leave out stay as they are.
"""

import dataclasses
import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from service.graphql.relay import decode_typed_id
from service.handoffs.enums import CompetitiveSituation, EvidenceKind, Level, PromiseKind, StakeholderRole

UNSET: Any = strawberry.UNSET


@strawberry.input(description="An amount of money in a currency.")
class MoneyInput:
    amount: Decimal = strawberry.field(description="The amount (≥ 0, at most 2 decimals).")
    currency: str = strawberry.field(description="ISO 4217 currency code in capitals, e.g. `USD`.")


@strawberry.input(description="The deal as sold.")
class DealInput:
    products: list[str] = strawberry.field(default_factory=list, description="Products (plans, modules) sold.")
    arr: MoneyInput | None = strawberry.field(
        default=None, description="Annual recurring revenue and its currency (as `deal.arr` reads back)."
    )
    contract_start_date: dt.date | None = strawberry.field(default=None, description="First day of the contract.")
    contract_end_date: dt.date | None = strawberry.field(
        default=None, description="First day after the contract (exclusive); after the start."
    )
    closed_at: dt.datetime | None = strawberry.field(
        default=None, description="When the deal closed (with a time zone; not in the future)."
    )
    pricing_terms: str | None = strawberry.field(default=None, description="Pricing terms.")
    discount_percent: Decimal | None = strawberry.field(default=None, description="Discount in percent, 0–100.")
    billing_terms: str | None = strawberry.field(default=None, description="Billing terms.")
    scope: str | None = strawberry.field(default=None, description="What is in scope.")
    out_of_scope: list[str] = strawberry.field(default_factory=list, description="What is explicitly out of scope.")


@strawberry.input(description="Why the customer bought.")
class WhyTheyBoughtInput:
    trigger_event: str | None = strawberry.field(default=None, description="What made them look now.")
    pain_points: list[str] = strawberry.field(default_factory=list, description="The problems to solve.")
    alternatives_evaluated: list[str] = strawberry.field(
        default_factory=list, description="Competitors and alternatives evaluated."
    )
    why_we_won: str | None = strawberry.field(default=None, description="Why they chose us.")


@strawberry.input(description="How a goal is measured; all of metric, baseline, target and dueOn make it complete.")
class SuccessCriterionInput:
    metric: str | None = strawberry.field(default=None, description="The customer's metric.")
    unit: str | None = strawberry.field(default=None, description="Unit of the metric.")
    baseline: Decimal | None = strawberry.field(default=None, description="Where it stands at the start.")
    target: Decimal | None = strawberry.field(default=None, description="Where it must get to.")
    due_on: dt.date | None = strawberry.field(default=None, description="By when.")


@strawberry.input(description="A business outcome the customer bought for.")
class HandoffGoalInput:
    outcome: str = strawberry.field(description="The outcome, in the customer's words.")
    success_criterion: SuccessCriterionInput | None = strawberry.field(
        default=None, description="How success is measured."
    )


@strawberry.input(description="A person at the customer: link a contact of the account, or give a name.")
class StakeholderInput:
    role: StakeholderRole = strawberry.field(description="Their part in the deal.")
    contact_id: strawberry.ID | None = strawberry.field(default=None, description="A contact of the same account.")
    name: str | None = strawberry.field(default=None, description="Their name, when no contact is linked.")
    decides: bool | None = strawberry.field(default=None, description="Takes the decision; default from the role.")
    uses: bool | None = strawberry.field(default=None, description="Uses the product; default from the role.")
    notes: str | None = strawberry.field(default=None, description="What the CSM should know about them.")


@strawberry.input(description="Something promised in the sale.")
class PromiseInput:
    kind: PromiseKind = strawberry.field(description="What kind of promise.")
    description: str = strawberry.field(description="What exactly was promised.")
    due_on: dt.date | None = strawberry.field(default=None, description="By when, if a date was promised.")
    promised_by: str | None = strawberry.field(default=None, description="Who promised it.")


@strawberry.input(description="A task before the customer can start.")
class PreStartTaskInput:
    title: str = strawberry.field(description="The task.")
    owner: str | None = strawberry.field(default=None, description="Who does it.")
    due_on: dt.date | None = strawberry.field(default=None, description="By when.")
    done: bool = strawberry.field(default=False, description="Done already (then no action item is created).")


@strawberry.input(description="What implementation needs.")
class ImplementationInput:
    pre_start_tasks: list[PreStartTaskInput] = strawberry.field(default_factory=list, description="Tasks first.")
    integrations: list[str] = strawberry.field(default_factory=list, description="Systems to integrate with.")
    data_migration: str | None = strawberry.field(default=None, description="Data to migrate.")
    lead_time_days: int | None = strawberry.field(default=None, description="Days from kickoff to go-live, 0–3650.")


@strawberry.input(description="A risk to the account's success.")
class RiskInput:
    description: str = strawberry.field(description="The risk.")
    severity: Level = strawberry.field(default=Level.MEDIUM, description="How bad; default MEDIUM.")
    mitigation: str | None = strawberry.field(default=None, description="What is planned against it.")


@strawberry.input(description="The competitive situation after adoption.")
class CompetitionInput:
    situation: CompetitiveSituation | None = strawberry.field(default=None, description="Single or parallel tools.")
    switching_cost: Level | None = strawberry.field(default=None, description="Cost to switch away.")
    competitors_in_use: list[str] = strawberry.field(default_factory=list, description="Competitors still in use.")
    notes: str | None = strawberry.field(default=None, description="Anything else.")


@strawberry.input(description="The planned dates of the customer's start.")
class HandoffTimelineInput:
    intro_sent_on: dt.date | None = strawberry.field(default=None, description="When the CSM was introduced.")
    kickoff_date: dt.date | None = strawberry.field(default=None, description="Planned kickoff date.")
    go_live_target_date: dt.date | None = strawberry.field(default=None, description="Target go-live date.")
    first_value_milestone: str | None = strawberry.field(default=None, description="What first value means here.")
    first_value_target_date: dt.date | None = strawberry.field(default=None, description="When first value is due.")


@strawberry.input(description="A link to evidence (http or https).")
class EvidenceLinkInput:
    kind: EvidenceKind = strawberry.field(description="What it is.")
    title: str = strawberry.field(description="Its title.")
    url: str = strawberry.field(description="The link.")


@strawberry.input(
    description="A handoff record's groups. On create, leave out what is not known yet; on update, each group "
    "sent replaces that group (null clears it) and groups left out stay unchanged."
)
class HandoffInput:
    contract_id: strawberry.ID | None = strawberry.field(default=UNSET, description="The signed contract, if known.")
    opportunity_ref: str | None = strawberry.field(default=UNSET, description="The CRM opportunity reference.")
    sales_owner: str | None = strawberry.field(default=UNSET, description="The account executive.")
    csm_owner: str | None = strawberry.field(default=UNSET, description="The CSM it goes to.")
    deal: DealInput | None = strawberry.field(default=UNSET, description="The deal.")
    why_they_bought: WhyTheyBoughtInput | None = strawberry.field(default=UNSET, description="Why they bought.")
    goals: list[HandoffGoalInput] | None = strawberry.field(default=UNSET, description="Goals (at most 50).")
    stakeholders: list[StakeholderInput] | None = strawberry.field(default=UNSET, description="Stakeholders.")
    promises: list[PromiseInput] | None = strawberry.field(default=UNSET, description="Promises and commitments.")
    implementation: ImplementationInput | None = strawberry.field(default=UNSET, description="Implementation.")
    risks: list[RiskInput] | None = strawberry.field(default=UNSET, description="Risks.")
    sensitivities: str | None = strawberry.field(default=UNSET, description="Sensitivities to handle with care.")
    competition: CompetitionInput | None = strawberry.field(default=UNSET, description="Competition.")
    timeline: HandoffTimelineInput | None = strawberry.field(default=UNSET, description="Planned dates.")
    evidence: list[EvidenceLinkInput] | None = strawberry.field(default=UNSET, description="Evidence links.")


_LIST_GROUPS = ("goals", "stakeholders", "promises", "risks", "evidence")
_OBJECT_GROUPS = ("deal", "why_they_bought", "implementation", "competition", "timeline")


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def changes_of(given: HandoffInput) -> dict[str, Any]:
    """The groups ``given`` sets, as plain values (ids decoded; a null group cleared to empty)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(given):
        value = getattr(given, f.name)
        if value is UNSET:
            continue
        plain = _plain(value)
        if plain is None and f.name in _LIST_GROUPS:
            plain = []
        elif plain is None and f.name in _OBJECT_GROUPS:
            plain = {}
        changes[f.name] = plain
    deal = changes.get("deal")
    if isinstance(deal, dict) and "arr" in deal:
        # The record keeps the ARR and its currency side by side (``service.handoffs.record.Deal``).
        money = deal["arr"]
        deal["arr"], deal["currency"] = (money["amount"], money["currency"]) if money is not None else (None, None)
    if changes.get("contract_id") is not None:
        changes["contract_id"] = decode_typed_id(changes["contract_id"], "Contract")
    for person in changes.get("stakeholders", []):
        if person.get("contact_id") is not None:
            person["contact_id"] = decode_typed_id(person["contact_id"], "Contact")
    return changes
