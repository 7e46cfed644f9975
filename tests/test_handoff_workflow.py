"""The handoff workflow on a real database: every state × step × role, the submit gate, comments,
version checks, concurrent steps and what accepting creates."""

import asyncio
import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.acceptance import service as acceptance
from service.action_items.tables import action_items
from service.api_keys.roles import Role
from service.api_keys.service import Principal
from service.errors import IllegalTransition, IncompleteRecord, InvalidInput, PermissionDenied, VersionConflict
from service.goals.tables import goals
from service.handoffs import queries, service
from service.handoffs.queries import HandoffFilter
from service.handoffs.tables import handoff_events, handoffs
from service.handoffs.workflow import Action
from tests.handoff_factories import T0, complete_record, create, force_state, principal

STATES = ("DRAFT", "SUBMITTED", "ACCEPTED", "RETURNED", "KICKOFF_HELD", "FIRST_VALUE_REACHED", "CANCELLED")

# Written out by hand from the issue, not derived from the code under test.
LEGAL = {
    ("DRAFT", Action.SUBMIT): "SUBMITTED",
    ("RETURNED", Action.SUBMIT): "SUBMITTED",
    ("SUBMITTED", Action.ACCEPT): "ACCEPTED",
    ("SUBMITTED", Action.RETURN): "RETURNED",
    ("ACCEPTED", Action.HOLD_KICKOFF): "KICKOFF_HELD",
    ("KICKOFF_HELD", Action.REACH_FIRST_VALUE): "FIRST_VALUE_REACHED",
    **{(state, Action.CANCEL): "CANCELLED" for state in ("DRAFT", "SUBMITTED", "ACCEPTED", "RETURNED", "KICKOFF_HELD")},
}
MAY = {
    Action.SUBMIT: {"admin", "sales"},
    Action.ACCEPT: {"admin", "csm"},
    Action.RETURN: {"admin", "csm"},
    Action.HOLD_KICKOFF: {"admin", "csm"},
    Action.REACH_FIRST_VALUE: {"admin", "csm"},
    Action.CANCEL: {"admin", "csm", "sales"},
}
ACTORS = ("admin", "csm", "sales (author)", "sales (other)", "bi", "ingest")


def _expected(state: str, action: Action, actor: str) -> str:
    role = actor.split()[0]
    if role not in MAY[action] or actor == "sales (other)":
        return "forbidden"
    if role == "sales" and action is Action.CANCEL and state not in ("DRAFT", "RETURNED"):
        return "forbidden"
    return LEGAL.get((state, action), "illegal")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(Action))
async def test_every_step_from_every_state_for_every_role(engine: AsyncEngine, state: str, action: Action) -> None:
    author = principal(Role.SALES, "author")
    callers = {
        "admin": principal(Role.ADMIN),
        "csm": principal(Role.CSM),
        "sales (author)": author,
        "sales (other)": principal(Role.SALES, "other"),
        "bi": principal(Role.BI),
        "ingest": principal(Role.INGEST),
    }
    for actor in ACTORS:
        row = await create(engine, author)
        await force_state(engine, row.id, state)
        expected = _expected(state, action, actor)
        now = T0 + dt.timedelta(days=1)
        try:
            async with engine.begin() as conn:
                moved = await service.transition(
                    conn, row.id, action, by=callers[actor], now=now, comment="because", expected_version=1
                )
        except PermissionDenied:
            assert expected == "forbidden", (state, action, actor)
        except IllegalTransition as error:
            refused = error
            assert expected == "illegal", (state, action, actor)
            assert (refused.current_state, state in refused.message) == (state, True)
        else:
            assert moved.state == expected, (state, action, actor)
            assert moved.version == 2
            async with engine.connect() as conn:
                event = (
                    await conn.execute(
                        sa.select(handoff_events).where(
                            handoff_events.c.handoff_id == row.id, handoff_events.c.from_state.is_not(None)
                        )
                    )
                ).one()
            assert (event.from_state, event.to_state, event.comment, event.occurred_at) == (
                state,
                expected,
                "because",
                now,
            )
            assert event.actor_role == callers[actor].role.value
            continue
        async with engine.connect() as conn:  # a refused step changes nothing
            unchanged = (
                await conn.execute(sa.select(handoffs.c.state, handoffs.c.version).where(handoffs.c.id == row.id))
            ).one()
        assert tuple(unchanged) == (state, 1)


async def test_submit_lists_every_missing_field(engine: AsyncEngine) -> None:
    sales = principal(Role.SALES)
    draft = await create(engine, sales, {"goals": [{"outcome": "Grow", "success_criterion": {"metric": "NPS"}}]})
    with pytest.raises(IncompleteRecord) as refused:
        async with engine.begin() as conn:
            await service.transition(conn, draft.id, Action.SUBMIT, by=sales, now=T0)
    assert refused.value.missing == (
        "goals (at least one goal with a success criterion: metric, baseline, target, dueOn)",
        "stakeholders (a DECISION_MAKER or ECONOMIC_BUYER)",
        "deal.arr",  # amount and currency: no ARR at all
        "deal.contractStartDate",
        "deal.pricingTerms",
        "deal.billingTerms",
        "timeline.kickoffDate",
    )
    assert "7 required field(s)" in refused.value.message

    almost = complete_record()
    del almost["deal"]["billing_terms"]
    almost["stakeholders"] = [{"name": "Lee", "role": "champion"}]
    async with engine.begin() as conn:
        await service.update_handoff(conn, draft.id, almost, expected_version=1, by=sales, now=T0)
    with pytest.raises(IncompleteRecord) as refused:
        async with engine.begin() as conn:
            await service.transition(conn, draft.id, Action.SUBMIT, by=sales, now=T0)
    assert refused.value.missing == ("stakeholders (a DECISION_MAKER or ECONOMIC_BUYER)", "deal.billingTerms")

    # A record stored with an ARR but no currency (written before the API took them as one Money).
    no_currency = complete_record()
    del no_currency["deal"]["currency"]
    async with engine.begin() as conn:
        await service.update_handoff(conn, draft.id, no_currency, expected_version=2, by=sales, now=T0)
    with pytest.raises(IncompleteRecord) as refused:
        async with engine.begin() as conn:
            await service.transition(conn, draft.id, Action.SUBMIT, by=sales, now=T0)
    assert refused.value.missing == ("deal.arr.currency",)


async def test_returning_needs_a_comment_and_counts(engine: AsyncEngine) -> None:
    sales, csm = principal(Role.SALES), principal(Role.CSM)
    row = await create(engine, sales)
    async with engine.begin() as conn:
        await service.transition(conn, row.id, Action.SUBMIT, by=sales, now=T0)
    for blank in (None, "", "   "):
        with pytest.raises(InvalidInput, match="needs a comment"):
            async with engine.begin() as conn:
                await service.transition(conn, row.id, Action.RETURN, by=csm, now=T0, comment=blank)
    async with engine.begin() as conn:
        returned = await service.transition(conn, row.id, Action.RETURN, by=csm, now=T0, comment=" add the SSO scope ")
    assert (returned.state, returned.returned_count) == ("RETURNED", 1)
    async with engine.connect() as conn:
        events = await conn.execute(
            sa.select(handoff_events.c.to_state, handoff_events.c.comment).where(handoff_events.c.handoff_id == row.id)
        )
        assert sorted(map(tuple, events)) == [
            ("DRAFT", "created"),
            ("RETURNED", "add the SSO scope"),
            ("SUBMITTED", None),
        ]


async def test_a_stale_edit_is_refused_and_overwrites_nothing(engine: AsyncEngine) -> None:
    sales = principal(Role.SALES)
    row = await create(engine, sales)
    async with engine.begin() as conn:
        first = await service.update_handoff(
            conn, row.id, {"sensitivities": "CFO is sceptical"}, expected_version=1, by=sales, now=T0
        )
    assert first.version == 2
    with pytest.raises(VersionConflict) as stale:
        async with engine.begin() as conn:
            await service.update_handoff(conn, row.id, {"sensitivities": "none"}, expected_version=1, by=sales, now=T0)
    assert stale.value.current_version == 2
    assert "version 2" in stale.value.message
    async with engine.connect() as conn:
        stored = (
            await conn.execute(sa.select(handoffs.c.details, handoffs.c.version).where(handoffs.c.id == row.id))
        ).one()
    assert (stored.details["sensitivities"], stored.version) == ("CFO is sceptical", 2)


async def test_concurrent_edits_serialize_on_the_version(engine: AsyncEngine) -> None:
    """Two editors who both read version 1 save at once: exactly one wins, the other gets the conflict."""
    sales = principal(Role.SALES)
    row = await create(engine, sales)

    async def save(text: str) -> str:
        try:
            async with engine.begin() as conn:
                await service.update_handoff(
                    conn, row.id, {"sensitivities": text}, expected_version=1, by=sales, now=T0
                )
                await asyncio.sleep(0.05)  # hold the row lock while the other editor waits on it
            return "saved"
        except VersionConflict:
            return "conflict"

    outcomes = await asyncio.gather(save("one"), save("two"))
    assert sorted(outcomes) == ["conflict", "saved"]
    async with engine.connect() as conn:
        stored = (
            await conn.execute(sa.select(handoffs.c.details, handoffs.c.version).where(handoffs.c.id == row.id))
        ).one()
    assert stored.version == 2
    assert stored.details["sensitivities"] == ("one" if outcomes[0] == "saved" else "two")


async def test_concurrent_accepts_accept_once_and_plan_once(engine: AsyncEngine) -> None:
    sales = principal(Role.SALES)
    row = await create(engine, sales)
    async with engine.begin() as conn:
        await service.transition(conn, row.id, Action.SUBMIT, by=sales, now=T0)

    async def accept(csm_name: str) -> str:
        try:
            async with engine.begin() as conn:
                await acceptance.accept_handoff(conn, row.id, by=principal(Role.CSM, csm_name), now=T0)
            return "accepted"
        except IllegalTransition as error:
            return error.current_state

    assert sorted(await asyncio.gather(accept("a"), accept("b"))) == ["ACCEPTED", "accepted"]
    async with engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(goals).where(goals.c.handoff_id == row.id)) == 2


async def test_accepting_turns_goals_into_the_success_plan_and_action_items(engine: AsyncEngine) -> None:
    sales, csm = principal(Role.SALES), principal(Role.CSM, "Aiko")
    row = await create(engine, sales)
    async with engine.begin() as conn:
        await service.transition(conn, row.id, Action.SUBMIT, by=sales, now=T0)
        await acceptance.accept_handoff(conn, row.id, by=csm, now=T0)
    async with engine.connect() as conn:
        planned = (
            await conn.execute(sa.select(goals).where(goals.c.account_id == row.account_id).order_by(goals.c.outcome))
        ).all()
        items = (
            await conn.execute(
                sa.select(action_items)
                .where(action_items.c.account_id == row.account_id)
                .order_by(action_items.c.title)
            )
        ).all()
    assert [(g.outcome, g.metric, g.baseline, g.target, g.due_on, g.status) for g in planned] == [
        ("Agents like the tool", None, None, None, None, "on_track"),
        ("Halve first response time", "median first response", 8, 4, dt.date(2026, 9, 1), "on_track"),
    ]
    by_goal = {g.id: g.outcome for g in planned}
    assert [(i.title, i.theme, i.owner, i.due_on, by_goal.get(i.goal_id), i.handoff_id) for i in items] == [
        ("Before start: Export legacy tickets", "onboarding", "Lee", None, None, row.id),
        (
            "Drive to success criterion: Agents like the tool",
            "time_to_value",
            "Aiko",
            None,
            "Agents like the tool",
            row.id,
        ),
        (
            "Drive to success criterion: Halve first response time",
            "time_to_value",
            "Aiko",
            dt.date(2026, 9, 1),
            "Halve first response time",
            row.id,
        ),
    ]


async def test_sla_figures_on_fixed_timestamps(engine: AsyncEngine) -> None:
    """closed 2026-02-27 17:00 → submit +16h → returned → resubmit → accept (24 h after the FIRST submit) →
    kickoff 48 h later → first value 20 days after contract start."""
    sales, csm = principal(Role.SALES), principal(Role.CSM)
    row = await create(engine, sales)
    closed = dt.datetime(2026, 2, 27, 17, 0, tzinfo=dt.UTC)
    steps = [
        (Action.SUBMIT, sales, closed + dt.timedelta(hours=16), None),
        (Action.RETURN, csm, closed + dt.timedelta(hours=20), "fix scope"),
        (Action.SUBMIT, sales, closed + dt.timedelta(hours=30), None),
        (Action.ACCEPT, csm, closed + dt.timedelta(hours=40), None),
        (Action.HOLD_KICKOFF, csm, closed + dt.timedelta(hours=88), None),
    ]
    for action, by, at, comment in steps:
        async with engine.begin() as conn:
            await service.transition(conn, row.id, action, by=by, now=at, comment=comment)
    async with engine.begin() as conn:
        done = await service.transition(
            conn,
            row.id,
            Action.REACH_FIRST_VALUE,
            by=csm,
            now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
            first_value_on=dt.date(2026, 3, 21),
        )
    assert (done.close_to_submit_hours, done.submit_to_accept_hours, done.accept_to_kickoff_hours) == (16, 24, 48)
    assert (done.time_to_value_days, done.returned_count, done.state) == (20, 1, "FIRST_VALUE_REACHED")


async def test_first_value_day_must_be_real(engine: AsyncEngine) -> None:
    sales, csm = principal(Role.SALES), principal(Role.CSM)
    row = await create(engine, sales)
    await force_state(engine, row.id, "KICKOFF_HELD")
    for day, message in ((dt.date(2026, 2, 1), "before the contract start"), (dt.date(2026, 3, 9), "future")):
        with pytest.raises(InvalidInput, match=message):
            async with engine.begin() as conn:
                await service.transition(conn, row.id, Action.REACH_FIRST_VALUE, by=csm, now=T0, first_value_on=day)
    with pytest.raises(InvalidInput, match="only for reaching first value"):
        async with engine.begin() as conn:
            await service.transition(conn, row.id, Action.CANCEL, by=csm, now=T0, first_value_on=dt.date(2026, 3, 2))


async def test_editing_is_for_drafts_and_their_author(engine: AsyncEngine) -> None:
    author = principal(Role.SALES)
    row = await create(engine, author)
    with pytest.raises(PermissionDenied, match="only the handoffs they created"):
        async with engine.begin() as conn:
            await service.update_handoff(conn, row.id, {}, expected_version=1, by=principal(Role.SALES), now=T0)
    with pytest.raises(PermissionDenied):
        async with engine.begin() as conn:
            await service.update_handoff(conn, row.id, {}, expected_version=1, by=principal(Role.CSM), now=T0)
    async with engine.begin() as conn:  # an admin may edit anyone's draft
        await service.update_handoff(
            conn, row.id, {"csm_owner": "Ben"}, expected_version=1, by=principal(Role.ADMIN), now=T0
        )
    await force_state(engine, row.id, "SUBMITTED")
    with pytest.raises(IllegalTransition) as frozen:
        async with engine.begin() as conn:
            await service.update_handoff(conn, row.id, {}, expected_version=2, by=author, now=T0)
    assert frozen.value.current_state == "SUBMITTED"
    with pytest.raises(PermissionDenied, match="may not create"):
        async with engine.begin() as conn:
            await service.create_handoff(conn, row.account_id, {}, by=principal(Role.CSM), now=T0)


async def test_references_must_belong_to_the_account(engine: AsyncEngine) -> None:
    from service.contacts.tables import contacts
    from tests.factories import insert_accounts

    sales = principal(Role.SALES)
    mine, theirs = await insert_accounts(engine, "Mine", "Theirs")
    async with engine.begin() as conn:
        stranger = await conn.scalar(
            sa.insert(contacts).values(account_id=theirs, name="Stranger").returning(contacts.c.id)
        )
        closed_later = (T0 + dt.timedelta(hours=1)).isoformat()
        with pytest.raises(InvalidInput) as refused:
            await service.create_handoff(
                conn,
                mine,
                {
                    "stakeholders": [{"contact_id": str(stranger), "role": "champion"}],
                    "deal": {"closed_at": closed_later},
                },
                by=sales,
                now=T0,
            )
        assert str(refused.value.message) == (
            "invalid handoff: stakeholders.0.contactId: not a contact of this account; "
            "deal.closedAt: must not be in the future"
        )
        with pytest.raises(Exception, match="no such account"):
            await service.create_handoff(conn, uuid.uuid4(), {}, by=sales, now=T0)


async def test_sla_summary_over_handoffs_on_fixed_timestamps(engine: AsyncEngine) -> None:
    """Three deals closed at 2026-02-27 17:00, submitted 10, 20 and 60 hours later; two accepted 5 and 15 hours
    after their first submission (one of them after a return); one kickoff 30 hours after acceptance."""
    sales, csm = principal(Role.SALES), principal(Role.CSM)
    closed = dt.datetime(2026, 2, 27, 17, 0, tzinfo=dt.UTC)
    hours = dt.timedelta(hours=1)
    plans: list[list[tuple[Action, Principal, int, str | None]]] = [
        [(Action.SUBMIT, sales, 10, None), (Action.ACCEPT, csm, 15, None), (Action.HOLD_KICKOFF, csm, 45, None)],
        [
            (Action.SUBMIT, sales, 20, None),
            (Action.RETURN, csm, 22, "no kickoff agenda"),
            (Action.SUBMIT, sales, 30, None),
            (Action.ACCEPT, csm, 35, None),
        ],
        [(Action.SUBMIT, sales, 60, None)],
    ]
    account_ids = []
    for plan in plans:
        row = await create(engine, sales)
        account_ids.append(row.account_id)
        for action, by, after_close, comment in plan:
            async with engine.begin() as conn:
                await service.transition(conn, row.id, action, by=by, now=closed + after_close * hours, comment=comment)
    async with engine.connect() as conn:
        summary = await queries.sla_summary(conn, HandoffFilter(account_ids=tuple(account_ids)))
        nothing = await queries.sla_summary(conn, HandoffFilter(states=("CANCELLED",)))
    assert (summary.handoffs, summary.submitted, summary.accepted, summary.returned_at_least_once) == (3, 3, 2, 1)
    assert (summary.median_close_to_submit_hours, summary.mean_close_to_submit_hours) == (20, 30)
    assert (summary.median_submit_to_accept_hours, summary.mean_submit_to_accept_hours) == (10, 10)
    assert (summary.median_accept_to_kickoff_hours, summary.mean_accept_to_kickoff_hours) == (30, 30)
    assert (summary.median_time_to_value_days, summary.mean_time_to_value_days) == (None, None)
    assert (nothing.handoffs, nothing.median_close_to_submit_hours, nothing.mean_submit_to_accept_hours) == (
        0,
        None,
        None,
    )


async def test_a_stored_record_with_dates_outside_todays_calendar_stays_readable(engine: AsyncEngine) -> None:
    # Records written before the calendar was narrowed (service.input_bounds) may hold later dates: reading them
    # must not fail, while a new write with such a date is refused.
    row = await create(engine, principal(Role.SALES))
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(handoffs)
            .where(handoffs.c.id == row.id)
            .values(kickoff_date=dt.date(2500, 1, 1), closed_at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))
        )
        (stored,) = (await queries.handoffs_by_id(conn, [row.id])).values()
    record = service.record_of(stored)
    assert record.timeline.kickoff_date == dt.date(2500, 1, 1)
    assert record.deal.closed_at == dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
    later = complete_record()
    later["timeline"]["kickoff_date"] = "2500-01-01"
    with pytest.raises(InvalidInput, match="outside the supported dates"):
        await create(engine, principal(Role.SALES), later)
