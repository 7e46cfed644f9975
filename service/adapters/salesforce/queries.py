"""What the Salesforce adapter reads before it writes, beside the account of each known record
(``service.sources.queries``): the contracts of its accounts (by the identity map of the Salesforce source,
``source_links``)."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.contracts.tables import contracts
from service.sources.queries import sibling_link, text_ids
from service.sources.tables import source_links


@dataclass(frozen=True, slots=True)
class SourceContract:
    opportunity_id: str
    start: dt.date
    end: dt.date | None


async def contracts_of(
    conn: AsyncConnection, source: str, account_ids: Sequence[str]
) -> dict[str, list[SourceContract]]:
    """The counted contracts of this source in each account (by this source's account id)."""
    if not account_ids:
        return {}
    account = source_links.alias("account")
    contract = source_links.alias("contract")
    rows = await conn.execute(
        sa.select(account.c.external_id, contract.c.external_id, contracts.c.start_date, contracts.c.end_date)
        .select_from(
            account.join(contracts, contracts.c.account_id == account.c.entity_id).join(
                contract, sibling_link(contract, account, "contract", contracts.c.id)
            )
        )
        .where(
            account.c.source == source,
            account.c.object_type == "account",
            account.c.external_id == sa.any_(text_ids(account_ids)),
            contracts.c.status.not_in(("draft", "cancelled")),
        )
    )
    found: dict[str, list[SourceContract]] = {}
    for account_id, opportunity_id, start, end in rows:
        found.setdefault(account_id, []).append(SourceContract(opportunity_id, start, end))
    return found
