"""GraphQL inputs of the account list (``accounts(filter:, orderBy:)``) and their validation into listing terms."""

import re
from datetime import date
from decimal import Decimal
from enum import Enum

import strawberry

from service.accounts.enums import LifecycleStage, Segment, TouchModel
from service.customer360.listing import Criteria, Ordering, SortKey
from service.customer360.types import ACCOUNT_TYPE_NAME
from service.errors import InvalidInput
from service.graphql.relay import decode_typed_id
from service.health_scores.types import HealthBand

MAX_SEARCH_LENGTH = 200
_CURRENCY = re.compile(r"[A-Z]{3}")


@strawberry.input(description="A window of days [from, to): `from` included, `to` excluded; either end may be open.")
class DateWindow:
    from_: date | None = strawberry.field(default=None, name="from", description="First day in the window.")
    to: date | None = strawberry.field(default=None, description="First day after the window (excluded).")


@strawberry.input(
    description="An ARR range [min, max] in one currency (both ends included; either may be open). An account "
    "with no active lines in that currency has ARR 0 in it."
)
class ArrRange:
    min: Decimal | None = strawberry.field(default=None, description="Lowest ARR, e.g. `12000`.")
    max: Decimal | None = strawberry.field(default=None, description="Highest ARR.")
    currency: str = strawberry.field(default="USD", description="ISO 4217 code of the amounts; default USD.")


@strawberry.input(
    description="Narrow the account list. Conditions combine with AND; inside a list, any value matches (an "
    "empty list matches nothing). Text values match exactly."
)
class AccountFilter:
    segment: list[Segment] | None = strawberry.field(default=None, description="Only these segments.")
    industry: list[str] | None = strawberry.field(default=None, description="Only these industries.")
    lifecycle_stage: list[LifecycleStage] | None = strawberry.field(
        default=None, description="Only these lifecycle stages."
    )
    touch_model: list[TouchModel] | None = strawberry.field(default=None, description="Only these touch models.")
    csm_owner: list[str] | None = strawberry.field(
        default=None, description="Only accounts owned by these CSMs (a CSM's portfolio)."
    )
    sales_owner: list[str] | None = strawberry.field(
        default=None, description="Only accounts of these account executives."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the direct subsidiaries of this account (its global id)."
    )
    has_parent: bool | None = strawberry.field(
        default=None, description="true: only subsidiaries; false: only top-level companies."
    )
    renewal_date: DateWindow | None = strawberry.field(
        default=None,
        description="Only accounts whose next renewal date (the `renewalDate` field, as of today) falls in this "
        "window; accounts without one are left out.",
    )
    arr: ArrRange | None = strawberry.field(default=None, description="Only accounts whose ARR today is in range.")
    health_band: list[HealthBand] | None = strawberry.field(
        default=None,
        description="Only accounts whose latest `healthScore` score is in these bands (accounts never scored, or "
        "without enough data, are left out).",
    )
    health_score: str = strawberry.field(default="overall", description="The score `healthBand` looks at.")
    search: str | None = strawberry.field(
        default=None,
        description=f"Case-insensitive substring of the name or the domain (at most {MAX_SEARCH_LENGTH} "
        "characters); blank means no search.",
    )


@strawberry.enum(description="What the account list is sorted by; ties are broken by id, so pages are stable.")
class AccountOrderField(Enum):
    NAME = strawberry.enum_value("name", description="By name.")
    ARR = strawberry.enum_value("arr", description="By ARR today, in the order's currency.")
    RENEWAL_DATE = strawberry.enum_value("renewal_date", description="By the next renewal date.")
    CREATED_AT = strawberry.enum_value("created_at", description="By when cshub first recorded the account.")


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("asc", description="Ascending: A to Z, smallest first, earliest first.")
    DESC = strawberry.enum_value("desc", description="Descending: Z to A, largest first, latest first.")


@strawberry.input(description="The order of the account list.")
class AccountOrder:
    field: AccountOrderField = strawberry.field(
        description="NAME; ARR today (accounts without revenue count as 0); RENEWAL_DATE, the next renewal "
        "(accounts without one come last in both directions); CREATED_AT, when cshub first recorded the account."
    )
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="Default ASC.")
    currency: str = strawberry.field(default="USD", description="Currency of the ARR ordering; default USD.")


def _currency(value: str, where: str) -> str:
    code = value.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise InvalidInput(f"{where}: {value!r} is not an ISO 4217 currency code such as USD")
    return code


def _values(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def _enum_values(values: list[Segment] | list[LifecycleStage] | list[TouchModel] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(str(value.value) for value in values)


def _search(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    if len(text) > MAX_SEARCH_LENGTH:
        raise InvalidInput(f"filter.search: at most {MAX_SEARCH_LENGTH} characters, got {len(text)}")
    return text.strip()


def criteria_from(chosen: AccountFilter | None) -> Criteria:
    """The filter as listing criteria; contradictions (a window ending before it starts…) are clear errors."""
    if chosen is None:
        return Criteria()
    window = chosen.renewal_date or DateWindow()
    if window.from_ is not None and window.to is not None and window.to <= window.from_:
        raise InvalidInput(f"filter.renewalDate: `to` ({window.to}) must be after `from` ({window.from_})")
    arr = chosen.arr or ArrRange()
    if arr.min is not None and arr.max is not None and arr.max < arr.min:
        raise InvalidInput(f"filter.arr: `max` ({arr.max}) must not be below `min` ({arr.min})")
    return Criteria(
        segments=_enum_values(chosen.segment),
        industries=_values(chosen.industry),
        lifecycle_stages=_enum_values(chosen.lifecycle_stage),
        touch_models=_enum_values(chosen.touch_model),
        csm_owners=_values(chosen.csm_owner),
        sales_owners=_values(chosen.sales_owner),
        parent_id=decode_typed_id(chosen.parent_id, ACCOUNT_TYPE_NAME) if chosen.parent_id is not None else None,
        has_parent=chosen.has_parent,
        renewal_from=window.from_,
        renewal_to=window.to,
        arr_min=arr.min,
        arr_max=arr.max,
        arr_currency=_currency(arr.currency, "filter.arr.currency"),
        search=_search(chosen.search),
        health_bands=None if chosen.health_band is None else tuple(str(band.value) for band in chosen.health_band),
        health_score=chosen.health_score,
    )


def ordering_from(order: AccountOrder | None) -> Ordering:
    if order is None:
        return Ordering()
    return Ordering(
        key=SortKey(order.field.value),
        descending=order.direction is OrderDirection.DESC,
        currency=_currency(order.currency, "orderBy.currency"),
    )
