"""Per-request DataLoaders: nested fields batch into one ``= ANY($1)`` query per level, not one per row.

Keys are ``(id, argument)`` (see ``batching``); fields without arguments use ``None``. A new request
gets new loaders, so nothing is cached across requests.
"""

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from strawberry.dataloader import DataLoader

from service.accounts import queries as account_queries
from service.accounts.queries import AccountRow
from service.action_items import queries as action_item_queries
from service.action_items.queries import ActionItemRow
from service.contacts import queries as contact_queries
from service.contacts.queries import ContactRow
from service.contracts import queries as contract_queries
from service.contracts.queries import ContractRow, LineRow
from service.db import RequestReads
from service.goals import queries as goal_queries
from service.goals.queries import GoalRow, ProgressRow
from service.graphql.batching import ShieldedLoader, keyed_loader
from service.handoffs import queries as handoff_queries
from service.handoffs.queries import HandoffEventRow, HandoffRow
from service.health_scores import alerts as health_alerts
from service.health_scores import overrides as health_overrides
from service.health_scores import queries as health_queries
from service.health_scores.alerts import AlertRow
from service.health_scores.overrides import OverrideRow
from service.health_scores.queries import HealthScoreRow
from service.sources import queries as source_queries
from service.sources.queries import AccountSourceRow
from service.surveys import queries as survey_queries
from service.surveys.queries import NpsRow, SurveyQuery, SurveyRow
from service.tickets import queries as ticket_queries
from service.tickets.queries import TicketQuery, TicketRow
from service.timeline import queries as timeline_queries
from service.timeline.queries import TimelineQuery, TimelineRow
from service.usage import queries as usage_queries
from service.usage.queries import FeatureUsageRow, SeriesRequest, UsagePointRow

V = TypeVar("V")


def _none() -> None:
    return None


def _ignoring_argument(
    fetch: Callable[[AsyncConnection, Sequence[uuid.UUID]], Awaitable[Mapping[uuid.UUID, V]]],
) -> Callable[[AsyncConnection, Sequence[uuid.UUID], None], Awaitable[Mapping[uuid.UUID, V]]]:
    """A by-id fetch in the ``(conn, ids, argument)`` shape of ``keyed_loader``, for loaders without arguments."""

    async def fetch_all(conn: AsyncConnection, ids: Sequence[uuid.UUID], _: None) -> Mapping[uuid.UUID, V]:
        return await fetch(conn, ids)

    return fetch_all


class Loaders:
    """``now`` is the request's clock: every "today" and "last N days" of one request agree."""

    def __init__(self, engine: AsyncEngine, now: dt.datetime | None = None, connections: int = 4) -> None:
        self.reads = reads = RequestReads(engine, connections)
        self.now = now or dt.datetime.now(dt.UTC)
        self.today = self.now.date()
        self.account_sources = ShieldedLoader[uuid.UUID, list[AccountSourceRow]](load_fn=self._account_sources)
        self.account = keyed_loader(reads, account_queries.accounts_by_id, _none)
        self.children: DataLoader[tuple[uuid.UUID, None], list[AccountRow]] = keyed_loader(
            reads, account_queries.children_of_accounts, list
        )
        self.contacts: DataLoader[tuple[uuid.UUID, None], list[ContactRow]] = keyed_loader(
            reads, contact_queries.contacts_of_accounts, list
        )
        self.contracts: DataLoader[tuple[uuid.UUID, tuple[str, ...] | None], list[ContractRow]] = keyed_loader(
            reads, contract_queries.contracts_of_accounts, list
        )
        self.contract_by_id: DataLoader[tuple[uuid.UUID, None], ContractRow | None] = keyed_loader(
            reads, _ignoring_argument(contract_queries.contracts_by_ids), _none
        )
        self.contact_by_id: DataLoader[tuple[uuid.UUID, None], ContactRow | None] = keyed_loader(
            reads, _ignoring_argument(contact_queries.contacts_by_ids), _none
        )
        self.handoff: DataLoader[tuple[uuid.UUID, None], HandoffRow | None] = keyed_loader(
            reads, handoff_queries.handoffs_by_id, _none
        )
        self.handoffs_of_account: DataLoader[tuple[uuid.UUID, None], list[HandoffRow]] = keyed_loader(
            reads, handoff_queries.handoffs_of_accounts, list
        )
        self.handoff_events: DataLoader[tuple[uuid.UUID, None], list[HandoffEventRow]] = keyed_loader(
            reads, handoff_queries.events_of_handoffs, list
        )
        self.contract_lines: DataLoader[tuple[uuid.UUID, None], list[LineRow]] = keyed_loader(
            reads, contract_queries.lines_of_contracts, list
        )
        self.mrr: DataLoader[tuple[uuid.UUID, dt.date], list[tuple[str, Decimal]]] = keyed_loader(
            reads, contract_queries.mrr_of_accounts, list
        )
        self.licensed_seats: DataLoader[tuple[uuid.UUID, dt.date], int] = keyed_loader(
            reads, contract_queries.licensed_seats, int
        )
        self.next_renewal: DataLoader[tuple[uuid.UUID, dt.date], dt.date | None] = keyed_loader(
            reads, contract_queries.next_renewals, _none
        )
        self.tickets: DataLoader[tuple[uuid.UUID, TicketQuery], list[TicketRow]] = keyed_loader(
            reads, ticket_queries.ticket_pages, list
        )
        self.ticket_counts: DataLoader[tuple[uuid.UUID, TicketQuery], int] = keyed_loader(
            reads, ticket_queries.ticket_counts, int
        )
        self.surveys: DataLoader[tuple[uuid.UUID, SurveyQuery], list[SurveyRow]] = keyed_loader(
            reads, survey_queries.survey_pages, list
        )
        self.survey_counts: DataLoader[tuple[uuid.UUID, SurveyQuery], int] = keyed_loader(
            reads, survey_queries.survey_counts, int
        )
        self.nps: DataLoader[tuple[uuid.UUID, tuple[dt.datetime, dt.datetime]], NpsRow] = keyed_loader(
            reads, survey_queries.nps_of_accounts, lambda: NpsRow(0, 0, 0, 0)
        )
        self.timeline: DataLoader[tuple[uuid.UUID, TimelineQuery], list[TimelineRow]] = keyed_loader(
            reads, self._timeline_pages, list
        )
        self.timeline_counts: DataLoader[tuple[uuid.UUID, TimelineQuery], int] = keyed_loader(
            reads, self._timeline_counts, int
        )
        self.health: DataLoader[tuple[uuid.UUID, str], HealthScoreRow | None] = keyed_loader(
            reads, health_queries.latest_scores, _none
        )
        self.health_history: DataLoader[
            tuple[uuid.UUID, tuple[str, dt.datetime, dt.datetime]], list[HealthScoreRow]
        ] = keyed_loader(reads, health_queries.score_histories, list)
        self.health_override: DataLoader[tuple[uuid.UUID, tuple[str, dt.datetime]], OverrideRow | None] = keyed_loader(
            reads, health_overrides.active_overrides, _none
        )
        self.alerts: DataLoader[tuple[uuid.UUID, tuple[str, ...]], list[AlertRow]] = keyed_loader(
            reads, health_alerts.alerts_of_accounts, list
        )
        self.goals: DataLoader[tuple[uuid.UUID, tuple[str, ...] | None], list[GoalRow]] = keyed_loader(
            reads, goal_queries.goals_of_accounts, list
        )
        self.goal: DataLoader[tuple[uuid.UUID, None], GoalRow | None] = keyed_loader(
            reads, goal_queries.goals_by_id, _none
        )
        self.goal_progress: DataLoader[tuple[uuid.UUID, None], list[ProgressRow]] = keyed_loader(
            reads, goal_queries.progress_of_goals, list
        )
        self.action_items: DataLoader[tuple[uuid.UUID, tuple[str, ...]], list[ActionItemRow]] = keyed_loader(
            reads, action_item_queries.action_items_of_accounts, list
        )
        self.usage_series: DataLoader[tuple[uuid.UUID, SeriesRequest], list[UsagePointRow]] = keyed_loader(
            reads, usage_queries.usage_series, list
        )
        self.active_users: DataLoader[tuple[uuid.UUID, int], int] = keyed_loader(reads, self._active_users, int)
        self.feature_adoption: DataLoader[tuple[uuid.UUID, tuple[dt.date, dt.date]], list[FeatureUsageRow]] = (
            keyed_loader(reads, usage_queries.feature_adoption, list)
        )
        self.last_seen: DataLoader[tuple[uuid.UUID, None], tuple[int, ...]] = keyed_loader(
            reads, self._last_seen, lambda: (0, 0, 0, 0)
        )

    async def _active_users(
        self, conn: AsyncConnection, account_ids: Sequence[uuid.UUID], days: int
    ) -> dict[uuid.UUID, int]:
        return await usage_queries.active_users(conn, account_ids, self.now - dt.timedelta(days=days))

    async def _timeline_pages(
        self, conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: TimelineQuery
    ) -> dict[uuid.UUID, list[TimelineRow]]:
        return await timeline_queries.timeline_pages(conn, account_ids, query, self.today)

    async def _timeline_counts(
        self, conn: AsyncConnection, account_ids: Sequence[uuid.UUID], query: TimelineQuery
    ) -> dict[uuid.UUID, int]:
        return await timeline_queries.timeline_counts(conn, account_ids, query, self.today)

    async def _last_seen(
        self, conn: AsyncConnection, account_ids: Sequence[uuid.UUID], _: None
    ) -> dict[uuid.UUID, tuple[int, ...]]:
        return await usage_queries.last_seen_distribution(conn, account_ids, self.now)

    async def _account_sources(self, account_ids: Sequence[uuid.UUID]) -> list[list[AccountSourceRow]]:
        async with self.reads.connection() as conn:
            grouped = await source_queries.account_sources(conn, account_ids)
        return [grouped.get(account_id, []) for account_id in account_ids]
