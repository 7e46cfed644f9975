"""What the Segment translation reads before it builds records: the identity map and usage events of its source."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.sources.tables import source_links
from service.usage.tables import usage_events


@dataclass(frozen=True, slots=True)
class UsersAccount:
    """How a record names the account a user was placed in: the group's id in this source, else its domain."""

    group_id: str | None
    domain: str | None


def _ids(values: Sequence[str]) -> sa.BindParameter[Any]:
    return sa.bindparam("ids", sorted(set(values)), type_=sa.ARRAY(sa.Text))


async def known_groups(conn: AsyncConnection, source: str, group_ids: Sequence[str]) -> set[str]:
    """The group ids this source has already sent as accounts."""
    if not group_ids:
        return set()
    rows = await conn.execute(
        sa.select(source_links.c.external_id).where(
            source_links.c.source == source,
            source_links.c.object_type == "account",
            source_links.c.external_id == sa.any_(_ids(group_ids)),
        )
    )
    return {external_id for (external_id,) in rows}


async def accounts_of_users(conn: AsyncConnection, source: str, user_ids: Sequence[str]) -> dict[str, UsersAccount]:
    """The account each known user (a contact of this source) belongs to."""
    if not user_ids:
        return {}
    contact = source_links.alias("contact")
    group = source_links.alias("grp")
    rows = await conn.execute(
        sa.select(contact.c.external_id, sa.func.min(group.c.external_id), sa.func.min(accounts.c.domain))
        .select_from(
            contact.join(accounts, accounts.c.id == contact.c.account_id).outerjoin(
                group,
                sa.and_(
                    group.c.source == contact.c.source,
                    group.c.object_type == "account",
                    group.c.entity_id == contact.c.account_id,
                ),
            )
        )
        .where(
            contact.c.source == source,
            contact.c.object_type == "contact",
            contact.c.external_id == sa.any_(_ids(user_ids)),
        )
        .group_by(contact.c.external_id)
    )
    return {user_id: UsersAccount(group_id, domain) for user_id, group_id, domain in rows}


async def recorded_events(conn: AsyncConnection, source: str, message_ids: Sequence[str]) -> set[str]:
    """The message ids already stored as this source's usage events (a replay writes nothing new)."""
    if not message_ids:
        return set()
    rows = await conn.execute(
        sa.select(usage_events.c.source_event_id).where(
            usage_events.c.source == source, usage_events.c.source_event_id == sa.any_(_ids(message_ids))
        )
    )
    return {event_id for (event_id,) in rows}
