"""What the Salesforce adapter reads before it writes (the identity map of the Salesforce source,
``source_links``): which of its records cshub knows and in which account, and the contracts of its accounts."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.contracts.tables import contracts
from service.sources.tables import source_links


@dataclass(frozen=True, slots=True)
class SourceContract:
    opportunity_id: str
    start: dt.date
    end: dt.date | None


def _ids(values: Sequence[str]) -> sa.BindParameter[Any]:
    return sa.bindparam("ids", sorted(set(values)), type_=sa.ARRAY(sa.Text))


async def accounts_of(
    conn: AsyncConnection, source: str, object_type: str, external_ids: Sequence[str]
) -> dict[str, str | None]:
    """Each known record of this source → this source's id for its account (None: an account of another source)."""
    if not external_ids:
        return {}
    record = source_links.alias("record")
    org = source_links.alias("org")
    rows = await conn.execute(
        sa.select(record.c.external_id, sa.func.min(org.c.external_id))
        .select_from(
            record.outerjoin(
                org,
                sa.and_(
                    org.c.source == record.c.source,
                    org.c.object_type == "account",
                    org.c.entity_id == record.c.account_id,
                ),
            )
        )
        .where(
            record.c.source == source,
            record.c.object_type == object_type,
            record.c.external_id == sa.any_(_ids(external_ids)),
        )
        .group_by(record.c.external_id)
    )
    return {str(external_id): account for external_id, account in rows}


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
                contract,
                sa.and_(
                    contract.c.source == account.c.source,
                    contract.c.object_type == "contract",
                    contract.c.entity_id == contracts.c.id,
                ),
            )
        )
        .where(
            account.c.source == source,
            account.c.object_type == "account",
            account.c.external_id == sa.any_(_ids(account_ids)),
            contracts.c.status.not_in(("draft", "cancelled")),
        )
    )
    found: dict[str, list[SourceContract]] = {}
    for account_id, opportunity_id, start, end in rows:
        found.setdefault(account_id, []).append(SourceContract(opportunity_id, start, end))
    return found
