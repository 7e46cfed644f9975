"""Long health-score histories for the tests: an account with one overall score an hour, each stored with the band
before it, as the recompute writes them."""

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine


async def hourly_scores(engine: AsyncEngine, name: str, now: dt.datetime, hours: int, band_of_hour: str) -> uuid.UUID:
    """An account ``name`` with ``hours`` overall scores of 50, one an hour back from ``now`` (hour ``n`` is
    ``now - n`` hours); ``band_of_hour`` is the SQL of hour ``n``'s band. Tables analyzed."""
    async with engine.begin() as conn:
        account = (
            await conn.execute(sa.text("INSERT INTO accounts (name) VALUES (:name) RETURNING id"), {"name": name})
        ).scalar_one()
        await conn.execute(
            sa.text("INSERT INTO scorecards (name, version, config) VALUES ('overall', 1, '{}') ON CONFLICT DO NOTHING")
        )
        card = (await conn.execute(sa.text("SELECT id FROM scorecards WHERE name = 'overall'"))).scalar_one()
        await conn.execute(
            sa.text(
                "INSERT INTO health_scores (account_id, scorecard_id, score_name, score, band, previous_band,"
                " coverage, computed_at)"
                " SELECT :account, :card, 'overall', 50, h.band, lead(h.band) OVER (ORDER BY h.n), 1,"
                " CAST(:now AS timestamptz) - h.n * interval '1 hour'"
                f" FROM (SELECT n, {band_of_hour} AS band FROM generate_series(1, :hours) AS n) AS h"
            ),
            {"account": account, "card": card, "now": now, "hours": hours},
        )
        await conn.execute(sa.text("ANALYZE health_scores"))
    return uuid.UUID(str(account))
