"""``health_scores.previous_band``: the band of the score before it (same account and score name, the last one
with a band), written with the score, so that the timeline's band changes are rows found by an index — not a
window over the account's whole score history, which grows by one row per recompute (hourly by default); and an
index by time, for thinning that history (``service.health_scores.history``).

Revision ID: 0019_health_previous_band
Revises: 0018_source_associations
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_health_previous_band"
down_revision: str | None = "0018_source_associations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("health_scores", sa.Column("previous_band", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_health_scores_previous_band"), "health_scores", "previous_band IN ('red', 'yellow', 'green')"
    )
    op.execute(
        """
        UPDATE health_scores AS h SET previous_band = banded.previous_band
        FROM (
            SELECT id, lag(band) OVER (PARTITION BY account_id, score_name ORDER BY computed_at, id) AS previous_band
            FROM health_scores WHERE band IS NOT NULL
        ) AS banded
        WHERE banded.id = h.id AND banded.previous_band IS NOT NULL
        """
    )
    op.create_index("ix_health_scores_computed_at", "health_scores", ["computed_at"])
    op.create_index(
        "ix_health_scores_band_changes",
        "health_scores",
        ["account_id", "computed_at"],
        postgresql_where=sa.text("band <> previous_band"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_health_scores_band_changes", table_name="health_scores", postgresql_where=sa.text("band <> previous_band")
    )
    op.drop_index("ix_health_scores_computed_at", table_name="health_scores")
    op.drop_constraint(op.f("ck_health_scores_previous_band"), "health_scores", type_="check")
    op.drop_column("health_scores", "previous_band")
