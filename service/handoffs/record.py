"""The handoff record: what sales knows about a closed deal, validated as one document.

Groups (deal, why they bought, goals, stakeholders, promises, implementation, risks, competition,
timeline, evidence) are plain pydantic models. The scalar facts the workflow and SLA figures need
(ARR, currency, contract dates, close time, kickoff and go-live dates, owners) are stored in columns
of ``handoffs``; the rest is the JSONB ``details`` document, written only after it validated here.

``missing_for_submit`` is the submit gate: every field a CSM cannot start without, all listed at once.
"""

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from service.errors import InvalidInput
from service.input_bounds import Dated, within_calendar

MAX_TEXT = 2_000
MAX_LONG_TEXT = 10_000
MAX_ITEMS = 50


def _clean(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_clean)]
LongText = Annotated[str, Field(max_length=MAX_LONG_TEXT), AfterValidator(_clean)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)]
Measure = Annotated[Decimal, Field(max_digits=18, decimal_places=4, allow_inf_nan=False)]
# Read back from a stored row, a record is validated with this context: dates accepted when it was written
# (before the calendar was narrowed to service.input_bounds) stay readable instead of failing every read.
STORED: dict[str, bool] = {"stored": True}


def _in_calendar(value: Dated, info: ValidationInfo) -> Dated:
    return value if info.context and info.context.get("stored") else within_calendar(value)


Day = Annotated[dt.date, AfterValidator(_in_calendar)]


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("must be a 3-letter ISO 4217 code in capitals, like USD")
    return value


def _http_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", value, flags=re.IGNORECASE):
        raise ValueError("must be an http:// or https:// link")
    return value


Url = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_clean), AfterValidator(_http_url)]


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Deal(Part):
    products: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)
    arr: Amount | None = None
    currency: Annotated[str, AfterValidator(_currency)] | None = None
    contract_start_date: Day | None = None
    contract_end_date: Day | None = None  # exclusive, like contracts.end_date
    closed_at: dt.datetime | None = None
    pricing_terms: LongText | None = None
    discount_percent: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, allow_inf_nan=False)] | None = None
    billing_terms: LongText | None = None
    scope: LongText | None = None
    out_of_scope: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)

    @field_validator("contract_end_date")
    @classmethod
    def _ends_after_start(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("contract_start_date")
        if start is not None and end is not None and end <= start:
            raise ValueError("must be after contractStartDate (the end is exclusive)")
        return end

    @field_validator("closed_at")
    @classmethod
    def _zoned(cls, closed_at: dt.datetime | None, info: ValidationInfo) -> dt.datetime | None:
        if closed_at is not None and closed_at.tzinfo is None:
            raise ValueError("needs a time zone (e.g. `2026-11-02T15:00:00Z`)")
        # Near year 1 or 9999 the UTC value PostgreSQL stores would not fit a datetime.
        return _in_calendar(closed_at, info) if closed_at is not None else None


class WhyTheyBought(Part):
    trigger_event: LongText | None = None
    pain_points: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)
    alternatives_evaluated: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)
    why_we_won: LongText | None = None


# A goal's criterion is measurable when it has all of these (the submit gate needs one such goal).
MEASURABLE_PARTS = ("metric", "baseline", "target", "due_on")


class SuccessCriterion(Part):
    metric: Text | None = None
    unit: Text | None = None
    baseline: Measure | None = None
    target: Measure | None = None
    due_on: Day | None = None

    def missing(self) -> list[str]:
        return [name for name in MEASURABLE_PARTS if getattr(self, name) is None]


class Goal(Part):
    outcome: Text
    success_criterion: SuccessCriterion | None = None

    def is_measurable(self) -> bool:
        return self.success_criterion is not None and not self.success_criterion.missing()


StakeholderRole = Literal[
    "economic_buyer", "decision_maker", "champion", "admin", "end_user", "technical", "billing", "other"
]
STAKEHOLDER_ROLES: tuple[str, ...] = get_args(StakeholderRole)
DECIDING_ROLES = ("economic_buyer", "decision_maker")
USING_ROLES = ("champion", "admin", "end_user")


class Stakeholder(Part):
    contact_id: uuid.UUID | None = None
    name: Text | None = None
    role: StakeholderRole
    decides: bool | None = None  # default: from the role (buyer, decision maker)
    uses: bool | None = None  # default: from the role (champion, admin, end user)
    notes: LongText | None = None

    @model_validator(mode="after")
    def _named(self) -> "Stakeholder":
        if self.contact_id is None and self.name is None:
            raise ValueError("give a contactId (a contact of the account) or a name")
        return self

    def deciding(self) -> bool:
        return self.decides if self.decides is not None else self.role in DECIDING_ROLES

    def using(self) -> bool:
        return self.uses if self.uses is not None else self.role in USING_ROLES


class Promise(Part):
    kind: Literal["feature", "roadmap_item", "custom_work", "sla", "date", "other"]
    description: LongText
    due_on: Day | None = None
    promised_by: Text | None = None


class PreStartTask(Part):
    title: Text
    owner: Text | None = None
    due_on: Day | None = None
    done: bool = False


class Implementation(Part):
    pre_start_tasks: list[PreStartTask] = Field(default_factory=list, max_length=MAX_ITEMS)
    integrations: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)
    data_migration: LongText | None = None
    lead_time_days: Annotated[int, Field(ge=0, le=3650)] | None = None


class Risk(Part):
    description: LongText
    severity: Literal["low", "medium", "high"] = "medium"
    mitigation: LongText | None = None


class Competition(Part):
    situation: Literal["single_tool", "parallel_tools", "replacing_incumbent", "unknown"] | None = None
    switching_cost: Literal["low", "medium", "high"] | None = None
    competitors_in_use: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)
    notes: LongText | None = None


class Timeline(Part):
    intro_sent_on: Day | None = None
    kickoff_date: Day | None = None
    go_live_target_date: Day | None = None
    first_value_milestone: Text | None = None
    first_value_target_date: Day | None = None


class Evidence(Part):
    kind: Literal["call_notes", "proposal", "contract", "demo", "email", "other"]
    title: Text
    url: Url


class HandoffRecord(Part):
    """The whole record; a group left out is empty."""

    contract_id: uuid.UUID | None = None
    opportunity_ref: Text | None = None
    sales_owner: Text | None = None
    csm_owner: Text | None = None
    deal: Deal = Field(default_factory=lambda: Deal.model_validate({}))
    why_they_bought: WhyTheyBought = Field(default_factory=lambda: WhyTheyBought.model_validate({}))
    goals: list[Goal] = Field(default_factory=list, max_length=MAX_ITEMS)
    stakeholders: list[Stakeholder] = Field(default_factory=list, max_length=MAX_ITEMS)
    promises: list[Promise] = Field(default_factory=list, max_length=MAX_ITEMS)
    implementation: Implementation = Field(default_factory=lambda: Implementation.model_validate({}))
    risks: list[Risk] = Field(default_factory=list, max_length=MAX_ITEMS)
    sensitivities: LongText | None = None
    competition: Competition = Field(default_factory=lambda: Competition.model_validate({}))
    timeline: Timeline = Field(default_factory=lambda: Timeline.model_validate({}))
    evidence: list[Evidence] = Field(default_factory=list, max_length=MAX_ITEMS)


# The groups a caller may replace one by one (an update sends only the groups it changes).
GROUPS = tuple(HandoffRecord.model_fields)

# Group fields that live in columns of ``handoffs``; everything else is the ``details`` document.
COLUMN_FIELDS = ("contract_id", "opportunity_ref", "sales_owner", "csm_owner")
DEAL_COLUMNS = ("arr", "currency", "contract_start_date", "contract_end_date", "closed_at")
TIMELINE_COLUMNS = ("kickoff_date", "go_live_target_date")


def camel(path: str) -> str:
    head, *rest = path.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# The record keeps the deal's ARR and its currency side by side; the API takes and gives them as one Money
# (``deal.arr { amount currency }``): where the record says one, the API's path is this.
MONEY_PATHS = {("deal", "arr"): "deal.arr.amount", ("deal", "currency"): "deal.arr.currency"}


def _where(location: tuple[int | str, ...]) -> str:
    if location[:2] in MONEY_PATHS:
        return ".".join([MONEY_PATHS[location[:2]], *(str(part) for part in location[2:])])  # type: ignore[index]
    return ".".join(camel(part) if isinstance(part, str) else str(part) for part in location)


def validated(document: dict[str, Any]) -> HandoffRecord:
    """The record, or InvalidInput listing every problem with its path (``goals.0.outcome: …``)."""
    try:
        return HandoffRecord.model_validate(document)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _where(tuple(part for part in error["loc"] if not str(part).startswith("function-")))
            message = "required" if error["type"] == "missing" else str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise InvalidInput("invalid handoff: " + "; ".join(problems)) from None


# The submit gate, in the order it reports: a measurable goal, a deciding stakeholder, then the fields required.
NO_MEASURABLE_GOAL = "goals (at least one goal with a success criterion: metric, baseline, target, dueOn)"
NO_DECIDER = "stakeholders (a DECISION_MAKER or ECONOMIC_BUYER)"
REQUIRED_FIELDS: tuple[tuple[str, str], ...] = (
    *(("deal", name) for name in ("arr", "currency", "contract_start_date", "pricing_terms", "billing_terms")),
    ("timeline", "kickoff_date"),
)
# Reported only when the other is there: without an ARR at all, `deal.arr` (amount and currency) says it.
ONLY_WITH: dict[tuple[str, str], tuple[str, str]] = {("deal", "currency"): ("deal", "arr")}


def missing_for_submit(record: HandoffRecord) -> tuple[str, ...]:
    """Every field a handoff lacks before it may be submitted, as input paths; empty when it may."""
    missing: list[str] = []
    if not any(goal.is_measurable() for goal in record.goals):
        missing.append(NO_MEASURABLE_GOAL)
    if not any(person.role in DECIDING_ROLES for person in record.stakeholders):
        missing.append(NO_DECIDER)
    for group, name in REQUIRED_FIELDS:
        needs = ONLY_WITH.get((group, name))
        if getattr(getattr(record, group), name) is None and (
            needs is None or getattr(getattr(record, needs[0]), needs[1]) is not None
        ):
            missing.append(required_path(group, name))
    return tuple(missing)


def required_path(group: str, name: str) -> str:
    """How the gate names a missing field: its input path (``deal.pricingTerms``; the ARR ``deal.arr`` and,
    when only its currency is missing, ``deal.arr.currency``)."""
    if (group, name) == ("deal", "arr"):
        return "deal.arr"
    return MONEY_PATHS.get((group, name), f"{group}.{camel(name)}")


def column_values(record: HandoffRecord) -> dict[str, Any]:
    """The ``handoffs`` columns of a record: its scalar facts, plus the rest as the ``details`` document."""
    document = record.model_dump(mode="json")
    values: dict[str, Any] = {name: getattr(record, name) for name in COLUMN_FIELDS}
    values |= {name: getattr(record.deal, name) for name in DEAL_COLUMNS}
    values |= {name: getattr(record.timeline, name) for name in TIMELINE_COLUMNS}
    for name in COLUMN_FIELDS:
        del document[name]
    for name in DEAL_COLUMNS:
        del document["deal"][name]
    for name in TIMELINE_COLUMNS:
        del document["timeline"][name]
    values["details"] = document
    return values


def record_from(columns: Any, details: dict[str, Any]) -> HandoffRecord:
    """The record back from a stored row (``columns`` has the column attributes, ``details`` the document)."""
    document: dict[str, Any] = {**details, **{name: getattr(columns, name) for name in COLUMN_FIELDS}}
    document["deal"] = {**details.get("deal", {}), **{name: getattr(columns, name) for name in DEAL_COLUMNS}}
    document["timeline"] = {
        **details.get("timeline", {}),
        **{name: getattr(columns, name) for name in TIMELINE_COLUMNS},
    }
    return HandoffRecord.model_validate(document, context=STORED)
