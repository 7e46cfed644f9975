"""Per-request DataLoaders: nested fields batch into one ``= ANY($1)`` query per level, not one per row.

Keys are ``(id, argument)`` (see ``batching``); fields without arguments use ``None``. A new request
gets new loaders, so nothing is cached across requests.
"""

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from functools import cached_property
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
from service.db.pool import RequestReads
from service.goals import queries as goal_queries
from service.goals.queries import GoalRow, ProgressRow
from service.graphql.batching import Batches, ShieldedLoader, keyed_loader
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
    """``now`` is the request's clock: every "today" and "last N days" of one request agree. Each loader is
    made when a field first asks for it (a request reads a few of them; making all cost ~0.2 ms a request)."""

    def __init__(self, engine: AsyncEngine, now: dt.datetime | None = None, connections: int = 4) -> None:
        self.reads = RequestReads(engine, connections)
        self.now = now or dt.datetime.now(dt.UTC)
        self.today = self.now.date()
        self.batches = Batches(self.reads)

    @cached_property
    def account_sources(self) -> ShieldedLoader[uuid.UUID, list[AccountSourceRow]]:
        return ShieldedLoader[uuid.UUID, list[AccountSourceRow]](load_fn=self._account_sources)

    @cached_property
    def account(self) -> DataLoader[tuple[uuid.UUID, None], AccountRow | None]:
        return keyed_loader(self.reads, account_queries.accounts_by_id, _none)

    @cached_property
    def children(self) -> DataLoader[tuple[uuid.UUID, None], list[AccountRow]]:
        return keyed_loader(self.reads, account_queries.children_of_accounts, list)

    @cached_property
    def contacts(self) -> DataLoader[tuple[uuid.UUID, None], list[ContactRow]]:
        return keyed_loader(self.reads, contact_queries.contacts_of_accounts, list)

    @cached_property
    def contracts(self) -> DataLoader[tuple[uuid.UUID, tuple[str, ...] | None], list[ContractRow]]:
        return keyed_loader(self.reads, contract_queries.contracts_of_accounts, list)

    @cached_property
    def contract_by_id(self) -> DataLoader[tuple[uuid.UUID, None], ContractRow | None]:
        return keyed_loader(self.reads, _ignoring_argument(contract_queries.contracts_by_ids), _none)

    @cached_property
    def contact_by_id(self) -> DataLoader[tuple[uuid.UUID, None], ContactRow | None]:
        return keyed_loader(self.reads, _ignoring_argument(contact_queries.contacts_by_ids), _none)

    @cached_property
    def handoff(self) -> DataLoader[tuple[uuid.UUID, None], HandoffRow | None]:
        return keyed_loader(self.reads, handoff_queries.handoffs_by_id, _none)

    @cached_property
    def handoffs_of_account(self) -> DataLoader[tuple[uuid.UUID, None], list[HandoffRow]]:
        return keyed_loader(self.reads, handoff_queries.handoffs_of_accounts, list)

    @cached_property
    def handoff_events(self) -> DataLoader[tuple[uuid.UUID, None], list[HandoffEventRow]]:
        return keyed_loader(self.reads, handoff_queries.events_of_handoffs, list)

    @cached_property
    def contract_lines(self) -> DataLoader[tuple[uuid.UUID, None], list[LineRow]]:
        return keyed_loader(self.reads, contract_queries.lines_of_contracts, list)

    @cached_property
    def mrr(self) -> DataLoader[tuple[uuid.UUID, dt.date], list[tuple[str, Decimal]]]:
        return keyed_loader(self.reads, contract_queries.mrr_of_accounts, list)

    @cached_property
    def licensed_seats(self) -> DataLoader[tuple[uuid.UUID, dt.date], int]:
        return keyed_loader(self.reads, contract_queries.licensed_seats, int)

    @cached_property
    def next_renewal(self) -> DataLoader[tuple[uuid.UUID, dt.date], dt.date | None]:
        return keyed_loader(self.reads, contract_queries.next_renewals, _none)

    @cached_property
    def tickets(self) -> DataLoader[tuple[uuid.UUID, TicketQuery], list[TicketRow]]:
        return keyed_loader(self.reads, ticket_queries.ticket_pages, list)

    @cached_property
    def ticket_counts(self) -> DataLoader[tuple[uuid.UUID, TicketQuery], int]:
        return keyed_loader(self.reads, ticket_queries.ticket_counts, int)

    @cached_property
    def surveys(self) -> DataLoader[tuple[uuid.UUID, SurveyQuery], list[SurveyRow]]:
        return keyed_loader(self.reads, survey_queries.survey_pages, list)

    @cached_property
    def survey_counts(self) -> DataLoader[tuple[uuid.UUID, SurveyQuery], int]:
        return keyed_loader(self.reads, survey_queries.survey_counts, int)

    @cached_property
    def nps(self) -> DataLoader[tuple[uuid.UUID, tuple[dt.datetime, dt.datetime]], NpsRow]:
        return keyed_loader(self.reads, survey_queries.nps_of_accounts, lambda: NpsRow(0, 0, 0, 0))

    @cached_property
    def timeline(self) -> DataLoader[tuple[uuid.UUID, TimelineQuery], list[TimelineRow]]:
        return keyed_loader(self.reads, self._timeline_pages, list)

    @cached_property
    def timeline_counts(self) -> DataLoader[tuple[uuid.UUID, TimelineQuery], int]:
        return keyed_loader(self.reads, self._timeline_counts, int)

    @cached_property
    def health(self) -> DataLoader[tuple[uuid.UUID, str], HealthScoreRow | None]:
        return keyed_loader(self.reads, health_queries.latest_scores, _none)

    @cached_property
    def health_history(
        self,
    ) -> DataLoader[tuple[uuid.UUID, tuple[str, dt.datetime, dt.datetime]], list[HealthScoreRow]]:
        return keyed_loader(self.reads, health_queries.score_histories, list)

    @cached_property
    def health_override(self) -> DataLoader[tuple[uuid.UUID, tuple[str, dt.datetime]], OverrideRow | None]:
        return keyed_loader(self.reads, health_overrides.active_overrides, _none)

    @cached_property
    def alerts(self) -> DataLoader[tuple[uuid.UUID, tuple[str, ...]], list[AlertRow]]:
        return keyed_loader(self.reads, health_alerts.alerts_of_accounts, list)

    @cached_property
    def goals(self) -> DataLoader[tuple[uuid.UUID, tuple[str, ...] | None], list[GoalRow]]:
        return keyed_loader(self.reads, goal_queries.goals_of_accounts, list)

    @cached_property
    def goal(self) -> DataLoader[tuple[uuid.UUID, None], GoalRow | None]:
        return keyed_loader(self.reads, goal_queries.goals_by_id, _none)

    @cached_property
    def goal_progress(self) -> DataLoader[tuple[uuid.UUID, None], list[ProgressRow]]:
        return keyed_loader(self.reads, goal_queries.progress_of_goals, list)

    @cached_property
    def action_items(self) -> DataLoader[tuple[uuid.UUID, tuple[str, ...]], list[ActionItemRow]]:
        return keyed_loader(self.reads, action_item_queries.action_items_of_accounts, list)

    @cached_property
    def usage_series(self) -> DataLoader[tuple[uuid.UUID, SeriesRequest], list[UsagePointRow]]:
        return keyed_loader(self.reads, usage_queries.usage_series, list)

    @cached_property
    def active_users(self) -> DataLoader[tuple[uuid.UUID, int], int]:
        return keyed_loader(self.reads, self._active_users, int)

    @cached_property
    def feature_adoption(self) -> DataLoader[tuple[uuid.UUID, tuple[dt.date, dt.date]], list[FeatureUsageRow]]:
        return keyed_loader(self.reads, usage_queries.feature_adoption, list)

    @cached_property
    def last_seen(self) -> DataLoader[tuple[uuid.UUID, None], tuple[int, ...]]:
        return keyed_loader(self.reads, self._last_seen, lambda: (0, 0, 0, 0))

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
