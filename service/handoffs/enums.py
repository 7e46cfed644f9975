"""The handoff record's GraphQL enumerations, shared by its input and output types (values as stored)."""

from enum import Enum

import strawberry


@strawberry.enum(description="Where a handoff is in the sales-to-CSM workflow.")
class HandoffState(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Sales is writing it; editable by its author.")
    SUBMITTED = strawberry.enum_value("SUBMITTED", description="Handed to customer success; waiting for a CSM.")
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="A CSM took it over; goals are the success plan now.")
    RETURNED = strawberry.enum_value("RETURNED", description="Sent back to sales with a comment; editable again.")
    KICKOFF_HELD = strawberry.enum_value("KICKOFF_HELD", description="The kickoff with the customer took place.")
    FIRST_VALUE_REACHED = strawberry.enum_value(
        "FIRST_VALUE_REACHED", description="The customer got first value (time to value ends here). Final."
    )
    CANCELLED = strawberry.enum_value("CANCELLED", description="Abandoned (deal fell through, duplicate). Final.")


@strawberry.enum(description="A stakeholder's part in the deal: who decides and who uses.")
class StakeholderRole(Enum):
    ECONOMIC_BUYER = strawberry.enum_value("economic_buyer", description="Owns the budget; decides.")
    DECISION_MAKER = strawberry.enum_value("decision_maker", description="Makes the decision; decides.")
    CHAMPION = strawberry.enum_value("champion", description="Drives the product inside the customer.")
    ADMIN = strawberry.enum_value("admin", description="Day-to-day administrator of the product.")
    END_USER = strawberry.enum_value("end_user", description="Uses the product.")
    TECHNICAL = strawberry.enum_value("technical", description="Technical contact (IT, integrations, security).")
    BILLING = strawberry.enum_value("billing", description="Billing and procurement contact.")
    OTHER = strawberry.enum_value("other", description="Any other part.")


@strawberry.enum(description="What kind of promise sales made.")
class PromiseKind(Enum):
    FEATURE = strawberry.enum_value("feature", description="An existing feature the customer counts on.")
    ROADMAP_ITEM = strawberry.enum_value("roadmap_item", description="A feature not built yet (roadmap).")
    CUSTOM_WORK = strawberry.enum_value("custom_work", description="Custom development or services.")
    SLA = strawberry.enum_value("sla", description="A service level (support response, uptime).")
    DATE = strawberry.enum_value("date", description="A date (go-live, delivery).")
    OTHER = strawberry.enum_value("other", description="Anything else promised.")


@strawberry.enum(description="How much something weighs: low, medium or high.")
class Level(Enum):
    LOW = strawberry.enum_value("low", description="Low.")
    MEDIUM = strawberry.enum_value("medium", description="Medium.")
    HIGH = strawberry.enum_value("high", description="High.")


@strawberry.enum(description="How the customer uses us next to other tools after adoption.")
class CompetitiveSituation(Enum):
    SINGLE_TOOL = strawberry.enum_value("single_tool", description="We are their only tool for this.")
    PARALLEL_TOOLS = strawberry.enum_value("parallel_tools", description="They run a competitor in parallel.")
    REPLACING_INCUMBENT = strawberry.enum_value(
        "replacing_incumbent", description="We replace an incumbent still in place during the switch."
    )
    UNKNOWN = strawberry.enum_value("unknown", description="Not known yet.")


@strawberry.enum(description="What a piece of evidence is.")
class EvidenceKind(Enum):
    CALL_NOTES = strawberry.enum_value("call_notes", description="Notes or a recording of a sales call.")
    PROPOSAL = strawberry.enum_value("proposal", description="The proposal or quote.")
    CONTRACT = strawberry.enum_value("contract", description="The signed contract or order form.")
    DEMO = strawberry.enum_value("demo", description="A demo or its recording.")
    EMAIL = strawberry.enum_value("email", description="An e-mail thread.")
    OTHER = strawberry.enum_value("other", description="Any other document.")
