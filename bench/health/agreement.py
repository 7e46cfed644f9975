"""Agreement: what ``recompute_health`` wrote (its history rows at ``now``) against the baseline's answer,
account by account: the score (to 0.01), band, coverage, and per measure whether it was missing and its
raw value (the service stores it rounded to 4 decimals)."""

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.health.baseline import MEASURE_KEYS, baseline_statement

SCORE_TOLERANCE = 0.01
RAW_TOLERANCE = 0.0001
EXAMPLES = 12

OURS_SQL = """
SELECT account_id, score, band, coverage, measures FROM health_scores
WHERE score_name = 'overall' AND computed_at = CAST(:now AS timestamptz)
"""


@dataclass
class Agreement:
    accounts: int = 0  # accounts compared (in both answers)
    mismatches: Counter[str] = field(default_factory=Counter)  # by what differed
    examples: list[str] = field(default_factory=list)
    max_score_difference: float = 0.0
    bands: Counter[str] = field(default_factory=Counter)  # the service's bands ('none': no score)
    missing: Counter[str] = field(default_factory=Counter)  # accounts without data, by measure (baseline)

    def differ(self, account_id: uuid.UUID, what: str, ours: object, baseline: object) -> None:
        self.mismatches[what] += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(f"  account {account_id}: {what}: service {ours!r}, baseline {baseline!r}")

    @property
    def ok(self) -> bool:
        return not self.mismatches


def params(now: dt.datetime) -> dict[str, Any]:
    """The baseline's parameters; ``today`` is the UTC day of ``now``, as the service takes it."""
    return {"now": now, "today": now.astimezone(dt.UTC).date()}


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _close(ours: float | None, baseline: float | None, tolerance: float) -> bool:
    if ours is None or baseline is None:
        return ours is None and baseline is None
    return abs(ours - baseline) <= tolerance + 1e-9


def _rounded(value: object, places: int) -> float | None:
    return None if value is None else float(round(Decimal(str(value)), places))


def compare(ours: dict[uuid.UUID, Any], baseline: dict[uuid.UUID, Any]) -> Agreement:
    result = Agreement()
    for account_id in sorted(set(ours) ^ set(baseline)):
        result.differ(account_id, "present", account_id in ours, account_id in baseline)
    for account_id in sorted(set(ours) & set(baseline)):
        mine, theirs = ours[account_id], baseline[account_id]
        result.accounts += 1
        result.bands[mine.band or "none"] += 1
        score, base_score = _number(mine.score), _number(theirs.score)
        if score is not None and base_score is not None:
            result.max_score_difference = max(result.max_score_difference, abs(score - base_score))
        if not _close(score, base_score, SCORE_TOLERANCE):
            result.differ(account_id, "score", score, base_score)
        if mine.band != theirs.band:
            result.differ(account_id, "band", mine.band, theirs.band)
        if not _close(_number(mine.coverage), _rounded(theirs.coverage, 4), RAW_TOLERANCE):
            result.differ(account_id, "coverage", _number(mine.coverage), _rounded(theirs.coverage, 4))
        measures = {measure["key"]: measure for measure in mine.measures}
        if list(measures) != list(MEASURE_KEYS):
            result.differ(account_id, "measure keys", list(measures), list(MEASURE_KEYS))
            continue
        for key in MEASURE_KEYS:
            raw, base_raw = measures[key]["raw_value"], _rounded(getattr(theirs, key), 4)
            result.missing[key] += base_raw is None
            if measures[key]["missing"] != (base_raw is None):
                result.differ(account_id, f"{key} missing", measures[key]["missing"], base_raw is None)
            elif not _close(_number(raw), base_raw, RAW_TOLERANCE):
                result.differ(account_id, f"{key} raw value", raw, base_raw)
    return result


async def check_agreement(conn: AsyncConnection, now: dt.datetime) -> Agreement:
    """Compare, in the caller's transaction, the rows ``recompute_health(conn, now)`` wrote with the baseline."""
    ours = {row.account_id: row for row in await conn.execute(sa.text(OURS_SQL), {"now": now})}
    baseline = {row.account_id: row for row in await conn.execute(baseline_statement(), params(now))}
    return compare(ours, baseline)


def agreement_lines(agreement: Agreement, accounts: int) -> list[str]:
    bands = ", ".join(f"{band} {count}" for band, count in sorted(agreement.bands.items()))
    if agreement.ok:
        return [
            f"agreement: OK: {agreement.accounts} of {accounts} accounts, service = baseline on score (max difference "
            f"{agreement.max_score_difference:.4f}), band, coverage and all {len(MEASURE_KEYS)} measures' raw values "
            f"and missing flags; service bands: {bands}",
            "accounts without data, by measure: "
            + ", ".join(f"{key} {agreement.missing[key]}" for key in MEASURE_KEYS),
        ]
    counts = ", ".join(f"{what} {count}" for what, count in agreement.mismatches.most_common())
    banner = "!" * 100
    return [
        banner,
        f"AGREEMENT FAILED: the service and the baseline differ ({agreement.accounts} accounts compared): {counts}",
        *agreement.examples,
        f"service bands: {bands}; max score difference {agreement.max_score_difference:.4f}",
        banner,
    ]
