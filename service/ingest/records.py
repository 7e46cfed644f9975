"""The record shapes each source pushes, one pydantic model per ingest entity.

Models validate and normalise (strip, lower-case enumerations, domains and e-mails, money to two
decimals) so that everything past this module can trust its input. Unknown fields are refused rather
than silently dropped: a typo in a field name must not lose data.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from service.accounts.web_domains import normalize_domain
from service.ingest.normalize import normalize_email
from service.input_bounds import within_calendar


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


ExternalId = Annotated[str, Field(min_length=1, max_length=255)]
Text = Annotated[str, Field(max_length=10_000)]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]
Domain = Annotated[str, Field(max_length=300), AfterValidator(normalize_domain)]
Email = Annotated[str, Field(max_length=320), AfterValidator(normalize_email)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
# Dates and times in the one supported calendar (service.input_bounds): near year 1 or 9999 a UTC time does not
# fit a Python datetime and a date becomes PostgreSQL's -infinity/infinity.
Day = Annotated[dt.date, AfterValidator(within_calendar)]
Timestamp = Annotated[AwareDatetime, AfterValidator(within_calendar)]


# Enumerations compare case-insensitively: "Active" is accepted as "active".
LOWER = BeforeValidator(_lower)

Segment = Annotated[Literal["enterprise", "mid_market", "smb", "startup"], LOWER]
LifecycleStage = Annotated[Literal["prospect", "onboarding", "adoption", "expansion", "renewal", "churned"], LOWER]
TouchModel = Annotated[Literal["high", "low", "tech"], LOWER]
ContactRole = Annotated[
    Literal["decision_maker", "economic_buyer", "champion", "admin", "user", "billing", "technical", "other"], LOWER
]
ContractStatus = Annotated[Literal["draft", "active", "ended", "cancelled"], LOWER]
ContractKind = Annotated[Literal["new", "renewal", "expansion"], LOWER]
TicketStatus = Annotated[Literal["new", "open", "pending", "on_hold", "solved", "closed"], LOWER]
TicketPriority = Annotated[Literal["low", "normal", "high", "urgent"], LOWER]
TicketCategory = Annotated[Literal["bug", "question", "feature_request", "incident", "billing", "other"], LOWER]
SurveyKind = Annotated[Literal["nps", "csat"], LOWER]
TimelineKind = Annotated[
    Literal[
        "meeting", "qbr", "call", "email", "note", "kickoff", "onboarding", "escalation", "renewal", "handoff", "other"
    ],
    LOWER,
]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _not_before(earlier: str) -> Any:
    """A field validator: this timestamp/date may not precede the ``earlier`` field of the record."""

    def check(value: Any, info: ValidationInfo) -> Any:
        start = info.data.get(earlier)
        if value is not None and start is not None and value < start:
            raise ValueError(f"must not be before {earlier} ({start.isoformat()})")
        return value

    return check


class AccountRecord(Record):
    """A company as a source knows it. The first source to create an account owns its profile fields;
    other sources that match it fill only the fields still empty."""

    external_id: ExternalId
    name: ShortText
    domain: Domain | None = None
    industry: ShortText | None = None
    segment: Segment | None = None
    lifecycle_stage: LifecycleStage | None = None
    touch_model: TouchModel | None = None
    csm_owner: ShortText | None = None
    sales_owner: ShortText | None = None
    parent_external_id: ExternalId | None = None
    updated_at: Timestamp | None = None

    @field_validator("parent_external_id")
    @classmethod
    def _not_own_parent(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value == info.data.get("external_id"):
            raise ValueError("an account cannot be its own parent")
        return value


class AccountReference(Record):
    """Records that belong to an account name it by this source's id for it, or by its domain."""

    account_external_id: ExternalId | None = None
    account_domain: Domain | None = None

    @model_validator(mode="after")
    def _names_an_account(self) -> "AccountReference":
        if self.account_external_id is None and self.account_domain is None:
            raise ValueError("give account_external_id or account_domain so the record can be matched to an account")
        return self


class ContactRecord(AccountReference):
    external_id: ExternalId
    name: ShortText | None = None
    email: Email | None = None
    phone: ShortText | None = None
    title: ShortText | None = None
    role: ContactRole | None = None
    updated_at: Timestamp | None = None


class ContractLineRecord(Record):
    product: ShortText
    quantity: int = Field(default=1, ge=0, le=10_000_000)
    unit_price: Money | None = None
    mrr: Money | None = None
    start_date: Day | None = None
    end_date: Day | None = None

    _end_after_start = field_validator("end_date")(_not_before("start_date"))

    @model_validator(mode="after")
    def _priced(self) -> "ContractLineRecord":
        if self.mrr is None and self.unit_price is None:
            raise ValueError("give mrr or unit_price (mrr is then quantity × unit_price)")
        if self.end_date is not None and self.start_date is not None and self.end_date == self.start_date:
            raise ValueError("end_date is exclusive and must be after start_date")
        return self

    @property
    def line_mrr(self) -> Decimal:
        if self.mrr is not None:
            return self.mrr
        assert self.unit_price is not None
        return (self.unit_price * self.quantity).quantize(Decimal("0.01"))


class ContractRecord(AccountReference):
    external_id: ExternalId
    status: ContractStatus
    start_date: Day
    end_date: Day | None = None
    renewal_date: Day | None = None
    auto_renew: bool = False
    currency: Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{3}$")] = "USD"
    kind: ContractKind | None = None
    lines: list[ContractLineRecord] = Field(default_factory=list, max_length=500)
    updated_at: Timestamp | None = None

    @field_validator("end_date")
    @classmethod
    def _end_after_start(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and value <= start:
            raise ValueError(f"end_date is exclusive and must be after start_date ({start.isoformat()})")
        return value


class TicketRecord(AccountReference):
    external_id: ExternalId
    subject: Text | None = None
    status: TicketStatus
    priority: TicketPriority | None = None
    category: TicketCategory | None = None
    opened_at: Timestamp
    first_response_at: Timestamp | None = None
    solved_at: Timestamp | None = None
    csat: int | None = Field(default=None, ge=1, le=5)
    updated_at: Timestamp | None = None

    _response_after_open = field_validator("first_response_at")(_not_before("opened_at"))
    _solved_after_open = field_validator("solved_at")(_not_before("opened_at"))


class UsageEventRecord(AccountReference):
    event_id: ExternalId
    user_id: ExternalId | None = None
    event: Annotated[str, Field(min_length=1, max_length=200)]
    occurred_at: Timestamp
    value: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)


class SurveyResponseRecord(AccountReference):
    external_id: ExternalId
    contact_email: Email | None = None
    kind: SurveyKind
    score: int
    comment: Text | None = None
    responded_at: Timestamp
    updated_at: Timestamp | None = None

    @field_validator("score")
    @classmethod
    def _in_scale(cls, value: int, info: ValidationInfo) -> int:
        low, high = (1, 5) if info.data.get("kind") == "csat" else (0, 10)
        if not low <= value <= high:
            raise ValueError(f"{info.data.get('kind', 'nps')} scores run from {low} to {high}")
        return value


class TimelineEventRecord(AccountReference):
    external_id: ExternalId
    kind: TimelineKind
    occurred_at: Timestamp
    summary: Annotated[str, Field(min_length=1, max_length=10_000)]
    actor: ShortText | None = None
    updated_at: Timestamp | None = None
