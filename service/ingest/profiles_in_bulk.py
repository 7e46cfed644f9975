"""Account profiles recomputed for many accounts at once: ``account_records``' rule (each field from the
highest-ranked source that sends one; a domain another account holds stays off) from links and domain holders the
caller read, and one update for the whole batch. A new account's profile is its one link's, so it is inserted with
it (``without_taken_domains``) rather than recomputed."""

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.ingest.account_records import PROFILE_FIELDS, merged_profile

# What each profile column becomes: a profile without a name keeps the stored one, and one without a domain (none
# sent, or another account holds it) the stored domain. An account whose columns would not change is not written.
_BECOMES = {
    "name": "coalesce(u.name, a.name)",
    "domain": "CASE WHEN u.sets_domain THEN u.domain ELSE a.domain END",
    **{name: f"u.{name}" for name in PROFILE_FIELDS if name not in ("name", "domain")},
}
_UPDATE = sa.text(
    "UPDATE accounts AS a SET "  # noqa: S608 (only our own SQL and column names)
    + ", ".join(f"{name} = {value}" for name, value in _BECOMES.items())
    + ", updated_at = now()"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:sets_domain AS boolean[]), CAST(:name AS text[]),"
    " CAST(:domain AS text[]), CAST(:industry AS text[]), CAST(:segment AS text[]), CAST(:lifecycle_stage AS text[]),"
    " CAST(:touch_model AS text[]), CAST(:csm_owner AS text[]), CAST(:sales_owner AS text[]))"
    " AS u(id, sets_domain, name, domain, industry, segment, lifecycle_stage, touch_model, csm_owner, sales_owner)"
    " WHERE a.id = u.id AND a.id = ANY(CAST(:ids AS uuid[]))"  # found by key, not by hashing the whole table
    f" AND ({', '.join(f'a.{name}' for name in _BECOMES)}) IS DISTINCT FROM ({', '.join(_BECOMES.values())})"
)


async def domain_holders(conn: AsyncConnection, domains: Collection[str]) -> dict[str, uuid.UUID]:
    """The accounts that hold these domains now (domain: account id); a domain nobody holds is left out."""
    if not domains:
        return {}
    held = await conn.execute(
        sa.select(accounts.c.domain, accounts.c.id).where(
            accounts.c.domain == sa.any_(sa.bindparam("domains", sorted(domains), type_=sa.ARRAY(sa.Text)))
        )
    )
    return {row[0]: row[1] for row in held}


def without_taken_domains(
    profiles: dict[uuid.UUID, dict[str, Any]], holders: Mapping[str, uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The profiles (account id: profile), each without its domain where another account holds it (``holders``:
    ``domain_holders`` of at least the profiles' domains)."""
    for account_id, profile in profiles.items():
        holder = holders.get(profile.get("domain") or "")
        if holder is not None and holder != account_id:
            del profile["domain"]
    return profiles


async def recompute_profiles(
    conn: AsyncConnection,
    links: Mapping[uuid.UUID, Sequence[tuple[str, dict[str, Any]]]],
    priority: Sequence[str],
    holders: Mapping[str, uuid.UUID],
) -> None:
    """``account_records._recompute_profile`` for each account, from its links as saved (account id: each link's
    source and payload) and who holds the domains they name (``without_taken_domains``); no two of the accounts may
    claim one domain (the caller checks: otherwise which one keeps it would depend on the order). An account whose
    profile comes out as stored is not written: not even its ``updated_at`` moves."""
    if not links:
        return
    ids = sorted(links)
    profiles = without_taken_domains(
        {account_id: merged_profile(links[account_id], priority) for account_id in ids}, holders
    )
    params: dict[str, Any] = {
        "ids": ids,
        "sets_domain": ["domain" in profiles[account_id] for account_id in ids],
    }
    for name in PROFILE_FIELDS:
        params[name] = [profiles[account_id].get(name) for account_id in ids]
    types = {"ids": sa.ARRAY(sa.Uuid), "sets_domain": sa.ARRAY(sa.Boolean)}
    await conn.execute(
        _UPDATE.bindparams(*(sa.bindparam(k, v, type_=types.get(k, sa.ARRAY(sa.Text))) for k, v in params.items()))
    )
