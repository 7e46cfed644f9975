"""Risk alerts in SQL: ``Account.alerts``, the root ``alerts`` connection and the Alert type.

Filters, order and cursor condition are ``service.health_scores.alerts``' (the resolvers' statements use the
same builders); arguments are read by the resolvers' own ``alert_query`` / ``account_alert_statuses``. The
``details`` document is the JSONB column embedded as is: asyncpg parses that same text for the resolvers, so
keys come in the same order and numbers parse to the same values.
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from service.compiled.connections import connection, table_page
from service.compiled.declare import global_id, many, mapped_columns
from service.compiled.planner import Call, ObjectSql, refused_by_resolver
from service.health_scores.alert_resolvers import account_alert_statuses, alert_query
from service.health_scores.alerts import (
    ALERT_ORDER,
    AlertQuery,
    account_alert_conditions,
    alert_conditions,
    page_conditions,
)
from service.health_scores.tables import alerts
from service.table_map import ALERT

al = alerts.c


def _account_alerts(call: Call) -> sa.ColumnElement[Any]:
    statuses = account_alert_statuses(call.args.get("status"))
    compile_many = many(
        alerts,
        lambda parent, child: child.c("account_id") == parent.c("id"),
        ALERT_ORDER,
        where=lambda _: account_alert_conditions(statuses),
    )
    return compile_many(call)


def alert_list(call: Call, narrow: Callable[[AlertQuery], AlertQuery] | None = None) -> sa.ColumnElement[Any]:
    """The root ``alerts`` connection: a keyset page over every account, newest first (``narrow``: what
    ``viewer.myAlerts`` adds to the query)."""
    with refused_by_resolver():
        query = alert_query(call.args.get("filter"), call.args.get("first"), call.args.get("after"))
    if narrow is not None:
        query = narrow(query)
    page = table_page(
        call, alerts, ALERT_ORDER, page_conditions(query), alert_conditions(query), "opened_at", query.page
    )
    return connection(call, page)


ACCOUNT_FIELDS = {"alerts": _account_alerts}

OBJECTS = {
    "Alert": ObjectSql(
        {
            **mapped_columns(ALERT),
            "accountId": global_id("Account", al.account_id),
            "details": lambda call: call.row.adapt(al.details),
        }
    )
}
