"""SQL expressions that build a GraphQL answer's JSON in PostgreSQL, value for value as the resolvers serialize it.

Every scalar comes out as the text or number strawberry would print: global ids are unpadded base64url of
``<Type>:<uuid>`` (``service.graphql.relay``), a DateTime is Python's ``isoformat()`` of the UTC instant
(``2026-03-01T09:30:00+00:00``, microseconds only when there are any), a Date is ``YYYY-MM-DD``, a Decimal is
its text (``numeric::text``, as ``str(Decimal)`` of the value asyncpg reads), an enum is its GraphQL name.
Objects are ``json_build_object`` in selection order (more than 50 fields are joined from several, PostgreSQL
takes at most 100 arguments), lists ``json_agg`` with an explicit order and ``[]`` when empty.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by
from sqlalchemy.sql import visitors

MAX_PAIRS = 50  # json_build_object takes at most 100 arguments
EMPTY_LIST = sa.literal_column("'[]'::json", JSON)


def text(value: str) -> sa.ColumnElement[str]:
    """A constant string inlined into the statement (keys, type names: never user input)."""
    return sa.literal_column("'" + value.replace("'", "''") + "'::text", sa.Text)


def obj(pairs: Sequence[tuple[str, sa.ColumnElement[Any]]]) -> sa.ColumnElement[Any]:
    """A JSON object of response keys to values, in the given order (keys may repeat: aliases do not)."""
    chunks = [pairs[start : start + MAX_PAIRS] for start in range(0, len(pairs), MAX_PAIRS)] or [[]]
    built = [
        sa.func.json_build_object(*(arg for key, value in chunk for arg in (text(key), value))) for chunk in chunks
    ]
    if len(built) == 1:
        return built[0]
    # '{"a":1}' and '{"b":2}' → '{"a":1, "b":2}': each part without its braces, joined (no part is empty).
    inner = [sa.func.substr(sa.cast(part, sa.Text), 2, sa.func.length(sa.cast(part, sa.Text)) - 2) for part in built]
    return sa.cast(text("{") + sa.func.concat_ws(text(","), *inner) + text("}"), JSON)


def scalar(select: sa.Select[Any], *own: sa.FromClause) -> sa.ScalarSelect[Any]:
    """``select`` as a scalar subquery reading ``own`` (its FROM) and correlated to every enclosing level for
    the rest (SQLAlchemy's automatic correlation looks only one level up, and would add an outer row it
    cannot find there to the subquery's own FROM: a cartesian product)."""
    return select.correlate_except(*own).scalar_subquery()


def json_list(
    item: sa.ColumnElement[Any], order: Sequence[sa.ColumnElement[Any]], source: sa.Select[Any], own: sa.FromClause
) -> sa.ColumnElement[Any]:
    """``[item, …]`` over the rows ``source`` selects from ``own``, in ``order``; ``[]`` when there are none."""
    aggregated = sa.func.json_agg(aggregate_order_by(item, *order)) if order else sa.func.json_agg(item)
    return sa.func.coalesce(scalar(source.with_only_columns(aggregated), own), EMPTY_LIST)


def masked_items(items: sa.ColumnElement[Any], mask: str) -> sa.ColumnElement[Any]:
    """A JSON list with each non-null item replaced by ``mask``, its nulls and its length kept (null stays null)."""
    element = sa.func.json_array_elements(items).table_valued("value", with_ordinality="position").render_derived()
    item = sa.case((sa.func.json_typeof(element.c.value) == "null", sa.null()), else_=sa.func.to_json(text(mask)))
    aggregated = sa.func.json_agg(aggregate_order_by(item, element.c.position))
    listed = sa.func.coalesce(sa.select(aggregated).select_from(element).scalar_subquery(), EMPTY_LIST)
    return sa.case((items.is_(None), sa.null()), else_=listed)


def nullable_obj(present: sa.ColumnElement[Any], value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``value`` when ``present`` is not null, else JSON null."""
    return sa.case((present.is_(None), sa.null()), else_=value)


def b64url(raw: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """Unpadded base64url of the text's UTF-8 bytes (PostgreSQL wraps base64 at 76 characters: unwrapped)."""
    encoded = sa.func.encode(sa.func.convert_to(raw, text("UTF8")), text("base64"))
    # replace(), not translate(): translate() handles multibyte text character by character, and took ~60% of
    # the time of an id.
    url_safe = sa.func.replace(sa.func.replace(encoded, text("+"), text("-")), text("/"), text("_"))
    return sa.func.rtrim(sa.func.replace(url_safe, sa.literal_column("E'\\n'"), text("")), text("="))


def global_id(type_name: str, key: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return b64url(text(type_name + ":") + sa.cast(key, sa.Text))


def iso_datetime(moment: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """``datetime.isoformat()`` of the instant in UTC: ``2026-03-01T09:30:00+00:00`` or ``…:00.120000+00:00``."""
    utc = sa.func.to_char(sa.func.timezone(text("UTC"), moment), text('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'))
    return sa.func.replace(utc, text(".000000+"), text("+"))  # null stays null


def str_datetime(moment: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """``str(datetime)`` of the instant in UTC (a space, not ``T``): how cursors hold times."""
    return sa.func.replace(iso_datetime(moment), text("T"), text(" "))


def iso_date(day: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """The day as text, ``YYYY-MM-DD`` (for cursors and text expressions; a Date value printed into the answer is
    ``json_date``)."""
    return sa.func.to_char(day, text("YYYY-MM-DD"))


def json_date(day: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A Date as the answer prints it: PostgreSQL writes a ``date`` into JSON as ``"YYYY-MM-DD"`` whatever the
    session's DateStyle — as ``date.isoformat()`` does — and without a ``to_char`` call per value (a portfolio
    page prints 1,500 usage days)."""
    return sa.cast(day, sa.Date)


def decimal_text(amount: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return sa.cast(amount, sa.Text)


def evaluated_once(
    value: sa.ColumnElement[Any], build: Callable[[sa.ColumnElement[Any]], sa.ColumnElement[Any]]
) -> sa.ColumnElement[Any]:
    """``build(value)``, where ``build`` names the value more than once, with a value that holds a subquery
    computed once: PostgreSQL runs a subquery again for every place it is written (a license utilization
    printed as a float ran its two figures' subqueries four times each). Such a value becomes the column of a
    one-row derived table the built expression reads, fenced with ``OFFSET 0`` (else PostgreSQL pulls the
    derived table up and writes the value into each place again)."""
    if not any(isinstance(element, sa.ScalarSelect) for element in visitors.iterate(value)):
        return build(value)
    inner = sa.select(value.label("value"))
    if inner.get_final_froms():  # it reads a row of its own level: a derived table could not see that row
        return build(value)
    once = inner.offset(sa.literal_column("0")).subquery()  # OFFSET 0: not pulled up into (and copied by) ``build``
    return sa.select(build(once.c.value)).select_from(once).scalar_subquery()


def python_float(number: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A float as Python's JSON prints it: ``1.0`` for an integral value (PostgreSQL: ``1``), else the same
    shortest round-trip digits (``0.1235``, ``1e-05``, ``1e+16``)."""

    def printed(number: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        value = sa.cast(number, sa.Float)
        integral = sa.and_(value == sa.func.trunc(value), sa.func.abs(value) < 1e16)
        as_text = sa.cast(sa.cast(value, sa.BigInteger), sa.Text) + text(".0")
        return sa.case((integral, sa.cast(as_text, JSON)), else_=sa.func.to_json(value))

    return evaluated_once(number, printed)


def enum_name(value: sa.ColumnElement[Any], names: Mapping[str, str]) -> sa.ColumnElement[str]:
    """The GraphQL name of a stored enum value (``names``: stored value → name); null stays null."""
    if all(name == stored.upper() for stored, name in names.items()):
        return sa.func.upper(value)

    def named(value: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
        return sa.case(*((value == text(stored), text(name)) for stored, name in names.items()), else_=sa.null())

    return evaluated_once(value, named)


def cursor(parts: Sequence[sa.ColumnElement[str]]) -> sa.ColumnElement[str]:
    """``service.graphql.relay.encode_cursor`` of the parts' texts: base64url of the compact JSON array."""
    joined = text("[") + sa.func.concat_ws(text(","), *(sa.cast(sa.func.to_json(part), sa.Text) for part in parts))
    return b64url(joined + text("]"))
