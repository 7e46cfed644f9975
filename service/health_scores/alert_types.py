"""GraphQL types of risk alerts, mapped from ``AlertRow`` here."""

import datetime as dt
from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from service.graphql.context import Context
from service.graphql.relay import PageInfo, encode_cursor, encode_global_id
from service.health_scores.alerts import AlertQuery, AlertRow, count_alerts

ALERT_TYPE_NAME = "Alert"


@strawberry.enum(description="The rule that raised an alert.")
class AlertRule(Enum):
    USAGE_DROP = strawberry.enum_value(
        "usage_drop", description="Active users of the last 30 days down by CSHUB_ALERT_USAGE_DROP_PERCENT or more."
    )
    NO_LOGINS = strawberry.enum_value("no_logins", description="Nobody used the product for CSHUB_ALERT_NO_LOGIN_DAYS.")
    TICKET_SPIKE = strawberry.enum_value(
        "ticket_spike", description="Tickets of the last 7 days well above the weekly average of the 8 weeks before."
    )
    RENEWAL_WHILE_RED = strawberry.enum_value(
        "renewal_while_red", description="A red account renewing within CSHUB_ALERT_RENEWAL_DAYS."
    )
    BAND_DROPPED = strawberry.enum_value("band_dropped", description="The health band fell since the previous score.")


@strawberry.enum(description="Where an alert is in its handling.")
class AlertStatus(Enum):
    OPEN = strawberry.enum_value("open", description="Raised; nobody has taken it yet.")
    ACKNOWLEDGED = strawberry.enum_value("acknowledged", description="Someone is on it.")
    RESOLVED = strawberry.enum_value("resolved", description="Dealt with; final.")


@strawberry.type(description="A risk alert on an account, raised by a rule when scores were computed.")
class Alert:
    id: strawberry.ID = strawberry.field(description="Global id of the alert.")
    account_id: strawberry.ID = strawberry.field(description="Global id of the account.")
    rule: AlertRule = strawberry.field(description="The rule that raised it.")
    status: AlertStatus = strawberry.field(description="Its state.")
    message: str = strawberry.field(description="What happened, for a person.")
    details: JSON = strawberry.field(description="The figures behind it, e.g. `{recent_users, earlier_users}`.")
    opened_at: dt.datetime = strawberry.field(description="When it was raised (UTC).")
    acknowledged_at: dt.datetime | None = strawberry.field(description="When someone took it.")
    acknowledged_by: str | None = strawberry.field(description="Who took it.")
    resolved_at: dt.datetime | None = strawberry.field(description="When it was resolved.")
    resolved_by: str | None = strawberry.field(description="Who resolved it.")
    note: str | None = strawberry.field(description="The latest note left when acknowledging or resolving.")

    @classmethod
    def from_row(cls, row: AlertRow) -> "Alert":
        return cls(
            id=encode_global_id(ALERT_TYPE_NAME, row.id),
            account_id=encode_global_id("Account", row.account_id),
            rule=AlertRule(row.rule),
            status=AlertStatus(row.status),
            message=row.message,
            details=cast(JSON, row.details),
            opened_at=row.opened_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            resolved_at=row.resolved_at,
            resolved_by=row.resolved_by,
            note=row.note,
        )


@strawberry.type(description="An alert and its cursor.")
class AlertEdge:
    node: Alert = strawberry.field(description="The alert.")
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")


def alert_edge(row: AlertRow) -> AlertEdge:
    return AlertEdge(node=Alert.from_row(row), cursor=encode_cursor((row.opened_at.isoformat(), row.id)))


async def _total_alerts(root: "AlertConnection", info: strawberry.Info[Context]) -> int:
    async with info.context.read() as conn:
        return await count_alerts(conn, root.query)


@strawberry.type(description="A page of alerts, newest first (Relay connection).")
class AlertConnection:
    edges: list[AlertEdge] = strawberry.field(description="The alerts of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Pagination state of this page.")
    query: strawberry.Private[AlertQuery]
    total_count: int = strawberry.field(
        resolver=_total_alerts,
        description="Number of alerts over all pages under the same filter; costs an extra count, so ask only "
        "when needed.",
    )


@strawberry.input(description="Narrow the alerts; conditions combine with AND.")
class AlertFilter:
    status: list[AlertStatus] | None = strawberry.field(default=None, description="Only these states.")
    rule: list[AlertRule] | None = strawberry.field(default=None, description="Only these rules.")
    account_id: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these accounts.")
