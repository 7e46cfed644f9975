"""GraphQL types of survey responses and NPS, mapped from the query rows here."""

import dataclasses
import uuid
from datetime import datetime
from enum import Enum

import strawberry

from service.db.paging import UNPAGED
from service.graphql.context import Context
from service.graphql.relay import PageInfo, encode_cursor, encode_global_id
from service.surveys import queries
from service.surveys.queries import NpsRow, SurveyQuery, SurveyRow, nps_score

SURVEY_RESPONSE_TYPE_NAME = "SurveyResponse"


@strawberry.enum(description="The survey a response answers: NPS (0–10) or CSAT (1–5).")
class SurveyKind(Enum):
    NPS = strawberry.enum_value("nps", description="Net Promoter Score survey: 0–10, how likely to recommend.")
    CSAT = strawberry.enum_value("csat", description="Customer satisfaction survey, usually after a ticket: 1–5.")


@strawberry.type(description="One answer to an NPS or CSAT survey.")
class SurveyResponse:
    id: strawberry.ID = strawberry.field(description="Global id of the response.")
    kind: SurveyKind = strawberry.field(description="Which survey.")
    score: int = strawberry.field(description="The score: 0–10 for NPS, 1–5 for CSAT.")
    comment: str | None = strawberry.field(description="Free-text comment, when given.")
    contact_email: str | None = strawberry.field(description="E-mail of the person who answered, when known.")
    responded_at: datetime = strawberry.field(description="When the answer was given (UTC).")

    @classmethod
    def from_row(cls, row: SurveyRow) -> "SurveyResponse":
        return cls(
            id=encode_global_id(SURVEY_RESPONSE_TYPE_NAME, row.id),
            kind=SurveyKind(row.kind),
            score=row.score,
            comment=row.comment,
            contact_email=row.contact_email,
            responded_at=row.responded_at,
        )


@strawberry.type(description="A survey response and its cursor in a connection.")
class SurveyResponseEdge:
    node: SurveyResponse = strawberry.field(description="The response.")
    cursor: str = strawberry.field(description="Opaque cursor; pass it as `after` to continue after this item.")


async def _total_responses(root: "SurveyResponseConnection", info: strawberry.Info[Context]) -> int:
    unpaged = dataclasses.replace(root.query, page=UNPAGED)
    return await info.context.batch(queries.survey_counts, int).load((root.account_id, unpaged))


@strawberry.type(description="A page of survey responses, newest first (Relay connection).")
class SurveyResponseConnection:
    edges: list[SurveyResponseEdge] = strawberry.field(description="The responses of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Pagination state of this page.")
    account_id: strawberry.Private[uuid.UUID]
    query: strawberry.Private[SurveyQuery]

    total_count: int = strawberry.field(
        resolver=_total_responses,
        description="Number of responses over all pages (under the same filter); costs an extra count, so ask only "
        "when needed.",
    )


def survey_edge(row: SurveyRow) -> SurveyResponseEdge:
    return SurveyResponseEdge(
        node=SurveyResponse.from_row(row), cursor=encode_cursor((row.responded_at.isoformat(), row.id))
    )


@strawberry.type(description="Net Promoter Score over a period, with its inputs.")
class NpsSummary:
    responses: int = strawberry.field(description="NPS responses in the period.")
    promoters: int = strawberry.field(description="Responses scoring 9 or 10.")
    passives: int = strawberry.field(description="Responses scoring 7 or 8.")
    detractors: int = strawberry.field(description="Responses scoring 0 to 6.")
    nps: float | None = strawberry.field(
        description="% promoters − % detractors, from −100 to 100, rounded to 2 places (halves away from zero); "
        "null when there are no responses."
    )

    @classmethod
    def from_row(cls, row: NpsRow) -> "NpsSummary":
        return cls(
            responses=row.responses,
            promoters=row.promoters,
            passives=row.passives,
            detractors=row.detractors,
            nps=nps_score(row.promoters, row.detractors, row.responses),
        )
