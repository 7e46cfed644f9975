"""GraphQL types of health scores and scorecards, mapped from their rows here."""

import datetime as dt
import uuid
from enum import Enum
from typing import Any

import strawberry

from service.accounts.enums import Segment, TouchModel
from service.graphql.context import Context
from service.graphql.relay import Node, encode_global_id
from service.health_scores import overrides
from service.health_scores.config import MEASURES, BandedScale, ScorecardConfig
from service.health_scores.overrides import OverrideRow
from service.health_scores.queries import HealthScoreRow
from service.health_scores.scorecards import ScorecardRow, versions_of

SCORECARD_TYPE_NAME = "Scorecard"


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


@strawberry.enum(description="Health band of a score; the cut-offs come from the scorecard.")
class HealthBand(Enum):
    RED = strawberry.enum_value("red", description="At risk: under the scorecard's `redBelow`.")
    YELLOW = strawberry.enum_value("yellow", description="Needs attention: under `yellowBelow`.")
    GREEN = strawberry.enum_value("green", description="Healthy.")


@strawberry.enum(description="How a measure's raw value maps to 0–100.")
class ScaleKind(Enum):
    LINEAR = strawberry.enum_value(
        "linear", description="`zeroAt` scores 0, `fullAt` 100, linear between, clamped outside."
    )
    BANDED = strawberry.enum_value("banded", description="Steps: the first band the value is `below` gives the score.")


@strawberry.type(description="One measure's part in a score: its input, what it scored and what it added.")
class HealthMeasure:
    key: str = strawberry.field(description="The measure, e.g. `license_utilization` (see `Scorecard.measures`).")
    raw_value: float | None = strawberry.field(description="The measured input (units per measure); null if missing.")
    score: float | None = strawberry.field(description="The input mapped to 0–100 by the scale; null if missing.")
    weight: float = strawberry.field(description="The measure's weight in the scorecard.")
    contribution: float | None = strawberry.field(
        description="Points this measure adds to the score: weight × score / the weight of the present measures. "
        "The contributions add up to the score (to rounding)."
    )
    missing: bool = strawberry.field(
        description="True when there was no data; the score is then the mean over the other measures."
    )
    reason: str | None = strawberry.field(description="Why the measure is missing, e.g. `no licensed seats today`.")
    note: str | None = strawberry.field(description="For the `manual` measure: the CSM's comment and who set it.")

    @classmethod
    def from_json(cls, measure: dict[str, Any]) -> "HealthMeasure":
        return cls(
            key=measure["key"],
            raw_value=_number(measure.get("raw_value")),
            score=_number(measure.get("score")),
            weight=float(measure["weight"]),
            contribution=_number(measure.get("contribution")),
            missing=bool(measure["missing"]),
            reason=measure.get("reason"),
            note=measure.get("note"),
        )


OVERRIDE_TYPE_NAME = "HealthOverride"


@strawberry.type(description="A CSM's override of a computed score: applies until it expires or is lifted.")
class HealthOverride:
    id: strawberry.ID = strawberry.field(description="Global id of the override (to lift it).")
    name: str = strawberry.field(description="The score it overrides, e.g. `overall`.")
    score: float = strawberry.field(description="The score the CSM set, 0–100.")
    reason: str = strawberry.field(description="Why the computed score is wrong.")
    created_by: str = strawberry.field(description="Who set it.")
    created_at: dt.datetime = strawberry.field(description="When it was set (UTC).")
    expires_at: dt.datetime = strawberry.field(description="When it stops applying (UTC).")
    lifted_at: dt.datetime | None = strawberry.field(description="When it was lifted early, if it was.")
    lifted_by: str | None = strawberry.field(description="Who lifted it.")

    @classmethod
    def from_row(cls, row: OverrideRow) -> "HealthOverride":
        return cls(
            id=encode_global_id(OVERRIDE_TYPE_NAME, row.id),
            name=row.score_name,
            score=float(row.score),
            reason=row.reason,
            created_by=row.created_by,
            created_at=row.created_at,
            expires_at=row.expires_at,
            lifted_at=row.lifted_at,
            lifted_by=row.lifted_by,
        )


async def _override(root: "HealthScore", info: strawberry.Info[Context]) -> HealthOverride | None:
    now = info.context.loaders.now
    row = await info.context.batch(overrides.active_overrides).load((root.account_id, (root.name, now)))
    return HealthOverride.from_row(row) if row else None


async def _effective_score(root: "HealthScore", info: strawberry.Info[Context]) -> float | None:
    applied = await _override(root, info)
    return applied.score if applied else root.score


@strawberry.type(description="An account's health score as computed at one time, explained to the last number.")
class HealthScore:
    name: str = strawberry.field(description="The score's name, e.g. `overall` or `adoption`.")
    score: float | None = strawberry.field(
        description="0–100, the weighted mean of the present measures; null when the measures with data carry "
        "less weight than the scorecard's `minCoverage` (too little data to score)."
    )
    band: HealthBand | None = strawberry.field(description="Band of the score; null when there is no score.")
    tier: str | None = strawberry.field(description="The scorecard tier the account falls in.")
    suggested_touch_model: TouchModel | None = strawberry.field(description="The touch model the tier suggests.")
    trend: float | None = strawberry.field(
        description="Score minus the previous score of the same name; null without a previous score."
    )
    coverage: float = strawberry.field(description="Share of the scorecard's weight whose measures had data (0–1).")
    computed_at: dt.datetime = strawberry.field(description="When it was computed (UTC): its freshness.")
    scorecard_version: int = strawberry.field(description="Version of the scorecard used.")
    scorecard_id: strawberry.ID = strawberry.field(description="Global id of that scorecard version.")
    measures: list[HealthMeasure] = strawberry.field(description="Every measure of the scorecard, in its order.")
    override: HealthOverride | None = strawberry.field(
        resolver=_override,
        description="The override applying now (set by a CSM, not expired, not lifted); the computed `score` "
        "stays beside it.",
    )
    effective_score: float | None = strawberry.field(
        resolver=_effective_score, description="The override's score when one applies now, else `score`."
    )
    account_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: HealthScoreRow) -> "HealthScore":
        return cls(
            account_id=row.account_id,
            name=row.score_name,
            score=_number(row.score),
            band=HealthBand(row.band) if row.band else None,
            tier=row.tier,
            suggested_touch_model=TouchModel(row.touch_model) if row.touch_model else None,
            trend=_number(row.trend),
            coverage=float(row.coverage),
            computed_at=row.computed_at,
            scorecard_version=row.scorecard_version,
            scorecard_id=encode_global_id(SCORECARD_TYPE_NAME, row.scorecard_id),
            measures=[HealthMeasure.from_json(measure) for measure in row.measures],
        )


@strawberry.type(description="One step of a banded scale.")
class ScaleBand:
    below: float | None = strawberry.field(description="Raw values under this score `score`; null on the last band.")
    score: float = strawberry.field(description="The score, 0–100.")


@strawberry.type(description="How a raw value becomes 0–100.")
class MeasureScale:
    kind: ScaleKind = strawberry.field(description="Linear or banded.")
    zero_at: float | None = strawberry.field(description="LINEAR: the raw value that scores 0.")
    full_at: float | None = strawberry.field(
        description="LINEAR: the raw value that scores 100 (below `zeroAt` when lower is better)."
    )
    bands: list[ScaleBand] | None = strawberry.field(description="BANDED: the steps, in order.")


@strawberry.type(description="A measure of a scorecard.")
class ScorecardMeasure:
    key: str = strawberry.field(description="The measure's key.")
    description: str = strawberry.field(description="What the measure's raw value is, with its unit.")
    weight: float = strawberry.field(description="Its weight (relative; weights need not add up to 100).")
    scale: MeasureScale = strawberry.field(description="How its raw value maps to 0–100.")


@strawberry.type(description="Band cut-offs of a scorecard.")
class ScoreBands:
    red_below: float = strawberry.field(description="Scores under this are RED.")
    yellow_below: float = strawberry.field(description="Scores under this (and not red) are YELLOW; the rest GREEN.")


@strawberry.type(description="A tier of a scorecard; an account is in the first tier whose conditions it meets.")
class ScorecardTier:
    name: str = strawberry.field(description="Tier name.")
    touch_model: TouchModel = strawberry.field(description="The touch model the tier suggests.")
    min_arr: float | None = strawberry.field(description="Least ARR today, in the scorecard's currency.")
    min_score: float | None = strawberry.field(description="Least score.")


def _scale(measure_scale: Any) -> MeasureScale:
    if isinstance(measure_scale, BandedScale):
        bands = [ScaleBand(below=_number(band.below), score=float(band.score)) for band in measure_scale.bands]
        return MeasureScale(kind=ScaleKind.BANDED, zero_at=None, full_at=None, bands=bands)
    return MeasureScale(
        kind=ScaleKind.LINEAR, zero_at=float(measure_scale.zero_at), full_at=float(measure_scale.full_at), bands=None
    )


async def _versions(root: "Scorecard", info: strawberry.Info[Context]) -> list["Scorecard"]:
    async with info.context.read() as conn:
        rows = await versions_of(conn, root.name, str(root.segment.value) if root.segment else None)
    return [Scorecard.from_row(row) for row in rows]


@strawberry.type(description="A version of a scorecard: the configuration that turns facts into a health score.")
class Scorecard(Node):
    name: str = strawberry.field(description="The score it computes, e.g. `overall`.")
    segment: Segment | None = strawberry.field(description="The segment it applies to; null: the default for all.")
    version: int = strawberry.field(description="Version number; every change makes a new version.")
    active: bool = strawberry.field(description="Whether accounts are scored with it (when it is the current version).")
    created_by: str | None = strawberry.field(description="Who made this version.")
    created_at: dt.datetime = strawberry.field(description="When this version was made (UTC).")
    measures: list[ScorecardMeasure] = strawberry.field(description="The measures, in order.")
    bands: ScoreBands = strawberry.field(description="Band cut-offs.")
    tiers: list[ScorecardTier] = strawberry.field(description="Tiers, in the order they are tried.")
    currency: str = strawberry.field(description="Currency of the tiers' ARR thresholds.")
    min_coverage: float = strawberry.field(
        description="Least share of the total weight whose measures must have data for a score (0–1)."
    )
    versions: list["Scorecard"] = strawberry.field(
        resolver=_versions, description="Every version of this scorecard (same name and segment), newest first."
    )

    @classmethod
    def from_row(cls, row: ScorecardRow) -> "Scorecard":
        config: ScorecardConfig = row.parsed
        return cls(
            id=encode_global_id(SCORECARD_TYPE_NAME, row.id),
            name=row.name,
            segment=Segment(row.segment) if row.segment else None,
            version=row.version,
            active=row.is_active,
            created_by=row.created_by,
            created_at=row.created_at,
            measures=[
                ScorecardMeasure(key=m.key, description=MEASURES[m.key], weight=float(m.weight), scale=_scale(m.scale))
                for m in config.measures
            ],
            bands=ScoreBands(red_below=float(config.bands.red_below), yellow_below=float(config.bands.yellow_below)),
            tiers=[
                ScorecardTier(
                    name=t.name,
                    touch_model=TouchModel(t.touch_model),
                    min_arr=_number(t.min_arr),
                    min_score=_number(t.min_score),
                )
                for t in config.tiers
            ],
            currency=config.currency,
            min_coverage=float(config.min_coverage),
        )
