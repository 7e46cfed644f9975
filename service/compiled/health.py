"""Health scores in SQL: ``Account.health`` and ``Account.healthHistory``, the HealthScore type with its
``measures`` explanation, the override applying now and the effective score, and HealthOverride.

The rules are ``service.health_scores``' (the latest score of a name, the scores of a window, the newest
override applying now; the resolvers' batched statements use the same builders), narrowed to the row in
the WHERE of the select wrapping each. Arguments are read by the resolvers' own ``history_window``.
"""

from typing import Any

import sqlalchemy as sa

from service.compiled import json_sql
from service.compiled.declare import global_id, mapped_columns, value_object
from service.compiled.planner import Call, ObjectSql, Row, refused_by_resolver
from service.health_scores.overrides import applying_overrides
from service.health_scores.queries import latest_scores_named, scores_in
from service.health_scores.resolvers import history_window
from service.health_scores.tables import health_scores
from service.table_map import HEALTH_OVERRIDE, HEALTH_SCORE

hs = health_scores.c


def _health(call: Call) -> sa.ColumnElement[Any]:
    found = latest_scores_named(call.args.get("name", "overall")).subquery(call.planner.plan.name("latest"))
    latest = sa.select(call.object(Row.of(found))).where(found.c.account_id == call.row.c("id"))
    return json_sql.scalar(latest, found)


def _health_history(call: Call) -> sa.ColumnElement[Any]:
    with refused_by_resolver():
        window = history_window(
            call.args.get("name", "overall"), call.args.get("from_"), call.args.get("to"), call.today
        )
    found = scores_in(*window).subquery(call.planner.plan.name("history"))
    source = sa.select(sa.literal(1)).select_from(found).where(found.c.account_id == call.row.c("id"))
    return json_sql.json_list(call.object(Row.of(found)), [found.c.computed_at.desc()], source, found)


def _override_row(call: Call) -> sa.Subquery:
    """The override applying now to the score row's account and name (none: no row)."""
    return applying_overrides(call.now).subquery(call.planner.plan.name("override"))


def _applying(call: Call, found: sa.Subquery) -> list[sa.ColumnElement[bool]]:
    row = call.row
    return [found.c.account_id == row.adapt(hs.account_id), found.c.score_name == row.adapt(hs.score_name)]


def _override(call: Call) -> sa.ColumnElement[Any]:
    found = _override_row(call)
    return json_sql.scalar(sa.select(call.object(Row.of(found))).where(*_applying(call, found)), found)


def _effective_score(call: Call) -> sa.ColumnElement[Any]:
    found = _override_row(call)
    overriding = json_sql.scalar(sa.select(found.c.score).where(*_applying(call, found)), found)
    return call.scalar(sa.func.coalesce(overriding, call.row.adapt(hs.score)))


_MEASURE_PARTS: dict[
    str, tuple[str, type[sa.types.TypeEngine[Any]]]
] = {  # HealthMeasure field → (document key, SQL type of its value)
    "key": ("key", sa.Text),
    "rawValue": ("raw_value", sa.Float),
    "score": ("score", sa.Float),
    "weight": ("weight", sa.Float),
    "contribution": ("contribution", sa.Float),
    "missing": ("missing", sa.Boolean),
    "reason": ("reason", sa.Text),
    "note": ("note", sa.Text),
}


def _measures(call: Call) -> sa.ColumnElement[Any]:
    """The explanation document's measures in its order, each as ``HealthMeasure.from_json`` reads it."""
    elements = sa.func.jsonb_array_elements(call.row.adapt(hs.measures)).table_valued(
        "value", with_ordinality="ordinality"
    )
    elements = elements.alias(call.planner.plan.name("measure"))
    parts: dict[str, sa.ColumnElement[Any]] = {
        key: sa.cast(elements.c.value.op("->>")(sa.literal(key, sa.Text)), kind)
        for key, kind in _MEASURE_PARTS.values()
    }
    item = call.object(Row.value(**parts))
    return json_sql.json_list(item, [elements.c.ordinality], sa.select(sa.literal(1)).select_from(elements), elements)


OBJECTS = {
    "HealthScore": ObjectSql(
        {
            **mapped_columns(HEALTH_SCORE),
            "scorecardId": global_id("Scorecard", hs.scorecard_id),
            "measures": _measures,
            "override": _override,
            "effectiveScore": _effective_score,
        }
    ),
    "HealthMeasure": ObjectSql(value_object({name: key for name, (key, _) in _MEASURE_PARTS.items()})),
    "HealthOverride": ObjectSql(mapped_columns(HEALTH_OVERRIDE)),
}

ACCOUNT_FIELDS = {"health": _health, "healthHistory": _health_history}
