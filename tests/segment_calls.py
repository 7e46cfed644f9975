"""Helpers for the Segment tests: calls as Segment's clients build them, the write key as they send it, and the
customer-360 read back through GraphQL."""

import base64
import datetime as dt
import uuid
from typing import Any

import httpx

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

ACCOUNT_360 = """
query($groupId: String!) {
  accountBySource(source: "segment", externalId: $groupId) {
    name domain industry
    contacts { name email title }
    activeUsers
    featureAdoption { feature events users }
  }
}
"""


def basic(key: str) -> dict[str, str]:
    """HTTP Basic with the write key as user name and no password, as Segment's SDKs send it."""
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def call(kind: str, *, message_id: str | None = None, at: dt.datetime = NOW, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "messageId": message_id or str(uuid.uuid4()),
        "timestamp": stamp(at),
        "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
        **fields,
    }


def group(group_id: str, user_id: str | None = None, **traits: Any) -> dict[str, Any]:
    made = call("group", groupId=group_id, traits=traits)
    if user_id is not None:
        made["userId"] = user_id
    return made


def identify(user_id: str, **traits: Any) -> dict[str, Any]:
    return call("identify", userId=user_id, traits=traits)


def track(user_id: str, event: str, group_id: str | None = None, **fields: Any) -> dict[str, Any]:
    made = call("track", userId=user_id, event=event, **{"properties": {}, **fields})
    if group_id is not None:
        made["context"]["groupId"] = group_id
    return made


def batch(*calls: Any, sent_at: dt.datetime | None = None) -> dict[str, Any]:
    return {"batch": list(calls), "sentAt": stamp(sent_at or dt.datetime.now(dt.UTC))}


async def account_360(client: httpx.AsyncClient, key: str, group_id: str) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": ACCOUNT_360, "variables": {"groupId": group_id}},
        headers={"Authorization": f"Bearer {key}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["accountBySource"]
