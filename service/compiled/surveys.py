"""Survey responses on ``Account`` in SQL: the ``surveys`` connection (the resolver's ``survey_query`` and the
queries' ``conditions``), the SurveyResponse type, and ``nps`` from the shared NPS rule (``nps_counts``,
``nps_score_sql``)."""

from typing import Any

import sqlalchemy as sa

from service.compiled.connections import account_page, connection
from service.compiled.declare import account_value, mapped_columns, value_object
from service.compiled.planner import Call, ObjectSql, refused_by_resolver
from service.surveys.queries import conditions, nps_counts, nps_score_sql
from service.surveys.resolvers import nps_window, survey_query
from service.surveys.tables import survey_responses
from service.table_map import SURVEY_RESPONSE

NPS_PARTS = ("responses", "promoters", "passives", "detractors")


def _account_surveys(call: Call) -> sa.ColumnElement[Any]:
    with refused_by_resolver():
        query = survey_query(call.args.get("kind"), call.args.get("first"), call.args.get("after"))
    return connection(call, account_page(call, survey_responses, "responded_at", query.page, conditions(query)))


def _nps(call: Call) -> sa.ColumnElement[Any]:
    with refused_by_resolver():
        window = nps_window(call.args.get("from_"), call.args.get("to"), call.today)
    found = nps_counts(window).subquery()
    parts = {part: sa.func.coalesce(found.c[part], 0) for part in NPS_PARTS}
    score = nps_score_sql(parts["promoters"], parts["detractors"], parts["responses"])
    return account_value(call, found, {**parts, "nps": score})


ACCOUNT_FIELDS = {"surveys": _account_surveys, "nps": _nps}

OBJECTS = {
    "SurveyResponse": ObjectSql(mapped_columns(SURVEY_RESPONSE)),
    "NpsSummary": ObjectSql(value_object({name: name for name in (*NPS_PARTS, "nps")})),
}
