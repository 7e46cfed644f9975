"""What a scorecard says: its measures (weight and scale each), band cut-offs, tiers and the coverage rule.

A scorecard is stored as the JSON of ``ScorecardConfig`` and validated here, once, with messages that name
the offending measure or threshold. The SQL that computes scores (``compute``) reads the same JSON.

Scoring rule. Each measure's raw value maps to 0–100 through its scale. A measure without data for an
account is *missing*: it is reported as such and left out, and the score is the weighted mean of the
present measures (weights renormalised over them). When the present measures carry less than
``min_coverage`` of the total weight, the account gets no score at all rather than a made-up one.
"""

import itertools
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MEASURES: dict[str, str] = {
    "license_utilization": "distinct users active in the last 30 days / licensed seats today (a fraction)",
    "active_user_trend": "change of active users, last 30 days vs the 30 before, as a fraction (-0.2 = 20% fewer)",
    "feature_breadth": "distinct features used in the last 30 days / features available (a fraction)",
    "login_recency": "share of the account's known users seen in the last 7 days (a fraction)",
    "open_high_priority_tickets": "open tickets with priority high or urgent (a count)",
    "tickets_per_seat": "tickets opened in the last 90 days per licensed seat",
    "nps": "Net Promoter Score of responses in the last 180 days (-100 to 100)",
    "csat": "mean CSAT of ticket surveys in the last 90 days (1 to 5)",
    "renewal_proximity": "days until the next renewal date",
    "manual": "the latest manual score a CSM set (0 to 100), while it has not expired",
}

Score = Annotated[Decimal, Field(ge=0, le=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LinearScale(_Strict):
    """``zero_at`` scores 0, ``full_at`` scores 100, linear in between and clamped outside; ``full_at`` below
    ``zero_at`` means lower is better (tickets, say)."""

    kind: Literal["linear"] = "linear"
    zero_at: Decimal
    full_at: Decimal

    @model_validator(mode="after")
    def _distinct(self) -> "LinearScale":
        if self.zero_at == self.full_at:
            raise ValueError(f"zero_at and full_at must differ (both {self.zero_at})")
        return self


class Band(_Strict):
    below: Decimal | None = None  # raw values under this (and not under an earlier band's) score `score`
    score: Score


class BandedScale(_Strict):
    """Steps: the first band whose ``below`` the raw value is under gives the score; the last band has no
    ``below`` and takes everything else."""

    kind: Literal["banded"] = "banded"
    bands: list[Band] = Field(min_length=2)

    @model_validator(mode="after")
    def _ordered(self) -> "BandedScale":
        *bounded, last = self.bands
        if last.below is not None:
            raise ValueError("the last band must have no `below`: it takes every value above the others")
        limits = [band.below for band in bounded]
        if any(limit is None for limit in limits):
            raise ValueError("every band but the last needs `below`")
        if any(b <= a for a, b in itertools.pairwise(limits) if a is not None and b is not None):
            raise ValueError(f"band thresholds must increase: {[str(limit) for limit in limits]}")
        return self


class Measure(_Strict):
    key: str
    weight: Decimal = Field(gt=0, le=1000)
    scale: Annotated[LinearScale | BandedScale, Field(discriminator="kind")]

    @model_validator(mode="after")
    def _known(self) -> "Measure":
        if self.key not in MEASURES:
            raise ValueError(f"unknown measure {self.key!r}; known measures: {', '.join(MEASURES)}")
        return self


class Bands(_Strict):
    """Scores under ``red_below`` are red, under ``yellow_below`` yellow, the rest green."""

    red_below: Score = Decimal(40)
    yellow_below: Score = Decimal(70)

    @model_validator(mode="after")
    def _ordered(self) -> "Bands":
        if self.red_below >= self.yellow_below:
            raise ValueError(f"red_below ({self.red_below}) must be under yellow_below ({self.yellow_below})")
        return self


class Tier(_Strict):
    """The first tier whose conditions an account meets is its tier; it suggests a touch model."""

    name: str = Field(min_length=1, max_length=100)
    touch_model: Literal["high", "low", "tech"]
    min_arr: Decimal | None = Field(default=None, ge=0)  # ARR today in the scorecard's currency
    min_score: Score | None = None


class ScorecardConfig(_Strict):
    measures: list[Measure] = Field(min_length=1, max_length=len(MEASURES))
    bands: Bands = Bands()
    tiers: list[Tier] = Field(min_length=1, max_length=6)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")  # of tier ARR thresholds
    min_coverage: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)

    @model_validator(mode="after")
    def _consistent(self) -> "ScorecardConfig":
        keys = [measure.key for measure in self.measures]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"each measure may appear once; repeated: {', '.join(repeated)}")
        catch_all = self.tiers[-1]
        if catch_all.min_arr is not None or catch_all.min_score is not None:
            raise ValueError("the last tier must have no conditions, so that every account gets a tier")
        names = [tier.name for tier in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        return self


# The default `overall` scorecard (every segment) that cshub creates unless it exists (``scorecards.ensure_default``);
# teams change it through the API, each change a new version.
DEFAULT_CONFIG = ScorecardConfig.model_validate(
    {
        "measures": [
            {"key": "license_utilization", "weight": 25, "scale": {"kind": "linear", "zero_at": 0.2, "full_at": 0.8}},
            {"key": "active_user_trend", "weight": 15, "scale": {"kind": "linear", "zero_at": -0.3, "full_at": 0.1}},
            {"key": "feature_breadth", "weight": 10, "scale": {"kind": "linear", "zero_at": 0.1, "full_at": 0.6}},
            {"key": "login_recency", "weight": 15, "scale": {"kind": "linear", "zero_at": 0.1, "full_at": 0.6}},
            {
                "key": "open_high_priority_tickets",
                "weight": 10,
                "scale": {
                    "kind": "banded",
                    "bands": [{"below": 1, "score": 100}, {"below": 3, "score": 50}, {"score": 0}],
                },
            },
            {"key": "nps", "weight": 10, "scale": {"kind": "linear", "zero_at": -50, "full_at": 50}},
            {"key": "csat", "weight": 5, "scale": {"kind": "linear", "zero_at": 2, "full_at": 4.5}},
            {
                "key": "renewal_proximity",
                "weight": 5,
                "scale": {
                    "kind": "banded",
                    "bands": [{"below": 30, "score": 40}, {"below": 90, "score": 70}, {"score": 100}],
                },
            },
            {"key": "manual", "weight": 5, "scale": {"kind": "linear", "zero_at": 0, "full_at": 100}},
        ],
        "bands": {"red_below": 40, "yellow_below": 70},
        "tiers": [
            {"name": "strategic", "touch_model": "high", "min_arr": 100000},
            {"name": "growth", "touch_model": "low", "min_arr": 20000},
            {"name": "scale", "touch_model": "tech"},
        ],
        "currency": "USD",
        "min_coverage": 0.5,
    }
)
