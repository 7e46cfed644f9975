"""Mutations of the accounts domain."""

from typing import Annotated, cast

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.scalars import JSON

from service.accounts import queries
from service.accounts.queries import AccountRow
from service.customer360.merge import MergeOutcome
from service.customer360.merge import merge_accounts as merge
from service.customer360.types import ACCOUNT_TYPE_NAME, Account
from service.graphql.context import Context
from service.graphql.mutation_errors import MutationError
from service.graphql.permissions import caller
from service.graphql.relay import decode_typed_id, encode_global_id
from service.ingest.shared_domains import shared_domains


@strawberry.input(description="Two accounts that are the same customer.")
class MergeAccountsInput:
    merged_account_id: strawberry.ID = strawberry.field(
        description="Global id of the account that goes away; all its data moves to the other."
    )
    into_account_id: strawberry.ID = strawberry.field(description="Global id of the account that remains.")


@strawberry.type(description="The merge happened: the surviving account, and what moved onto it.")
class AccountsMerged:
    account: Account = strawberry.field(description="The surviving account.")
    merged_account_id: strawberry.ID = strawberry.field(description="Global id of the account that was merged away.")
    moved: JSON = strawberry.field(description='Rows moved per table, e.g. `{"contacts": 3}`.')


MergeAccountsResult = Annotated[
    AccountsMerged | MutationError,
    strawberry.union("MergeAccountsResult", description="The merge, or why it was refused."),
]


async def merge_accounts(
    info: strawberry.Info[Context], input: Annotated[MergeAccountsInput, strawberry.argument(description="The pair.")]
) -> MergeAccountsResult:
    principal = caller(info)
    field = "mergedAccountId"  # the input field a refusal names: the id being decoded, then none

    async def change() -> AccountsMerged:
        nonlocal field
        merged_id = decode_typed_id(input.merged_account_id, ACCOUNT_TYPE_NAME)
        field = "intoAccountId"
        into_id = decode_typed_id(input.into_account_id, ACCOUNT_TYPE_NAME)
        field = ""

        async def work(conn: AsyncConnection) -> tuple[MergeOutcome, AccountRow]:
            outcome = await merge(
                conn,
                merged_id=merged_id,
                into_id=into_id,
                merged_by=principal.actor,
                shared_domains=shared_domains(info.context.settings.shared_domains),
            )
            (row,) = await queries.accounts_by_ids(conn, [into_id])
            return outcome, row

        outcome, row = await info.context.write(work)
        return AccountsMerged(
            account=Account.from_row(row),
            merged_account_id=encode_global_id(ACCOUNT_TYPE_NAME, outcome.merged_account_id),
            moved=cast(JSON, outcome.moved),
        )

    return await info.context.mutate(change, lambda error: MutationError.from_error(error, field or None))
