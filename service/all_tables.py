"""Every table of every domain, registered on the one ``metadata`` (for Alembic and the tests)."""

from service.accounts.tables import account_merges, accounts
from service.action_items.tables import action_items
from service.api_keys.tables import api_keys
from service.audit.tables import audit_log
from service.contacts.tables import contacts
from service.contracts.tables import contract_lines, contracts, products
from service.db.metadata import metadata
from service.events.tables import events, webhook_attempts, webhook_deliveries, webhook_endpoints
from service.goals.tables import goal_progress, goals
from service.handoffs.tables import handoff_events, handoffs
from service.health_scores.tables import alerts, health_overrides, health_scores, manual_scores, scorecards
from service.ingest.tables import ingest_requests
from service.people.tables import people
from service.rate_limits.tables import rate_limit_buckets
from service.sources.tables import pending_parent_links, source_associations, source_links, unmatched_records
from service.surveys.tables import survey_responses
from service.tickets.tables import tickets
from service.timeline.tables import timeline_events
from service.usage.tables import usage_daily, usage_daily_users, usage_events, user_last_seen

__all__ = [
    "account_merges",
    "accounts",
    "action_items",
    "alerts",
    "api_keys",
    "audit_log",
    "contacts",
    "contract_lines",
    "contracts",
    "events",
    "goal_progress",
    "goals",
    "handoff_events",
    "handoffs",
    "health_overrides",
    "health_scores",
    "ingest_requests",
    "manual_scores",
    "metadata",
    "pending_parent_links",
    "people",
    "products",
    "rate_limit_buckets",
    "scorecards",
    "source_associations",
    "source_links",
    "survey_responses",
    "tickets",
    "timeline_events",
    "unmatched_records",
    "usage_daily",
    "usage_daily_users",
    "usage_events",
    "user_last_seen",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
]
