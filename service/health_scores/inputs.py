"""GraphQL inputs of scorecard mutations, turned into the plain configuration ``config`` validates."""

from typing import Any

import strawberry

from service.accounts.enums import Segment, TouchModel
from service.health_scores.types import ScaleKind


@strawberry.input(description="One step of a banded scale.")
class ScaleBandInput:
    below: float | None = strawberry.field(default=None, description="Upper bound (excluded); omit on the last band.")
    score: float = strawberry.field(description="Score for values in this band, 0–100.")


@strawberry.input(description="How a measure's raw value maps to 0–100.")
class MeasureScaleInput:
    kind: ScaleKind = strawberry.field(description="LINEAR (give zeroAt and fullAt) or BANDED (give bands).")
    zero_at: float | None = strawberry.field(default=None, description="LINEAR: raw value scoring 0.")
    full_at: float | None = strawberry.field(default=None, description="LINEAR: raw value scoring 100.")
    bands: list[ScaleBandInput] | None = strawberry.field(
        default=None, description="BANDED: at least two steps with increasing `below`; the last without `below`."
    )


@strawberry.input(description="A measure of a scorecard.")
class ScorecardMeasureInput:
    key: str = strawberry.field(
        description="One of: license_utilization, active_user_trend, feature_breadth, login_recency, "
        "open_high_priority_tickets, tickets_per_seat, nps, csat, renewal_proximity, manual."
    )
    weight: float = strawberry.field(description="Positive weight, relative to the other measures.")
    scale: MeasureScaleInput = strawberry.field(description="How the raw value maps to 0–100.")


@strawberry.input(description="Band cut-offs.")
class ScoreBandsInput:
    red_below: float = strawberry.field(default=40, description="Scores under this are RED (default 40).")
    yellow_below: float = strawberry.field(default=70, description="Scores under this are YELLOW (default 70).")


@strawberry.input(description="A tier: accounts meeting its conditions (and no earlier tier's) fall in it.")
class ScorecardTierInput:
    name: str = strawberry.field(description="Tier name, unique in the scorecard.")
    touch_model: TouchModel = strawberry.field(description="The touch model it suggests.")
    min_arr: float | None = strawberry.field(default=None, description="Least ARR today (scorecard currency).")
    min_score: float | None = strawberry.field(default=None, description="Least score.")


@strawberry.input(description="A scorecard's configuration.")
class ScorecardConfigInput:
    measures: list[ScorecardMeasureInput] = strawberry.field(description="The measures, each at most once.")
    bands: ScoreBandsInput | None = strawberry.field(default=None, description="Band cut-offs; default 40 / 70.")
    tiers: list[ScorecardTierInput] = strawberry.field(
        description="1 to 6 tiers tried in order; the last has no conditions, so every account gets one."
    )
    currency: str = strawberry.field(default="USD", description="Currency of the tiers' ARR thresholds.")
    min_coverage: float = strawberry.field(
        default=0.5, description="Least share of the weight whose measures must have data to score (0–1]."
    )


@strawberry.input(description="A new scorecard (version 1).")
class CreateScorecardInput:
    name: str = strawberry.field(default="overall", description="The score it computes; default `overall`.")
    segment: Segment | None = strawberry.field(
        default=None, description="The segment it applies to; omit for the default of every segment."
    )
    config: ScorecardConfigInput = strawberry.field(description="Its configuration.")


@strawberry.input(description="A change to a scorecard: saved as its next version.")
class UpdateScorecardInput:
    id: strawberry.ID = strawberry.field(description="Global id of the scorecard (any of its versions).")
    expected_version: int | None = strawberry.field(
        default=None,
        description="The current version you edited; when another change came first, the update is refused "
        "with CONFLICT instead of overwriting it.",
    )
    config: ScorecardConfigInput | None = strawberry.field(default=None, description="New configuration; omit to keep.")
    active: bool | None = strawberry.field(default=None, description="Switch scoring with it on or off; omit to keep.")


def _scale(scale: MeasureScaleInput) -> dict[str, Any]:
    if scale.kind is ScaleKind.BANDED:
        bands = [
            {"score": band.score, **({"below": band.below} if band.below is not None else {})}
            for band in scale.bands or []
        ]
        return {"kind": "banded", "bands": bands}
    return {"kind": "linear", "zero_at": scale.zero_at, "full_at": scale.full_at}


def config_document(config: ScorecardConfigInput) -> dict[str, Any]:
    """The input as the configuration document ``scorecards.validated`` checks (numbers as strings: exact)."""
    bands = config.bands or ScoreBandsInput()
    document = {
        "measures": [{"key": m.key, "weight": m.weight, "scale": _scale(m.scale)} for m in config.measures],
        "bands": {"red_below": bands.red_below, "yellow_below": bands.yellow_below},
        "tiers": [
            {
                "name": t.name,
                "touch_model": str(t.touch_model.value),
                **({"min_arr": t.min_arr} if t.min_arr is not None else {}),
                **({"min_score": t.min_score} if t.min_score is not None else {}),
            }
            for t in config.tiers
        ],
        "currency": config.currency,
        "min_coverage": config.min_coverage,
    }
    exact: dict[str, Any] = _exact(document)
    return exact


def _exact(value: Any) -> Any:
    """Floats as their shortest decimal text, so 0.1 stays 0.1 (not 0.1000000000000000055…)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value
