"""json/jsonb parameters are written by orjson where it can (``service.db.jsonb``): PostgreSQL must read the very
value ``json`` would have sent, also where orjson spells it differently or cannot write it at all."""

import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db import jsonb

VALUES: list[Any] = [
    {"name": "Acme", "domain": "acme.example", "segment": None, "seats": 12, "active": True},
    {"name": "株式会社サンプル", "note": "naïve — “quoted” \\ back\\slash \n new line \u0001"},
    {"floats": [0.1, 1.0, 1e16, 1.5e-7, -0.0, 123456.789, 1e300]},
    {"big": 2**70, "negative": -(2**64)},  # beyond 64 bits: orjson refuses, json writes it
    {1: "int key", "nested": {"list": [1, [2, [3]]]}},  # a key that is not text: orjson refuses
    [],
    "text",
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
async def test_postgresql_reads_the_value_json_would_have_sent(engine: AsyncEngine, value: Any) -> None:
    async with engine.connect() as conn:
        same = await conn.scalar(
            sa.text("SELECT CAST(:ours AS jsonb) = CAST(:json AS jsonb)"),
            {"ours": jsonb.dumps(value), "json": json.dumps(value)},
        )
    assert same is True
    assert json.loads(jsonb.dumps(value)) == json.loads(json.dumps(value))
