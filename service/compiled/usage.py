"""Product usage on ``Account`` in SQL: the usage series, active users, license utilization, feature adoption
and the last-seen spread, from the same rule builders as the resolvers' batched reads (``service.usage.queries``)
and the same argument checks (``service.usage.types``)."""

import datetime as dt
from typing import Any

import sqlalchemy as sa

from service.compiled import json_sql
from service.compiled.accounts import seats_on
from service.compiled.declare import account_value, value_object
from service.compiled.planner import Call, ObjectSql, Row, refused_by_resolver
from service.usage.queries import (
    LAST_SEEN_PARTS,
    active_users_since,
    feature_order,
    feature_usage,
    last_seen_counts,
    series_points,
    utilization_sql,
)
from service.usage.types import adoption_window, series_request, window_days


def _usage(call: Call) -> sa.ColumnElement[Any]:
    args = call.args
    with refused_by_resolver():
        request = series_request(args["from_"], args["to"], args["interval"], args.get("event"))
    points = series_points(request, call.row.c("id"))
    parts = {column.name: column for column in points.selected_columns}
    (source,) = points.get_final_froms()  # the buckets and their left-joined rules
    return json_sql.json_list(call.object(Row.value(**parts)), [parts["period_start"]], points, source)


def _active(call: Call) -> sa.ColumnElement[Any]:
    """The row's account's active users of the field's ``days`` (0 without any); shared with the object's other
    fields that count them (``activeUsers`` and ``licenseUtilization``)."""
    with refused_by_resolver():
        days = window_days(call.args["days"])
    found = call.figure(("active_users", days), lambda: active_users_since(call.now - dt.timedelta(days=days)))
    return sa.func.coalesce(found.c.users, 0)


def _seats_today(call: Call) -> sa.ColumnElement[Any]:
    return seats_on(call, call.today)


def _feature_adoption(call: Call) -> sa.ColumnElement[Any]:
    with refused_by_resolver():
        window = adoption_window(call.args["days"], call.today)
    found = feature_usage(window).subquery()
    item = call.object(Row.value(feature=found.c.feature, events=found.c.events, users=found.c.users))
    source = sa.select(sa.literal(1)).select_from(found).where(found.c.account_id == call.row.c("id"))
    return json_sql.json_list(item, feature_order(found), source, found)


def _last_seen(call: Call) -> sa.ColumnElement[Any]:
    found = last_seen_counts(call.now).subquery()
    return account_value(call, found, {part: sa.func.coalesce(found.c[part], 0) for part in LAST_SEEN_PARTS})


ACCOUNT_FIELDS = {
    "usage": _usage,
    "activeUsers": lambda call: call.scalar(_active(call)),
    "licenseUtilization": lambda call: call.scalar(utilization_sql(_active(call), _seats_today(call))),
    "featureAdoption": _feature_adoption,
    "lastSeenDistribution": _last_seen,
}

OBJECTS = {
    "UsagePoint": ObjectSql(
        value_object({"periodStart": "period_start", "events": "events", "activeUsers": "active_users"})
    ),
    "FeatureUsage": ObjectSql(value_object({"feature": "feature", "events": "events", "users": "users"})),
    "LastSeenDistribution": ObjectSql(
        value_object(
            {
                "within1Day": "within_1_day",
                "within7Days": "within_7_days",
                "within30Days": "within_30_days",
                "over30Days": "over_30_days",
            }
        )
    ),
}
