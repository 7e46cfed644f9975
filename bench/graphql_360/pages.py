"""The pages as the API is asked for them: the GraphQL queries and the request bodies with their variables.

*portfolio*: one CSM's first PORTFOLIO_SIZE accounts with revenue, contracts, open tickets and usage.
*360*: one account with everything. Both ask for a daily usage series over the last USAGE_DAYS UTC days.
*timeline*: one account's whole timeline, for the agreement check only.
"""

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from service.graphql.relay import encode_global_id

PORTFOLIO_SIZE = 50
USAGE_DAYS = 30
TIMELINE_CHECK_SIZE = 100  # the API's largest page

PORTFOLIO_QUERY = """
query Portfolio($csm: String!, $first: Int!, $from: Date!, $to: Date!) {
  accounts(filter: {csmOwner: [$csm]}, first: $first) {
    edges {
      node {
        id name segment renewalDate licensedSeats activeUsers licenseUtilization
        mrr { amount currency }
        arr { amount currency }
        contracts(status: [ACTIVE]) {
          id status startDate endDate renewalDate
          lines { product { name } quantity mrr { amount currency } }
        }
        tickets(filter: {open: true}, first: 5) {
          edges { node { id subject status priority openedAt timeToFirstResponseSeconds } }
          pageInfo { hasNextPage }
        }
        usage(from: $from, to: $to, interval: DAY) { periodStart events activeUsers }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ACCOUNT_360_QUERY = """
query Account360($id: ID!, $from: Date!, $to: Date!) {
  account(id: $id) {
    id name domain industry segment lifecycleStage touchModel csmOwner salesOwner createdAt updatedAt
    sources { source externalId firstSeenAt lastSyncedAt sourceUpdatedAt }
    parent { id name }
    children { id name }
    contacts { id name email phone title role }
    contracts {
      id status startDate endDate renewalDate autoRenew currency
      lines {
        product { name family } quantity unitPrice { amount currency } mrr { amount currency } startDate endDate
      }
    }
    mrr { amount currency }
    arr { amount currency }
    renewalDate
    licensedSeats
    usage(from: $from, to: $to, interval: DAY) { periodStart events activeUsers }
    activeUsers
    licenseUtilization
    featureAdoption { feature events users }
    lastSeenDistribution { within1Day within7Days within30Days over30Days }
    tickets(first: 20) {
      edges {
        node {
          id subject status priority category openedAt firstResponseAt solvedAt csat
          timeToFirstResponseSeconds timeToResolutionSeconds
        }
      }
      pageInfo { hasNextPage }
    }
    surveys(first: 10) { edges { node { id kind score comment contactEmail respondedAt } } }
    nps { responses promoters passives detractors nps }
    timeline(first: 10) { edges { node { id kind occurredAt summary actor source } } }
  }
}
"""

# Not measured: the agreement check compares each checked account's whole timeline, every kind of entry,
# not only the 10 newest the 360 page shows.
TIMELINE_QUERY = f"""
query Timeline($id: ID!) {{
  account(id: $id) {{
    timeline(first: {TIMELINE_CHECK_SIZE}) {{
      edges {{ node {{ id kind occurredAt summary actor source origin }} }}
      pageInfo {{ hasNextPage }}
    }}
  }}
}}
"""


def usage_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last USAGE_DAYS UTC days including today: [from, to)."""
    return today - dt.timedelta(days=USAGE_DAYS - 1), today + dt.timedelta(days=1)


def graphql_body(query: str, variables: dict[str, Any]) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def portfolio_bodies(csms: Sequence[str], today: dt.date) -> list[bytes]:
    start, end = usage_range(today)
    return [
        graphql_body(
            PORTFOLIO_QUERY, {"csm": csm, "first": PORTFOLIO_SIZE, "from": start.isoformat(), "to": end.isoformat()}
        )
        for csm in csms
    ]


def account_360_bodies(account_ids: Sequence[uuid.UUID], today: dt.date) -> list[bytes]:
    start, end = usage_range(today)
    return [
        graphql_body(
            ACCOUNT_360_QUERY, {"id": encode_global_id("Account", i), "from": start.isoformat(), "to": end.isoformat()}
        )
        for i in account_ids
    ]


def timeline_body(account_id: uuid.UUID) -> bytes:
    return graphql_body(TIMELINE_QUERY, {"id": encode_global_id("Account", account_id)})
