"""A kept statement's constants written into its text (``service.compiled.literals``) are the values the
parameters were: PostgreSQL reads each literal back as the value bound before, and nothing else is written."""

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.compiled.literals import inline_constants, literal

WRITTEN: list[tuple[Any, str]] = [
    ("open", "::VARCHAR"),
    ("it's ''quoted''", "::VARCHAR"),
    ("$1 -- not a comment */ ; DROP TABLE accounts", "::TEXT"),
    ("ünïcødé ✓", "::VARCHAR"),
    ("", "::VARCHAR"),
    (0, "::INTEGER"),
    (-12, "::INTEGER"),
    (2**40, "::BIGINT"),
    (1e16, "::FLOAT"),
    (0.1, "::FLOAT"),
    (-2.5e-300, "::FLOAT"),
    (dt.date(2026, 12, 5), "::DATE"),
    (True, "::BOOLEAN"),
    (uuid.UUID("0b7e7d5a-3f57-4d2a-9a9c-0f4c3b0d8a11"), "::UUID"),
]


@pytest.mark.parametrize(("value", "cast"), WRITTEN)
async def test_a_literal_reads_back_as_the_value(engine: AsyncEngine, value: Any, cast: str) -> None:
    written = literal(value, cast)
    assert written is not None
    async with engine.connect() as conn:
        driver = await conn.get_raw_connection()
        bound = await driver.driver_connection.fetchval(f"SELECT $1{cast}", value)  # type: ignore[union-attr]
        read = await driver.driver_connection.fetchval(f"SELECT {written}{cast}")  # type: ignore[union-attr]
    assert read == bound == value
    assert type(read) is type(bound)


@pytest.mark.parametrize(
    ("value", "cast"),
    [
        ("back\\slash", "::VARCHAR"),  # read differently where standard_conforming_strings is off
        (12, "::VARCHAR"),  # not its own type
        (True, "::INTEGER"),
        (dt.datetime(2026, 12, 5, tzinfo=dt.UTC), "::DATE"),
        (float("nan"), "::FLOAT"),
        (["a"], "::TEXT[]"),
        (None, "::VARCHAR"),
        (dt.timedelta(days=1), "::INTERVAL"),
    ],
)
def test_what_is_not_written(value: Any, cast: str) -> None:
    assert literal(value, cast) is None


def test_constants_are_written_and_the_rest_renumbered() -> None:
    sql = "SELECT $1::VARCHAR, '$2::INTEGER', E'\\'$3', $3::INTEGER, $2::DATE, \"a$1\", $4::VARCHAR, $1::VARCHAR"
    parameters = ("open", dt.date(2026, 1, 2), 7, "from the request")
    inlined = inline_constants(sql, parameters, kept={2}, given={"from the request"})
    assert inlined == (
        "SELECT 'open'::VARCHAR, '$2::INTEGER', E'\\'$3', $1::INTEGER, '2026-01-02'::DATE, \"a$1\", "
        "$2::VARCHAR, 'open'::VARCHAR",
        (7, "from the request"),
        {2: 0, 3: 1},
    )


def test_a_placeholder_out_of_range_keeps_the_statement() -> None:
    assert inline_constants("SELECT $2::INTEGER", (1,), kept=set(), given=set()) is None
