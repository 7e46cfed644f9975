"""Rules a new user tripped over: one open handoff per account and deal, and the CSM who accepts a handoff
owns it (and the action items accepting creates) unless sales named one."""

import asyncio
import copy
import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.acceptance import service as acceptance
from service.action_items.tables import action_items
from service.api_keys.roles import Role
from service.errors import Conflict
from service.graphql.relay import encode_global_id
from service.handoffs import service
from service.handoffs.tables import handoffs
from service.handoffs.workflow import Action
from service.settings import Settings
from tests.compiled_reads import both_ways, fallbacks
from tests.conftest import make_key
from tests.handoff_factories import T0, complete_record, create, force_state, principal


async def _open_count(engine: AsyncEngine, account_id: object) -> int:
    async with engine.connect() as conn:
        counted = sa.select(sa.func.count()).select_from(handoffs).where(handoffs.c.account_id == account_id)
        return int(await conn.scalar(counted) or 0)


async def test_a_second_open_handoff_for_the_same_deal_is_refused(engine: AsyncEngine) -> None:
    sales = principal(Role.SALES)
    first = await create(engine, sales)  # deal OPP-1001
    for state in ("DRAFT", "SUBMITTED", "RETURNED"):
        await force_state(engine, first.id, state)
        with pytest.raises(Conflict, match=rf"already an open handoff \({state}\) for deal 'OPP-1001'"):
            async with engine.begin() as conn:
                await service.create_handoff(conn, first.account_id, complete_record(), by=sales, now=T0)
    assert await _open_count(engine, first.account_id) == 1

    other_deal = complete_record() | {"opportunity_ref": "OPP-2002"}
    async with engine.begin() as conn:
        second = await service.create_handoff(conn, first.account_id, other_deal, by=sales, now=T0)
        # Nor may an edit move a handoff onto a deal another open one has.
        with pytest.raises(Conflict, match="OPP-1001"):
            await service.update_handoff(
                conn, second.id, {"opportunity_ref": "OPP-1001"}, expected_version=1, by=sales, now=T0
            )

    await force_state(engine, first.id, "CANCELLED")  # once the first is closed, the deal may start again
    async with engine.begin() as conn:
        await service.create_handoff(conn, first.account_id, complete_record(), by=sales, now=T0)
    assert await _open_count(engine, first.account_id) == 3


async def test_drafts_without_a_deal_count_as_one_deal(engine: AsyncEngine) -> None:
    sales = principal(Role.SALES)
    first = await create(engine, sales, {})
    with pytest.raises(Conflict, match="without an opportunityRef"):
        async with engine.begin() as conn:
            await service.create_handoff(conn, first.account_id, {}, by=sales, now=T0)


async def test_two_concurrent_first_drafts_of_a_deal_make_one(engine: AsyncEngine) -> None:
    sales = principal(Role.SALES)
    first = await create(engine, sales)
    await force_state(engine, first.id, "CANCELLED")

    async def start() -> str:
        try:
            async with engine.begin() as conn:
                await service.create_handoff(conn, first.account_id, complete_record(), by=sales, now=T0)
                await asyncio.sleep(0.05)  # hold the account's lock while the other request waits on it
            return "created"
        except Conflict:
            return "conflict"

    assert sorted(await asyncio.gather(start(), start())) == ["conflict", "created"]


async def test_the_accepting_csm_owns_the_handoff_and_its_action_items(engine: AsyncEngine) -> None:
    sales, csm = principal(Role.SALES), principal(Role.CSM, "Aiko Tanaka")
    record = copy.deepcopy(complete_record())
    del record["csm_owner"]
    record["implementation"]["pre_start_tasks"] = [{"title": "Export legacy tickets"}]
    row = await create(engine, sales, record)
    assert row.csm_owner is None
    async with engine.begin() as conn:
        await service.transition(conn, row.id, Action.SUBMIT, by=sales, now=T0)
        accepted = await acceptance.accept_handoff(conn, row.id, by=csm, now=T0)
    assert accepted.csm_owner == "Aiko Tanaka"
    async with engine.connect() as conn:
        owners = await conn.scalars(sa.select(action_items.c.owner).where(action_items.c.handoff_id == row.id))
        assert set(owners) == {"Aiko Tanaka"}

    named = await create(engine, sales)  # sales named the CSM: accepting keeps that name
    async with engine.begin() as conn:
        await service.transition(conn, named.id, Action.SUBMIT, by=sales, now=T0)
        kept = await acceptance.accept_handoff(conn, named.id, by=principal(Role.ADMIN, "ops"), now=T0)
    assert kept.csm_owner == "Aiko"


CONTEXT = """query($id: ID!) { handoffContext(accountId: $id) {
  handoffInEffect { opportunityRef state csmOwner }
  openHandoffs { opportunityRef state }
  latestHandoff { opportunityRef state }
} }"""


async def test_the_context_shows_the_handoff_in_effect_and_the_open_ones_apart(
    engine: AsyncEngine, settings: Settings
) -> None:
    sales, csm = principal(Role.SALES), principal(Role.CSM, "Aiko Tanaka")
    accepted = await create(engine, sales)  # OPP-1001, accepted
    async with engine.begin() as conn:
        await service.transition(conn, accepted.id, Action.SUBMIT, by=sales, now=T0)
        await acceptance.accept_handoff(conn, accepted.id, by=csm, now=T0)
        # Later, sales start the renewal's handoff: a newer DRAFT of another deal.
        renewal = complete_record() | {"opportunity_ref": "OPP-1001-R"}
        await service.create_handoff(conn, accepted.account_id, renewal, by=sales, now=T0 + dt.timedelta(days=300))
    admin = await make_key(engine, Role.ADMIN)
    async with both_ways(settings) as paths:
        with fallbacks() as fell_back:
            answer = await paths.same(admin, CONTEXT, {"id": encode_global_id("Account", accepted.account_id)})
    assert fell_back.seen == []
    context = answer["data"]["handoffContext"]
    assert context["handoffInEffect"] == {"opportunityRef": "OPP-1001", "state": "ACCEPTED", "csmOwner": "Aiko"}
    assert context["openHandoffs"] == [{"opportunityRef": "OPP-1001-R", "state": "DRAFT"}]
    assert context["latestHandoff"] == {"opportunityRef": "OPP-1001-R", "state": "DRAFT"}  # deprecated: why
