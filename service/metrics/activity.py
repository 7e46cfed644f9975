"""What the activity metrics (outcomes, voice of the customer, NPS, tickets, health, usage, onboarding) share:
the argument checks and how a statement groups accounts by dimensions (periods: ``service.metrics.periods``).

Every activity metric is one statement over ``accounts`` left-joined to its facts and grouped by the chosen
account dimensions, so a group of accounts without facts still gets a row (zeros, null ratios), the ungrouped
call always answers one row, and the groups of a dimension add up to the ungrouped totals (each account is in
exactly one group). Periods are ``[from, to)`` in UTC days: a timestamp counts when
``from 00:00 UTC <= t < to 00:00 UTC``.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from service.accounts.tables import accounts
from service.errors import InvalidInput
from service.metrics.dimensions import Dimension, account_column

MAX_NAME_LENGTH = 100

Group = tuple[str | None, ...]  # the chosen dimensions' values, in the order asked for


def score_name(name: str) -> str:
    """A health score name as scorecards allow it: 1 to 100 characters, not blank."""
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"name must be 1 to {MAX_NAME_LENGTH} characters and not blank")
    return name


def group_columns(dimensions: Sequence[Dimension], source: sa.FromClause = accounts) -> list[sa.Label[Any]]:
    """The account attribute of each dimension, labelled ``group_0``, ``group_1``… in the order asked for."""
    return [account_column(source, dimension).label(f"group_{i}") for i, dimension in enumerate(dimensions)]


def group_order(columns: Sequence[sa.ColumnElement[Any]]) -> list[sa.ColumnElement[Any]]:
    """Rows ordered by their group values, accounts without a value last."""
    return [column.asc().nulls_last() for column in columns]


def group_of(row: sa.RowMapping, dimensions: Sequence[Dimension]) -> Group:
    """The group values of a result row (its ``row._mapping``)."""
    return tuple(row[f"group_{i}"] for i in range(len(dimensions)))


def ratio(part: float, whole: float) -> float | None:
    """``part / whole``; null (not NaN, not an error) when ``whole`` is 0."""
    return part / whole if whole else None


def as_float(value: Any) -> float | None:
    return None if value is None else float(value)


def hours(start: sa.ColumnElement[Any], end: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.extract("epoch", end - start) / 3600.0
