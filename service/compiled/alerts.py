"""Risk alerts in SQL: ``Account.alerts``, the root ``alerts`` connection and the Alert type.

Filters, order and cursor condition are ``service.health_scores.alerts``' (the resolvers' statements use the
same builders); arguments are read by the resolvers' own ``alert_query`` / ``account_alert_statuses``. The
``details`` document is the JSONB column embedded as is: asyncpg parses that same text for the resolvers, so
keys come in the same order and numbers parse to the same values.
"""

from typing import Any

import sqlalchemy as sa

from service.compiled import json_sql
from service.compiled.connections import POSITION, Page, connection
from service.compiled.declare import global_id, many, mapped_columns
from service.compiled.planner import Call, NotCompiled, ObjectSql, Row
from service.errors import InvalidInput
from service.health_scores.alert_resolvers import account_alert_statuses, alert_query
from service.health_scores.alerts import ALERT_ORDER, account_alert_conditions, alert_conditions, page_conditions
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


def alert_list(call: Call) -> sa.ColumnElement[Any]:
    """The root ``alerts`` connection: a keyset page over every account, newest first."""
    try:
        query = alert_query(call.args.get("filter"), call.args.get("first"), call.args.get("after"))
    except InvalidInput as refused:
        raise NotCompiled(f"the resolver refuses the arguments: {refused}") from None
    plan = call.planner.plan

    def rows() -> sa.FromClause:
        alias = call.alias(alerts)
        adapt = Row.of(alias).adapt
        order = [adapt(o) for o in ALERT_ORDER]
        position = sa.func.row_number().over(order_by=order).label(POSITION)
        selected = sa.select(*alias.c, position).where(*(adapt(c) for c in page_conditions(query)))
        return selected.order_by(*order).limit(query.page.limit + 1).subquery(plan.name("page"))

    def cursor(found: sa.FromClause) -> sa.ColumnElement[str]:
        return json_sql.cursor([json_sql.iso_datetime(found.c.opened_at), sa.cast(found.c.id, sa.Text)])

    def count() -> sa.ColumnElement[int]:
        alias = call.alias(alerts)
        adapt = Row.of(alias).adapt
        conditions = [adapt(c) for c in alert_conditions(query)]
        return json_sql.scalar(sa.select(sa.func.count()).select_from(alias).where(*conditions), alias)

    return connection(call, Page(rows, Row.of, cursor, query.page.limit, query.page.after is not None, count))


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
