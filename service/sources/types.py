"""GraphQL types of the identity map: an account's source links, and records waiting for an account."""

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from service.graphql.context import Context
from service.graphql.relay import PageInfo
from service.sources.queries import AccountSourceRow, UnmatchedQuery, UnmatchedRow, count_unmatched


@strawberry.type(description="A source system's record of an account: the identity map entry and its provenance.")
class AccountSource:
    source: str = strawberry.field(description="The source system (as sent in ingest batches).")
    external_id: str = strawberry.field(description="The source's own id for the account.")
    first_seen_at: datetime = strawberry.field(description="When cshub first received this link.")
    last_synced_at: datetime = strawberry.field(description="When the source last sent this account.")
    source_updated_at: datetime | None = strawberry.field(
        description="The source's own last-modified time of the record, when it sends one."
    )

    @classmethod
    def from_row(cls, row: AccountSourceRow) -> "AccountSource":
        return cls(
            source=row.source,
            external_id=row.external_id,
            first_seen_at=row.first_seen_at,
            last_synced_at=row.last_synced_at,
            source_updated_at=row.source_updated_at,
        )


@strawberry.type(
    description="An ingested record whose account could not be resolved yet. It is kept as received and "
    "re-ingested automatically when its account becomes known (by this source's id or by domain)."
)
class UnmatchedRecord:
    id: strawberry.ID = strawberry.field(description="Id of the waiting record (as answered by the ingest API).")
    source: str = strawberry.field(description="The source that sent it.")
    entity: str = strawberry.field(description="The ingest entity, e.g. `tickets`.")
    external_id: str = strawberry.field(description="The record's id in its source.")
    account_external_id: str | None = strawberry.field(description="The account id it names, in its source.")
    account_domain: str | None = strawberry.field(description="The (normalised) account domain it names.")
    candidate_account_ids: list[strawberry.ID] = strawberry.field(
        description="When its domain names several accounts, those accounts (the hub does not pick one: merge "
        "them, or have the source name the account by its id); otherwise empty."
    )
    payload: JSON = strawberry.field(description="The record exactly as last received.")
    first_seen_at: datetime = strawberry.field(description="When it was first received.")
    last_seen_at: datetime = strawberry.field(description="When it was last received.")
    resolved_at: datetime | None = strawberry.field(description="When it was matched and stored; null while waiting.")

    @classmethod
    def from_row(cls, row: UnmatchedRow) -> "UnmatchedRecord":
        return cls(
            id=strawberry.ID(str(row.id)),
            source=row.source,
            entity=row.entity,
            external_id=row.external_id,
            account_external_id=row.account_external_id,
            account_domain=row.account_domain,
            candidate_account_ids=[strawberry.ID(str(account_id)) for account_id in row.candidate_account_ids or ()],
            payload=cast(JSON, row.payload),
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            resolved_at=row.resolved_at,
        )


@strawberry.type(description="An unmatched record and its cursor.")
class UnmatchedRecordEdge:
    node: UnmatchedRecord = strawberry.field(description="The waiting record.")
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")


async def _total_unmatched(root: "UnmatchedRecordConnection", info: strawberry.Info[Context]) -> int:
    async with info.context.read() as conn:
        return await count_unmatched(conn, root.query)


@strawberry.type(description="A page of unmatched records, oldest first (Relay connection).")
class UnmatchedRecordConnection:
    edges: list[UnmatchedRecordEdge] = strawberry.field(description="The records of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Pagination state of this page.")
    query: strawberry.Private[UnmatchedQuery]

    total_count: int = strawberry.field(
        resolver=_total_unmatched,
        description="Number of records over all pages (under the same arguments); costs an extra count, so ask "
        "only when needed.",
    )
