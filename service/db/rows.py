"""What every domain's queries share: array bind parameters for ``= ANY(...)`` batches, and row → dataclass."""

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY

T = TypeVar("T")
Moment = dt.datetime | sa.ColumnElement[dt.datetime]  # a time, or a statement's parameter for it (a request's now)


def uuid_array(ids: Iterable[uuid.UUID], name: str | None = "ids") -> sa.BindParameter[Any]:
    """``column == sa.any_(uuid_array(ids))``: one statement for a whole batch of ids."""
    return sa.bindparam(name, list(ids), type_=ARRAY(sa.Uuid))


def text_array(values: Iterable[str], name: str | None = None) -> sa.BindParameter[Any]:
    """A text array parameter; unnamed, it is unique in its statement (several filters may share a statement)."""
    return sa.bindparam(name, list(values), type_=ARRAY(sa.Text))


def row_into(cls: type[T], row: sa.Row[Any]) -> T:
    """The row's columns named like ``cls``'s fields (its ``__slots__``) as a ``cls``; other columns are ignored."""
    names: Sequence[str] = cls.__slots__  # type: ignore[attr-defined]
    return cls(**{name: row._mapping[name] for name in names})


_TEMPLATE_DAY = dt.date(2000, 1, 1)
_POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]


def sql_for_today(select_for: Callable[[dt.date], sa.Select[Any]]) -> str:
    """The Core select ``select_for(day)`` as SQL text for embedding in a hand-written statement: constants
    inlined, the day as the ``:today`` parameter — so a rule written once in Core (the active-line rule…) is
    the same rule inside set-based SQL."""
    compiled = select_for(_TEMPLATE_DAY).compile(dialect=_POSTGRESQL, compile_kwargs={"literal_binds": True})
    return str(compiled).replace(f"'{_TEMPLATE_DAY.isoformat()}'", "CAST(:today AS date)")


def median(expression: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The median (``percentile_cont(0.5)``, interpolated) of the non-null values, as a float."""
    return sa.func.percentile_cont(0.5).within_group(sa.cast(expression, sa.Float))
