"""Scorecard configurations: validation with messages naming the fault, versions, conflicts, the shipped default."""

import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.db.pool import in_transaction
from service.errors import Conflict, InvalidInput, NotFound
from service.health_scores.config import DEFAULT_CONFIG
from service.health_scores.scorecards import (
    create_scorecard,
    current_scorecards,
    ensure_default,
    update_scorecard,
    validated,
    versions_of,
)

LINEAR: dict[str, Any] = {"kind": "linear", "zero_at": 0, "full_at": 1}
VALID: dict[str, Any] = {
    "measures": [{"key": "license_utilization", "weight": 2, "scale": LINEAR}],
    "tiers": [{"name": "all", "touch_model": "low"}],
}


def with_(**changes: Any) -> dict[str, Any]:
    return {**VALID, **changes}


def nps(weight: float = 1, **scale: Any) -> dict[str, Any]:
    return {"key": "nps", "weight": weight, "scale": scale or LINEAR}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (with_(measures=[{"key": "happiness", "weight": 1, "scale": LINEAR}]), "unknown measure 'happiness'"),
        (with_(measures=[nps(0)]), "measures.0.weight: Input should be greater than 0"),
        (with_(measures=[nps(-3)]), "measures.0.weight"),
        (with_(measures=[nps(**{**LINEAR, "full_at": 0})]), "zero_at and full_at must differ"),
        (with_(measures=[{"key": "nps", "weight": 1, "scale": {"zero_at": 0, "full_at": 1}}]), "`kind` is required"),
        (with_(measures=[{"key": "nps", "weight": 1, "scale": {"kind": "banded", "bands": [
            {"below": 5, "score": 10}, {"below": 2, "score": 50}, {"score": 100}]}}]), "band thresholds must increase"),
        (with_(measures=[{"key": "nps", "weight": 1, "scale": {"kind": "banded", "bands": [
            {"below": 5, "score": 10}, {"below": 9, "score": 50}]}}]), "the last band must have no `below`"),
        (with_(measures=[{"key": "nps", "weight": 1, "scale": {"kind": "banded", "bands": [
            {"below": 5, "score": 120}, {"score": 50}]}}]), "less than or equal to 100"),
        (with_(measures=[{"key": "nps", "weight": 1, "scale": LINEAR}, {"key": "nps", "weight": 2, "scale": LINEAR}]),
         "repeated: nps"),
        (with_(measures=[]), "measures: List should have at least 1 item"),
        (with_(bands={"red_below": 70, "yellow_below": 40}), "red_below (70) must be under yellow_below (40)"),
        (with_(tiers=[{"name": "big", "touch_model": "high", "min_arr": 1000}]), "last tier must have no conditions"),
        (with_(tiers=[{"name": "x", "touch_model": "personal"}]), "tiers.0.touch_model"),
        (with_(currency="usd"), "currency"),
        (with_(min_coverage=0), "min_coverage"),
        (with_(surprise=True), "surprise: Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_invalid_configurations_are_refused_with_the_fault_named(config: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validated(config)
    assert message in refused.value.message


def test_the_default_scorecard_is_valid_and_weighs_every_measure_kind() -> None:
    assert validated(DEFAULT_CONFIG.model_dump(mode="json")) == DEFAULT_CONFIG
    assert sum(measure.weight for measure in DEFAULT_CONFIG.measures) == 100


async def test_versions_conflicts_and_the_default(engine: AsyncEngine) -> None:
    async def work(conn: AsyncConnection) -> None:
        await ensure_default(conn)
        await ensure_default(conn)  # once only
        (default,) = await current_scorecards(conn)
        assert (default.name, default.segment, default.version, default.created_by) == ("overall", None, 1, "cshub")

        smb = await create_scorecard(conn, name="overall", segment="smb", config=VALID, by="aiko")
        with pytest.raises(Conflict, match="exists; change it with updateScorecard"):
            await create_scorecard(conn, name="overall", segment="smb", config=VALID, by="aiko")
        with pytest.raises(InvalidInput, match="segment: 'huge' is not one of"):
            await create_scorecard(conn, name="overall", segment="huge", config=VALID, by="aiko")

        changed = with_(min_coverage=0.8)
        second = await update_scorecard(conn, smb.id, config=changed, active=None, expected_version=1, by="ben")
        assert (second.version, second.config["min_coverage"], second.created_by) == (2, "0.8", "ben")
        with pytest.raises(Conflict, match="is at version 2, not 1"):
            await update_scorecard(conn, smb.id, config=VALID, active=None, expected_version=1, by="aiko")
        # Any version's id names the scorecard; the change applies on top of the current version.
        third = await update_scorecard(conn, smb.id, config=None, active=False, expected_version=2, by="aiko")
        assert (third.version, third.is_active, third.config["min_coverage"]) == (3, False, "0.8")
        assert [row.version for row in await versions_of(conn, "overall", "smb")] == [3, 2, 1]
        assert [row.segment for row in await current_scorecards(conn)] == [None]
        assert [row.segment for row in await current_scorecards(conn, include_inactive=True)] == [None, "smb"]
        with pytest.raises(NotFound):
            await update_scorecard(conn, uuid.uuid4(), config=None, active=True, expected_version=None, by="aiko")

    await in_transaction(engine, work)
