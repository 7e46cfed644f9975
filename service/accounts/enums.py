"""The account profile's enumerations, shared by the Account type and the account filter."""

from enum import Enum

import strawberry


@strawberry.enum(description="Customer size segment; scorecards and KPIs are configured per segment.")
class Segment(Enum):
    ENTERPRISE = strawberry.enum_value("enterprise", description="Large companies, typically high-touch.")
    MID_MARKET = strawberry.enum_value("mid_market", description="Mid-sized companies.")
    SMB = strawberry.enum_value("smb", description="Small and medium businesses, typically low- or tech-touch.")
    STARTUP = strawberry.enum_value("startup", description="Early-stage companies.")


@strawberry.enum(description="Where the customer is in its lifecycle.")
class LifecycleStage(Enum):
    PROSPECT = strawberry.enum_value("prospect", description="Not a paying customer yet.")
    ONBOARDING = strawberry.enum_value(
        "onboarding", description="Signed; being set up and trained, before first value."
    )
    ADOPTION = strawberry.enum_value("adoption", description="Live; growing usage towards the goals of the deal.")
    EXPANSION = strawberry.enum_value("expansion", description="Established; candidates for upsell and cross-sell.")
    RENEWAL = strawberry.enum_value("renewal", description="In the renewal window.")
    CHURNED = strawberry.enum_value("churned", description="No longer a customer.")


@strawberry.enum(description="How the CS team engages: HIGH 1:1, LOW 1:n, TECH automated.")
class TouchModel(Enum):
    HIGH = strawberry.enum_value("high", description="High touch: a named CSM works 1:1 with the customer.")
    LOW = strawberry.enum_value(
        "low", description="Low touch: 1:n programmes (webinars, office hours) with a pooled CSM team."
    )
    TECH = strawberry.enum_value("tech", description="Tech touch: automated, digital-only engagement.")
