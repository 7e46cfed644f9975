"""The two pages as each side is asked for them: the same rows and fields, in each API's own words.

*portfolio*: one CSM's first 50 accounts by name with their active contracts and lines, the 5 newest open
tickets and the contacts. *360*: one account with its columns, account source links, parent, children,
contacts, all contracts with lines and products, the 20 newest tickets and the 10 newest survey responses.

Where the two APIs differ. cshub filters, orders and pages by its own rules (``open: true`` is
new/open/pending/on_hold, tickets newest first...); PostGraphile is told the same explicitly with
``condition``/``filter`` (the connection-filter plugin's ``in``) and ``orderBy``, with the same tie-breaks
(``ROW_ID``). PostGraphile cannot order contract lines by product name, nor dates NULLS FIRST, without a
plugin of its own: lines are compared as a set per contract. cshub ids are its global ids, PostGraphile's
``rowId`` is the uuid (its ``id`` is its own node id); cshub renders money as ``{amount currency}``,
PostGraphile the numeric column (the currency is the contract's, asked for too); enums are upper-case in
cshub, the stored lower-case text in PostGraphile. Lists are plain lists in cshub, ``nodes`` of a
connection in PostGraphile; the account's source links follow ``source_links.account_id`` in PostGraphile
and ``entity_id`` in cshub (the same rows for account links).
"""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.graphql.relay import encode_global_id

PORTFOLIO_SIZE = 50
OPEN_STATUSES = ["new", "open", "pending", "on_hold"]

CSHUB_PORTFOLIO = """
query Portfolio($csm: String!, $first: Int!) {
  accounts(filter: {csmOwner: [$csm]}, first: $first) {
    edges { node {
      id name segment
      contracts(status: [ACTIVE]) {
        id status startDate endDate renewalDate
        lines { product { name } quantity mrr { amount currency } }
      }
      tickets(filter: {open: true}, first: 5) {
        edges { node { id subject status priority openedAt } }
        pageInfo { hasNextPage }
      }
      contacts { id name email title }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PEER_PORTFOLIO = """
query Portfolio($csm: String!, $first: Int!, $open: [String!]!) {
  accounts(condition: {csmOwner: $csm}, orderBy: [NAME_ASC, ROW_ID_ASC], first: $first) {
    nodes {
      rowId name segment
      contracts(condition: {status: "active"}, orderBy: [START_DATE_DESC, ROW_ID_ASC]) { nodes {
        rowId status startDate endDate renewalDate currency
        contractLines(orderBy: [START_DATE_ASC, ROW_ID_ASC]) { nodes { product { name } quantity mrr } }
      } }
      tickets(filter: {status: {in: $open}}, orderBy: [OPENED_AT_DESC, ROW_ID_DESC], first: 5) {
        nodes { rowId subject status priority openedAt }
        pageInfo { hasNextPage }
      }
      contacts(orderBy: [NAME_ASC, EMAIL_ASC, ROW_ID_ASC]) { nodes { rowId name email title } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CSHUB_360 = """
query Account360($id: ID!) {
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
    tickets(first: 20) {
      edges { node { id subject status priority category openedAt firstResponseAt solvedAt csat } }
      pageInfo { hasNextPage }
    }
    surveys(first: 10) { edges { node { id kind score comment contactEmail respondedAt } } }
  }
}
"""

PEER_360 = """
query Account360($id: UUID!) {
  account(rowId: $id) {
    rowId name domain industry segment lifecycleStage touchModel csmOwner salesOwner createdAt updatedAt
    sourceLinks(condition: {objectType: "account"}, orderBy: [FIRST_SEEN_AT_ASC, SOURCE_ASC, EXTERNAL_ID_ASC]) {
      nodes { source externalId firstSeenAt lastSyncedAt sourceUpdatedAt }
    }
    parentAccount { rowId name }
    accountsByParentAccountId(orderBy: [NAME_ASC, ROW_ID_ASC]) { nodes { rowId name } }
    contacts(orderBy: [NAME_ASC, EMAIL_ASC, ROW_ID_ASC]) { nodes { rowId name email phone title role } }
    contracts(orderBy: [START_DATE_DESC, ROW_ID_ASC]) { nodes {
      rowId status startDate endDate renewalDate autoRenew currency
      contractLines(orderBy: [START_DATE_ASC, ROW_ID_ASC]) {
        nodes { product { name family } quantity unitPrice mrr startDate endDate }
      }
    } }
    tickets(orderBy: [OPENED_AT_DESC, ROW_ID_DESC], first: 20) {
      nodes { rowId subject status priority category openedAt firstResponseAt solvedAt csat }
      pageInfo { hasNextPage }
    }
    surveyResponses(orderBy: [RESPONDED_AT_DESC, ROW_ID_DESC], first: 10) {
      nodes { rowId kind score comment contactEmail respondedAt }
    }
  }
}
"""


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    cshub: list[bytes]  # request bodies, one per rotation entry
    peer: list[bytes]  # the same rotation, PostGraphile's bodies


def _body(query: str, variables: dict[str, Any]) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def portfolio_page(csms: Sequence[str]) -> Page:
    return Page(
        "portfolio",
        [_body(CSHUB_PORTFOLIO, {"csm": csm, "first": PORTFOLIO_SIZE}) for csm in csms],
        [_body(PEER_PORTFOLIO, {"csm": csm, "first": PORTFOLIO_SIZE, "open": OPEN_STATUSES}) for csm in csms],
    )


def account_360_page(account_ids: Sequence[uuid.UUID]) -> Page:
    return Page(
        "360",
        [_body(CSHUB_360, {"id": encode_global_id("Account", i)}) for i in account_ids],
        [_body(PEER_360, {"id": str(i)}) for i in account_ids],
    )
