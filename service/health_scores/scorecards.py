"""Scorecards as versioned rows: reading them, creating one, changing one (a new version), the shipped default.

A scorecard is identified by its score name and segment (``None``: the default for every segment). Its rows
are versions; the highest version is the current one, and only current, active versions are used to score.
Versions are never changed or deleted, so every score row points at exactly the configuration it used.
"""

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import SEGMENTS
from service.errors import Conflict, InvalidInput, NotFound
from service.health_scores.config import DEFAULT_CONFIG, ScorecardConfig
from service.health_scores.tables import scorecards

DEFAULT_NAME = "overall"


@dataclass(frozen=True, slots=True)
class ScorecardRow:
    id: uuid.UUID
    name: str
    segment: str | None
    version: int
    config: dict[str, Any]
    is_active: bool
    created_by: str | None
    created_at: dt.datetime

    @property
    def parsed(self) -> ScorecardConfig:
        return ScorecardConfig.model_validate(self.config)


_COLUMNS = tuple(scorecards.c[name] for name in ScorecardRow.__slots__)


def _rows(result: sa.CursorResult[Any]) -> list[ScorecardRow]:
    return [ScorecardRow(**row._mapping) for row in result]


_FRIENDLIER = {
    "union_tag_not_found": "`kind` is required: `linear` or `banded`",
    "union_tag_invalid": "`kind` must be `linear` or `banded`",
}


def validated(config: dict[str, Any]) -> ScorecardConfig:
    """The configuration, or InvalidInput listing every problem with its path (``measures.2.weight: …``)."""
    try:
        return ScorecardConfig.model_validate(config)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            message = _FRIENDLIER.get(error["type"], str(error["msg"]).removeprefix("Value error, "))
            problems.append(f"{path}: {message}" if path else message)
        raise InvalidInput("invalid scorecard: " + "; ".join(problems)) from None


def _document(config: ScorecardConfig) -> dict[str, Any]:
    """The configuration as stored: every default filled in, so the scoring SQL never guesses one."""
    document: dict[str, Any] = config.model_dump(mode="json", exclude_none=True)
    return document


async def ensure_default(conn: AsyncConnection) -> None:
    """Create the shipped default `overall` scorecard (every segment) unless it exists in some version — once
    deactivated or changed, it stays as the team left it."""
    await conn.execute(
        sa.text(
            "INSERT INTO scorecards (name, segment, version, config, created_by) "
            "SELECT :name, NULL, 1, CAST(:config AS jsonb), 'cshub' "
            "WHERE NOT EXISTS (SELECT 1 FROM scorecards WHERE name = :name AND segment IS NULL) "
            "ON CONFLICT DO NOTHING"
        ),
        {"name": DEFAULT_NAME, "config": json.dumps(_document(DEFAULT_CONFIG))},
    )


async def current_scorecards(conn: AsyncConnection, *, include_inactive: bool = False) -> list[ScorecardRow]:
    """The current version of every scorecard, by name then segment (the default first)."""
    s = scorecards.c
    latest = (
        sa.select(*_COLUMNS)
        .ext(distinct_on(s.name, s.segment))
        .order_by(s.name, s.segment.nulls_first(), s.version.desc())
        .subquery()
    )
    query = sa.select(*(latest.c[name] for name in ScorecardRow.__slots__)).order_by(
        latest.c.name, latest.c.segment.nulls_first()
    )
    if not include_inactive:
        query = query.where(latest.c.is_active)
    return _rows(await conn.execute(query))


async def scorecard_by_id(conn: AsyncConnection, scorecard_id: uuid.UUID) -> ScorecardRow | None:
    rows = _rows(await conn.execute(sa.select(*_COLUMNS).where(scorecards.c.id == scorecard_id)))
    return rows[0] if rows else None


async def versions_of(conn: AsyncConnection, name: str, segment: str | None) -> list[ScorecardRow]:
    """Every version of one scorecard, newest first."""
    s = scorecards.c
    same_segment = s.segment.is_(None) if segment is None else s.segment == segment
    query = sa.select(*_COLUMNS).where(s.name == name, same_segment).order_by(s.version.desc())
    return _rows(await conn.execute(query))


def _check_identity(name: str, segment: str | None) -> None:
    if not name.strip() or len(name) > 100:
        raise InvalidInput("name: 1 to 100 characters, e.g. `overall` or `adoption`")
    if segment is not None and segment not in SEGMENTS:
        raise InvalidInput(f"segment: {segment!r} is not one of {', '.join(SEGMENTS)}")


async def _insert(
    conn: AsyncConnection, name: str, segment: str | None, version: int, config: ScorecardConfig, active: bool, by: str
) -> ScorecardRow:
    try:
        async with conn.begin_nested():
            result = await conn.execute(
                sa.insert(scorecards)
                .values(
                    name=name,
                    segment=segment,
                    version=version,
                    config=_document(config),
                    is_active=active,
                    created_by=by,
                )
                .returning(*_COLUMNS)
            )
    except IntegrityError:
        raise Conflict(
            f"scorecard {name!r} ({segment or 'default'}) was changed at the same time; read it again and retry"
        ) from None
    return _rows(result)[0]


async def create_scorecard(
    conn: AsyncConnection, *, name: str, segment: str | None, config: dict[str, Any], by: str
) -> ScorecardRow:
    """Version 1 of a new scorecard; a Conflict when the name and segment already have one."""
    _check_identity(name, segment)
    parsed = validated(config)
    if await versions_of(conn, name, segment):
        raise Conflict(f"scorecard {name!r} ({segment or 'default'}) exists; change it with updateScorecard")
    return await _insert(conn, name, segment, 1, parsed, True, by)


async def update_scorecard(
    conn: AsyncConnection,
    scorecard_id: uuid.UUID,
    *,
    config: dict[str, Any] | None,
    active: bool | None,
    expected_version: int | None,
    by: str,
) -> ScorecardRow:
    """A new version of the scorecard ``scorecard_id`` (any of its versions) with the changes applied."""
    found = await scorecard_by_id(conn, scorecard_id)
    if found is None:
        raise NotFound(f"no scorecard {scorecard_id}")
    current = (await versions_of(conn, found.name, found.segment))[0]
    if expected_version is not None and expected_version != current.version:
        raise Conflict(
            f"scorecard {current.name!r} is at version {current.version}, not {expected_version}: "
            "someone changed it meanwhile; read it again and retry"
        )
    parsed = validated(config) if config is not None else current.parsed
    is_active = current.is_active if active is None else active
    return await _insert(conn, current.name, current.segment, current.version + 1, parsed, is_active, by)
