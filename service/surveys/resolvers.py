"""Resolvers of the surveys domain on ``Account``: responses (a connection) and NPS over a period."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import strawberry

from service.db.paging import PageRequest
from service.errors import InvalidInput
from service.graphql.context import Context
from service.graphql.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, OfAccount, decode_time_cursor, page_size, paged
from service.surveys import queries
from service.surveys.queries import NpsRow, SurveyQuery
from service.surveys.types import NpsSummary, SurveyKind, SurveyResponseConnection, survey_edge

NPS_DEFAULT_DAYS = 90


def survey_query(kind: SurveyKind | None, first: int | None, after: str | None) -> SurveyQuery:
    """The responses and the page the arguments of ``Account.surveys`` ask for (``InvalidInput`` if refused)."""
    return SurveyQuery(
        page=PageRequest(limit=page_size(first), after=decode_time_cursor(after)),
        kinds=(str(kind.value),) if kind is not None else None,
    )


async def account_surveys(
    root: OfAccount,
    info: strawberry.Info[Context],
    kind: Annotated[SurveyKind | None, strawberry.argument(description="Only this survey; default both.")] = None,
    first: Annotated[
        int | None, strawberry.argument(description=f"Page size, 0 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}.")
    ] = None,
    after: Annotated[str | None, strawberry.argument(description="Continue after this cursor (`endCursor`).")] = None,
) -> SurveyResponseConnection:
    query = survey_query(kind, first, after)
    rows = await info.context.batch(queries.survey_pages, list).load((root.account_id, query))
    edges, info_ = paged(rows, query.page.limit, survey_edge, after)
    return SurveyResponseConnection(edges=edges, page_info=info_, account_id=root.account_id, query=query)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def nps_window(from_: date | None, to: date | None, today: date) -> tuple[datetime, datetime]:
    """The instants [start, end) of ``Account.nps(from, to)``; ``InvalidInput`` when ``to`` is not after ``from``."""
    end = to or today + timedelta(days=1)
    start = from_ or end - timedelta(days=NPS_DEFAULT_DAYS)
    if end <= start:
        raise InvalidInput(f"to ({end.isoformat()}) must be after from ({start.isoformat()}); to is exclusive")
    return _midnight(start), _midnight(end)


async def account_nps(
    root: OfAccount,
    info: strawberry.Info[Context],
    from_: Annotated[
        date | None, strawberry.argument(name="from", description="First day (UTC); default 89 days before `to`.")
    ] = None,
    to: Annotated[
        date | None, strawberry.argument(description="First day after the period (exclusive); default tomorrow.")
    ] = None,
) -> NpsSummary:
    row = await info.context.batch(queries.nps_of_accounts, lambda: NpsRow(0, 0, 0, 0)).load(
        (root.account_id, nps_window(from_, to, info.context.loaders.today))
    )
    return NpsSummary.from_row(row)
