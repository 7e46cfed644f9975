"""The ``acceptHandoff`` mutation: the handoff's accept step with the success plan it starts (``service``)."""

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from service.acceptance import service
from service.api_keys.service import Principal
from service.graphql.context import Context
from service.graphql.relay import decode_typed_id
from service.handoffs.queries import HandoffRow
from service.handoffs.resolvers import Comment, ExpectedVersion, HandoffId, write_handoff
from service.handoffs.results import HandoffResult
from service.handoffs.types import HANDOFF_TYPE_NAME


async def accept_handoff(
    info: strawberry.Info[Context], id: HandoffId, expected_version: ExpectedVersion = None, comment: Comment = None
) -> HandoffResult:
    now = info.context.loaders.now

    async def work(conn: AsyncConnection, by: Principal) -> HandoffRow:
        handoff_id = decode_typed_id(id, HANDOFF_TYPE_NAME)
        return await service.accept_handoff(
            conn, handoff_id, by=by, now=now, comment=comment, expected_version=expected_version
        )

    return await write_handoff(info, work)
