"""The account profile's enumerations, shared by the Account type and the account filter."""

from enum import Enum

import strawberry


@strawberry.enum(description="Customer size segment; scorecards and KPIs are configured per segment.")
class Segment(Enum):
    ENTERPRISE = "enterprise"
    MID_MARKET = "mid_market"
    SMB = "smb"
    STARTUP = "startup"


@strawberry.enum(description="Where the customer is in its lifecycle.")
class LifecycleStage(Enum):
    PROSPECT = "prospect"
    ONBOARDING = "onboarding"
    ADOPTION = "adoption"
    EXPANSION = "expansion"
    RENEWAL = "renewal"
    CHURNED = "churned"


@strawberry.enum(description="How the CS team engages: HIGH 1:1, LOW 1:n, TECH automated.")
class TouchModel(Enum):
    HIGH = "high"
    LOW = "low"
    TECH = "tech"
