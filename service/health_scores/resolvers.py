"""Resolvers of health scores: an account's score and history, scorecards, and the scoring mutations."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from service.errors import CshubError, InvalidInput
from service.graphql.context import Context
from service.graphql.mutation_errors import MutationError
from service.graphql.permissions import caller
from service.graphql.relay import OfAccount, decode_typed_id
from service.health_scores import manual, overrides, queries, scorecards
from service.health_scores.inputs import CreateScorecardInput, UpdateScorecardInput, config_document
from service.health_scores.manual import ManualScoreRow
from service.health_scores.overrides import OverrideRow
from service.health_scores.scorecards import ScorecardRow
from service.health_scores.service import recompute_health, thresholds_from
from service.health_scores.types import (
    OVERRIDE_TYPE_NAME,
    SCORECARD_TYPE_NAME,
    HealthOverride,
    HealthScore,
    Scorecard,
)

ScoreName = Annotated[str, strawberry.argument(description="The score's name; default `overall`.")]


async def account_health(
    root: OfAccount, info: strawberry.Info[Context], name: ScoreName = "overall"
) -> HealthScore | None:
    row = await info.context.batch(queries.latest_scores).load((root.account_id, name))
    return HealthScore.from_row(row) if row else None


async def account_health_history(
    root: OfAccount,
    info: strawberry.Info[Context],
    name: ScoreName = "overall",
    from_: Annotated[
        dt.date | None, strawberry.argument(name="from", description="First day (UTC); default 90 days ago.")
    ] = None,
    to: Annotated[dt.date | None, strawberry.argument(description="First day after (UTC); default tomorrow.")] = None,
) -> list[HealthScore]:
    window = history_window(name, from_, to, info.context.loaders.today)
    return [
        HealthScore.from_row(row)
        for row in await info.context.batch(queries.score_histories, list).load((root.account_id, window))
    ]


def history_window(
    name: str, from_: dt.date | None, to: dt.date | None, today: dt.date
) -> tuple[str, dt.datetime, dt.datetime]:
    """The scores ``healthHistory`` shows: the name and [start, end) from its arguments (and their defaults)."""
    end = to or today + dt.timedelta(days=1)
    start = from_ or end - dt.timedelta(days=91)
    if end <= start:
        raise InvalidInput(f"`to` ({end}) must be after `from` ({start})")
    return name, _midnight(start), _midnight(end)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


async def scorecard_by_uuid(info: strawberry.Info[Context], scorecard_id: uuid.UUID) -> Scorecard | None:
    async with info.context.read() as conn:
        row = await scorecards.scorecard_by_id(conn, scorecard_id)
    return Scorecard.from_row(row) if row else None


async def scorecard(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="Global id of a scorecard version.")],
) -> Scorecard | None:
    return await scorecard_by_uuid(info, decode_typed_id(id, SCORECARD_TYPE_NAME))


async def all_scorecards(
    info: strawberry.Info[Context],
    include_inactive: Annotated[bool, strawberry.argument(description="Also list scorecards switched off.")] = False,
) -> list[Scorecard]:
    async with info.context.read() as conn:
        rows = await scorecards.current_scorecards(conn, include_inactive=include_inactive)
    return [Scorecard.from_row(row) for row in rows]


@strawberry.type(description="The recompute happened.")
class HealthRecomputed:
    accounts: int = strawberry.field(description="Accounts a scorecard applied to.")
    scores: int = strawberry.field(description="Score rows written: one per account and score name.")
    scored: int = strawberry.field(description="Of those, rows with a score (the rest had too little data).")
    alerts_opened: int = strawberry.field(description="Risk alerts the new scores opened.")
    computed_at: dt.datetime = strawberry.field(description="The time the scores are as of (UTC).")


ScorecardResult = Annotated[
    Scorecard | MutationError, strawberry.union("ScorecardResult", description="The scorecard version, or why not.")
]
RecomputeResult = Annotated[
    HealthRecomputed | MutationError, strawberry.union("RecomputeHealthResult", description="Counts, or why not.")
]


def _refusal_naming_its_field(error: CshubError) -> MutationError:
    """The refusal, naming the input field its message starts with (``score: must be 0–100``), if any."""
    named = error.message.split(":", 1)[0] if ":" in error.message else None
    return MutationError.from_error(error, named)


def _actor(info: strawberry.Info[Context]) -> str:
    principal = caller(info)
    return principal.actor


async def create_scorecard(
    info: strawberry.Info[Context], input: Annotated[CreateScorecardInput, strawberry.argument(description="It.")]
) -> ScorecardResult:
    actor = _actor(info)

    async def work(conn: AsyncConnection) -> ScorecardRow:
        segment = str(input.segment.value) if input.segment else None
        document = config_document(input.config)
        return await scorecards.create_scorecard(conn, name=input.name, segment=segment, config=document, by=actor)

    async def change() -> Scorecard:
        return Scorecard.from_row(await info.context.write(work))

    return await info.context.mutate(change)


async def update_scorecard(
    info: strawberry.Info[Context], input: Annotated[UpdateScorecardInput, strawberry.argument(description="It.")]
) -> ScorecardResult:
    actor = _actor(info)

    async def change() -> Scorecard:
        scorecard_id = decode_typed_id(input.id, SCORECARD_TYPE_NAME)

        async def work(conn: AsyncConnection) -> ScorecardRow:
            document = config_document(input.config) if input.config is not None else None
            return await scorecards.update_scorecard(
                conn,
                scorecard_id,
                config=document,
                active=input.active,
                expected_version=input.expected_version,
                by=actor,
            )

        return Scorecard.from_row(await info.context.write(work))

    return await info.context.mutate(change)


async def recompute(
    info: strawberry.Info[Context],
    account_ids: Annotated[
        list[strawberry.ID] | None,
        strawberry.argument(description="Only these accounts (global ids); default every account."),
    ] = None,
) -> RecomputeResult:
    async def change() -> HealthRecomputed:
        ids = [decode_typed_id(value, "Account") for value in account_ids] if account_ids is not None else None

        async def work(conn: AsyncConnection) -> HealthRecomputed:
            thresholds = thresholds_from(info.context.settings)
            result = await recompute_health(conn, info.context.loaders.now, ids, thresholds)
            return HealthRecomputed(
                accounts=result.accounts,
                scores=result.scores,
                scored=result.scored,
                alerts_opened=result.alerts_opened,
                computed_at=result.computed_at,
            )

        return await info.context.write(work)

    refused_field = "accountIds" if account_ids else None
    return await info.context.mutate(change, lambda error: MutationError.from_error(error, refused_field))


@strawberry.input(description="Override an account's computed health score for a while.")
class OverrideHealthInput:
    account_id: strawberry.ID = strawberry.field(description="Global id of the account.")
    name: str = strawberry.field(default="overall", description="The score to override; default `overall`.")
    score: float = strawberry.field(description="The score that applies instead, 0–100.")
    reason: str = strawberry.field(description="Why the computed score is wrong; shown beside the override.")
    expires_at: dt.datetime = strawberry.field(
        description="When the override stops applying (UTC, in the future, at most a year ahead)."
    )


OverrideResult = Annotated[
    HealthOverride | MutationError,
    strawberry.union("HealthOverrideResult", description="The override, or why it was refused."),
]


async def override_health(
    info: strawberry.Info[Context], input: Annotated[OverrideHealthInput, strawberry.argument(description="It.")]
) -> OverrideResult:
    actor = _actor(info)
    try:
        account_id = decode_typed_id(input.account_id, "Account")
    except CshubError as error:
        return MutationError.from_error(error, "accountId")

    async def work(conn: AsyncConnection) -> OverrideRow:
        return await overrides.override_score(
            conn,
            account_id=account_id,
            name=input.name,
            score=Decimal(str(input.score)),
            reason=input.reason,
            expires_at=input.expires_at,
            by=actor,
            now=info.context.loaders.now,
        )

    async def change() -> HealthOverride:
        return HealthOverride.from_row(await info.context.write(work))

    return await info.context.mutate(change, _refusal_naming_its_field)


async def lift_health_override(
    info: strawberry.Info[Context],
    id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the override.")],
) -> OverrideResult:
    actor = _actor(info)

    async def change() -> HealthOverride:
        override_id = decode_typed_id(id, OVERRIDE_TYPE_NAME)

        async def work(conn: AsyncConnection) -> OverrideRow:
            return await overrides.lift_override(conn, override_id, by=actor, now=info.context.loaders.now)

        return HealthOverride.from_row(await info.context.write(work))

    return await info.context.mutate(change)


@strawberry.type(
    description="A CSM's manual score of an account: the `manual` measure's input from the next recompute."
)
class ManualScore:
    score: float = strawberry.field(description="0–100.")
    comment: str = strawberry.field(description="What the score is based on.")
    created_by: str = strawberry.field(description="Who set it.")
    created_at: dt.datetime = strawberry.field(description="When (UTC).")
    expires_at: dt.datetime | None = strawberry.field(description="When it stops counting; null: until replaced.")


@strawberry.input(description="Set the manual score of an account.")
class SetManualScoreInput:
    account_id: strawberry.ID = strawberry.field(description="Global id of the account.")
    score: float = strawberry.field(description="0–100.")
    comment: str = strawberry.field(description="What it is based on (shown in the score's explanation).")
    expires_at: dt.datetime | None = strawberry.field(default=None, description="When it stops counting; optional.")


ManualScoreResult = Annotated[
    ManualScore | MutationError, strawberry.union("ManualScoreResult", description="The manual score, or why not.")
]


async def set_manual_score(
    info: strawberry.Info[Context], input: Annotated[SetManualScoreInput, strawberry.argument(description="It.")]
) -> ManualScoreResult:
    actor = _actor(info)
    try:
        account_id = decode_typed_id(input.account_id, "Account")
    except CshubError as error:
        return MutationError.from_error(error, "accountId")

    async def work(conn: AsyncConnection) -> ManualScoreRow:
        return await manual.set_manual_score(
            conn,
            account_id=account_id,
            score=Decimal(str(input.score)),
            comment=input.comment,
            expires_at=input.expires_at,
            by=actor,
            now=info.context.loaders.now,
        )

    async def change() -> ManualScore:
        row = await info.context.write(work)
        return ManualScore(
            score=float(row.score),
            comment=row.comment,
            created_by=row.created_by,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    return await info.context.mutate(change, _refusal_naming_its_field)
