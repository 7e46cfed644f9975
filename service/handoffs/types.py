"""GraphQL types of the handoff record, its workflow events and SLA figures, mapped from ``HandoffRow``."""

import datetime as dt
import uuid
from decimal import Decimal

import strawberry

from service.accounts import queries as account_queries
from service.contacts import queries as contact_queries
from service.contacts.types import Contact
from service.contracts import queries as contract_queries
from service.contracts.types import Contract, Money
from service.graphql.context import Context
from service.graphql.lazy import LazyAccount, account_from_row
from service.graphql.relay import Node, PageInfo, encode_cursor, encode_global_id
from service.handoffs import queries
from service.handoffs import record as records
from service.handoffs.enums import (
    CompetitiveSituation,
    EvidenceKind,
    HandoffState,
    Level,
    PromiseKind,
    StakeholderRole,
)
from service.handoffs.queries import HandoffEventRow, HandoffFilter, HandoffRow
from service.handoffs.service import record_of

HANDOFF_TYPE_NAME = "Handoff"


@strawberry.type(description="The deal as sold: products, money, dates and terms.")
class HandoffDeal:
    products: list[str] = strawberry.field(description="Products (plans, modules) sold.")
    arr: Money | None = strawberry.field(description="Annual recurring revenue of the deal; null until given.")
    contract_start_date: dt.date | None = strawberry.field(description="First day of the contract.")
    contract_end_date: dt.date | None = strawberry.field(description="First day after the contract (exclusive).")
    closed_at: dt.datetime | None = strawberry.field(description="When the deal closed (UTC); SLAs start here.")
    pricing_terms: str | None = strawberry.field(description="Pricing: price points, ramps, what each seat costs.")
    discount_percent: Decimal | None = strawberry.field(description="Discount granted, in percent (0–100).")
    billing_terms: str | None = strawberry.field(description="Billing: frequency, payment terms, invoicing contact.")
    scope: str | None = strawberry.field(description="What is in scope of the deal.")
    out_of_scope: list[str] = strawberry.field(description="What is explicitly NOT in scope, item by item.")


@strawberry.type(description="Why the customer bought.")
class WhyTheyBought:
    trigger_event: str | None = strawberry.field(description="What made them look now (the trigger event).")
    pain_points: list[str] = strawberry.field(description="The problems they want solved.")
    alternatives_evaluated: list[str] = strawberry.field(description="Competitors and alternatives they evaluated.")
    why_we_won: str | None = strawberry.field(description="Why they chose us.")


@strawberry.type(description="How a goal is measured: a metric from a baseline to a target by a date.")
class HandoffSuccessCriterion:
    metric: str | None = strawberry.field(description="What is measured (the customer's metric, not our usage).")
    unit: str | None = strawberry.field(description="Unit of the metric (%, hours, EUR…).")
    baseline: Decimal | None = strawberry.field(description="Where the metric stands at the start.")
    target: Decimal | None = strawberry.field(description="Where it must get to.")
    due_on: dt.date | None = strawberry.field(description="By when.")


@strawberry.type(description="A business outcome the customer bought for, as written in the handoff.")
class HandoffGoal:
    outcome: str = strawberry.field(description="The customer's business outcome, in their words.")
    success_criterion: HandoffSuccessCriterion | None = strawberry.field(description="How success is measured.")
    measurable: bool = strawberry.field(
        description="Whether the criterion is complete (metric, baseline, target, due)."
    )


async def _stakeholder_contact(root: "Stakeholder", info: strawberry.Info[Context]) -> Contact | None:
    if root.contact_id is None:
        return None
    row = await info.context.batch(contact_queries.contacts_by_ids).load((root.contact_id, None))
    return Contact.from_row(row) if row else None


@strawberry.type(description="A person at the customer and their part in the deal.")
class Stakeholder:
    contact_id: strawberry.Private[uuid.UUID | None]
    name: str | None = strawberry.field(description="Name as written in the handoff (the contact's name if linked).")
    role: StakeholderRole = strawberry.field(description="Their part in the deal.")
    decides: bool = strawberry.field(description="Whether they take the decision (default: from the role).")
    uses: bool = strawberry.field(description="Whether they use the product (default: from the role).")
    notes: str | None = strawberry.field(description="What the CSM should know about them.")
    contact: Contact | None = strawberry.field(
        resolver=_stakeholder_contact, description="The linked contact of the account, when one is linked."
    )


@strawberry.type(description="Something sales promised the customer.")
class HandoffPromise:
    kind: PromiseKind = strawberry.field(description="What kind of promise.")
    description: str = strawberry.field(description="What exactly was promised.")
    due_on: dt.date | None = strawberry.field(description="By when, if a date was promised.")
    promised_by: str | None = strawberry.field(description="Who promised it.")


@strawberry.type(description="A task that must be done before the customer can start.")
class PreStartTask:
    title: str = strawberry.field(description="The task.")
    owner: str | None = strawberry.field(description="Who does it.")
    due_on: dt.date | None = strawberry.field(description="By when.")
    done: bool = strawberry.field(description="Whether it is done already.")


@strawberry.type(description="What implementation needs.")
class HandoffImplementation:
    pre_start_tasks: list[PreStartTask] = strawberry.field(description="Tasks before the start.")
    integrations: list[str] = strawberry.field(description="Systems to integrate with.")
    data_migration: str | None = strawberry.field(description="Data to migrate, from where, how much.")
    lead_time_days: int | None = strawberry.field(description="Days needed from kickoff to go-live.")


@strawberry.type(description="A risk to the account's success.")
class HandoffRisk:
    description: str = strawberry.field(description="The risk.")
    severity: Level = strawberry.field(description="How bad it would be.")
    mitigation: str | None = strawberry.field(description="What is planned against it.")


@strawberry.type(description="The competitive situation after adoption.")
class HandoffCompetition:
    situation: CompetitiveSituation | None = strawberry.field(description="Single tool or several in parallel.")
    switching_cost: Level | None = strawberry.field(description="How costly it is for the customer to switch away.")
    competitors_in_use: list[str] = strawberry.field(description="Competitors still in use at the customer.")
    notes: str | None = strawberry.field(description="Anything else about competition.")


@strawberry.type(description="The planned dates of the customer's start.")
class HandoffTimeline:
    intro_sent_on: dt.date | None = strawberry.field(description="When sales introduced the CSM to the customer.")
    kickoff_date: dt.date | None = strawberry.field(description="Planned kickoff meeting date.")
    go_live_target_date: dt.date | None = strawberry.field(description="Target go-live date.")
    first_value_milestone: str | None = strawberry.field(description="What first value means for this customer.")
    first_value_target_date: dt.date | None = strawberry.field(description="When first value should be reached.")


@strawberry.type(description="A link to evidence behind the record (call notes, proposal…).")
class EvidenceLink:
    kind: EvidenceKind = strawberry.field(description="What it is.")
    title: str = strawberry.field(description="Its title.")
    url: str = strawberry.field(description="Where it is (http or https).")


@strawberry.type(description="One workflow transition of a handoff: who moved it from which state to which, and when.")
class HandoffEvent:
    actor: str = strawberry.field(description="Who did it: the API key's name and id.")
    actor_role: str = strawberry.field(description="The role the actor acted in (admin, csm, sales).")
    from_state: HandoffState | None = strawberry.field(description="State before; null when the handoff was created.")
    to_state: HandoffState = strawberry.field(description="State after.")
    comment: str | None = strawberry.field(description="The actor's comment (why it was returned…).")
    occurred_at: dt.datetime = strawberry.field(description="When (UTC).")

    @classmethod
    def from_row(cls, row: HandoffEventRow) -> "HandoffEvent":
        return cls(
            actor=row.actor,
            actor_role=row.actor_role,
            from_state=HandoffState(row.from_state) if row.from_state else None,
            to_state=HandoffState(row.to_state),
            comment=row.comment,
            occurred_at=row.occurred_at,
        )


@strawberry.type(
    description="How fast this handoff moved. Hours between stamps; null until both exist. Submit → accept runs "
    "from the first submission, so rework after a return counts."
)
class HandoffSla:
    close_to_submit_hours: float | None = strawberry.field(description="Deal closed → first submitted to CS.")
    submit_to_accept_hours: float | None = strawberry.field(description="First submitted → accepted by a CSM.")
    accept_to_kickoff_hours: float | None = strawberry.field(description="Accepted → kickoff held.")
    time_to_value_days: int | None = strawberry.field(description="Contract start → first value reached, in days.")
    returned_count: int = strawberry.field(description="How many times a CSM returned it to sales.")


def _deal(record: records.HandoffRecord) -> HandoffDeal:
    deal = record.deal
    arr = Money(amount=deal.arr, currency=deal.currency) if deal.arr is not None and deal.currency else None
    return HandoffDeal(
        products=list(deal.products),
        arr=arr,
        contract_start_date=deal.contract_start_date,
        contract_end_date=deal.contract_end_date,
        closed_at=deal.closed_at,
        pricing_terms=deal.pricing_terms,
        discount_percent=deal.discount_percent,
        billing_terms=deal.billing_terms,
        scope=deal.scope,
        out_of_scope=list(deal.out_of_scope),
    )


def _goal(goal: records.Goal) -> HandoffGoal:
    criterion = goal.success_criterion
    return HandoffGoal(
        outcome=goal.outcome,
        success_criterion=HandoffSuccessCriterion(**criterion.model_dump()) if criterion else None,
        measurable=goal.is_measurable(),
    )


def _stakeholder(person: records.Stakeholder) -> Stakeholder:
    return Stakeholder(
        contact_id=person.contact_id,
        name=person.name,
        role=StakeholderRole(person.role),
        decides=person.deciding(),
        uses=person.using(),
        notes=person.notes,
    )


async def _handoff_account(root: "Handoff", info: strawberry.Info[Context]) -> LazyAccount:
    row = await info.context.batch(account_queries.accounts_by_id).load((root.account_id, None))
    if row is None:  # the foreign key cascades: a handoff without its account cannot be read
        raise LookupError(f"account {root.account_id} of handoff {root.handoff_id} is gone")
    return account_from_row(row)


async def _handoff_contract(root: "Handoff", info: strawberry.Info[Context]) -> Contract | None:
    if root.contract_id is None:
        return None
    row = await info.context.batch(contract_queries.contracts_by_ids).load((root.contract_id, None))
    return Contract.from_row(row) if row else None


async def _handoff_events(root: "Handoff", info: strawberry.Info[Context]) -> list[HandoffEvent]:
    return [
        HandoffEvent.from_row(row)
        for row in await info.context.batch(queries.events_of_handoffs, list).load((root.handoff_id, None))
    ]


@strawberry.type(description="A sales-to-CSM handoff: the structured record of a closed deal and its workflow.")
class Handoff(Node):
    state: HandoffState = strawberry.field(description="Where it is in the workflow.")
    version: int = strawberry.field(
        description="Increases with every change; send it back as `expectedVersion` so a stale edit is refused."
    )
    opportunity_ref: str | None = strawberry.field(description="The CRM opportunity this deal closed as.")
    sales_owner: str | None = strawberry.field(description="The account executive who sold it.")
    csm_owner: str | None = strawberry.field(description="The CSM it is handed to.")
    deal: HandoffDeal = strawberry.field(description="The deal: products, ARR, dates, pricing, billing, scope.")
    why_they_bought: WhyTheyBought = strawberry.field(description="Trigger, pains, alternatives, why we won.")
    goals: list[HandoffGoal] = strawberry.field(description="The customer's goals with their success criteria.")
    stakeholders: list[Stakeholder] = strawberry.field(description="Who decides and who uses.")
    promises: list[HandoffPromise] = strawberry.field(description="Promises and commitments made in the sale.")
    implementation: HandoffImplementation = strawberry.field(description="Pre-start tasks, integrations, migration.")
    risks: list[HandoffRisk] = strawberry.field(description="Risks to success.")
    sensitivities: str | None = strawberry.field(description="Sensitivities the CSM must handle with care.")
    competition: HandoffCompetition = strawberry.field(description="Competition and switching cost after adoption.")
    timeline: HandoffTimeline = strawberry.field(description="Intro, kickoff, go-live and first-value dates.")
    evidence: list[EvidenceLink] = strawberry.field(description="Links to call notes, the proposal and the like.")
    missing_for_submit: list[str] = strawberry.field(
        description="What still blocks submitting (input paths); empty when it may be submitted."
    )
    created_by: str | None = strawberry.field(description="Who created it (API key name and id).")
    created_at: dt.datetime = strawberry.field(description="When it was created (UTC).")
    updated_at: dt.datetime = strawberry.field(description="When it last changed (UTC).")
    submitted_at: dt.datetime | None = strawberry.field(description="When it was first submitted (UTC).")
    accepted_at: dt.datetime | None = strawberry.field(description="When a CSM accepted it (UTC).")
    kickoff_held_at: dt.datetime | None = strawberry.field(description="When the kickoff was recorded as held (UTC).")
    first_value_on: dt.date | None = strawberry.field(description="The day the customer first got value.")
    cancelled_at: dt.datetime | None = strawberry.field(description="When it was cancelled (UTC).")
    sla: HandoffSla = strawberry.field(description="How fast it moved (hours between stamps, TtV in days).")
    handoff_id: strawberry.Private[uuid.UUID]
    account_id: strawberry.Private[uuid.UUID]
    contract_id: strawberry.Private[uuid.UUID | None]

    account: LazyAccount = strawberry.field(resolver=_handoff_account, description="The customer.")
    contract: Contract | None = strawberry.field(
        resolver=_handoff_contract, description="The signed contract this deal became, once linked."
    )
    events: list[HandoffEvent] = strawberry.field(
        resolver=_handoff_events, description="Every workflow transition, oldest first."
    )

    @classmethod
    def from_row(cls, row: HandoffRow) -> "Handoff":
        record = record_of(row)
        return cls(
            id=encode_global_id(HANDOFF_TYPE_NAME, row.id),
            handoff_id=row.id,
            account_id=row.account_id,
            contract_id=row.contract_id,
            state=HandoffState(row.state),
            version=row.version,
            opportunity_ref=row.opportunity_ref,
            sales_owner=row.sales_owner,
            csm_owner=row.csm_owner,
            deal=_deal(record),
            why_they_bought=WhyTheyBought(**record.why_they_bought.model_dump()),
            goals=[_goal(goal) for goal in record.goals],
            stakeholders=[_stakeholder(person) for person in record.stakeholders],
            promises=[
                HandoffPromise(
                    kind=PromiseKind(p.kind), description=p.description, due_on=p.due_on, promised_by=p.promised_by
                )
                for p in record.promises
            ],
            implementation=HandoffImplementation(
                pre_start_tasks=[PreStartTask(**task.model_dump()) for task in record.implementation.pre_start_tasks],
                integrations=list(record.implementation.integrations),
                data_migration=record.implementation.data_migration,
                lead_time_days=record.implementation.lead_time_days,
            ),
            risks=[
                HandoffRisk(description=r.description, severity=Level(r.severity), mitigation=r.mitigation)
                for r in record.risks
            ],
            sensitivities=record.sensitivities,
            competition=HandoffCompetition(
                situation=CompetitiveSituation(record.competition.situation) if record.competition.situation else None,
                switching_cost=Level(record.competition.switching_cost) if record.competition.switching_cost else None,
                competitors_in_use=list(record.competition.competitors_in_use),
                notes=record.competition.notes,
            ),
            timeline=HandoffTimeline(**record.timeline.model_dump()),
            evidence=[EvidenceLink(kind=EvidenceKind(e.kind), title=e.title, url=e.url) for e in record.evidence],
            missing_for_submit=list(records.missing_for_submit(record)),
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            submitted_at=row.submitted_at,
            accepted_at=row.accepted_at,
            kickoff_held_at=row.kickoff_held_at,
            first_value_on=row.first_value_on,
            cancelled_at=row.cancelled_at,
            sla=HandoffSla(
                close_to_submit_hours=row.close_to_submit_hours,
                submit_to_accept_hours=row.submit_to_accept_hours,
                accept_to_kickoff_hours=row.accept_to_kickoff_hours,
                time_to_value_days=row.time_to_value_days,
                returned_count=row.returned_count,
            ),
        )


@strawberry.type(description="A handoff and its cursor in a connection.")
class HandoffEdge:
    node: Handoff = strawberry.field(description="The handoff.")
    cursor: str = strawberry.field(description="Opaque cursor; pass it as `after` to continue after this item.")


def handoff_edge(row: HandoffRow) -> HandoffEdge:
    return HandoffEdge(node=Handoff.from_row(row), cursor=encode_cursor((row.created_at.isoformat(), row.id)))


async def _total_handoffs(root: "HandoffConnection", info: strawberry.Info[Context]) -> int:
    async with info.context.read() as conn:
        return await queries.count_handoffs(conn, root.filter)


@strawberry.type(description="A page of handoffs, newest first (Relay connection).")
class HandoffConnection:
    edges: list[HandoffEdge] = strawberry.field(description="The handoffs of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Pagination state of this page.")
    filter: strawberry.Private[HandoffFilter]
    total_count: int = strawberry.field(
        resolver=_total_handoffs,
        description="Number of handoffs over all pages (same filter); costs an extra count, so ask only when needed.",
    )


@strawberry.type(
    description="SLA figures over a set of handoffs: counts, and the median and mean of each interval "
    "(handoffs without both stamps of an interval do not count in it)."
)
class HandoffSlaSummary:
    handoffs: int = strawberry.field(description="Handoffs selected.")
    submitted: int = strawberry.field(description="Of those, submitted at least once.")
    accepted: int = strawberry.field(description="Of those, accepted by a CSM.")
    returned_at_least_once: int = strawberry.field(description="Of those, returned to sales at least once.")
    returned_rate: float | None = strawberry.field(
        description="returnedAtLeastOnce / submitted; null when none was submitted."
    )
    median_close_to_submit_hours: float | None = strawberry.field(description="Median hours, close → submit.")
    median_submit_to_accept_hours: float | None = strawberry.field(description="Median hours, submit → accept.")
    median_accept_to_kickoff_hours: float | None = strawberry.field(description="Median hours, accept → kickoff.")
    median_time_to_value_days: float | None = strawberry.field(description="Median days, contract start → first value.")
    mean_close_to_submit_hours: float | None = strawberry.field(description="Mean hours, close → submit.")
    mean_submit_to_accept_hours: float | None = strawberry.field(description="Mean hours, submit → accept.")
    mean_accept_to_kickoff_hours: float | None = strawberry.field(description="Mean hours, accept → kickoff.")
    mean_time_to_value_days: float | None = strawberry.field(description="Mean days, contract start → first value.")
