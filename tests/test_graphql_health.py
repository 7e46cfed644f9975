"""Health over GraphQL: the explained score and its history on an account, the health-band filter, scorecard
reads and mutations (validation, versions, conflicts, roles) and the recompute mutation."""

import datetime as dt
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys.roles import Role
from service.db.pool import in_transaction
from service.health_scores.service import recompute_health
from tests.conftest import make_key
from tests.graphql_client import gql
from tests.test_health_scores import NOW, load_acme_and_beta

HEALTH = """
query($from: Date, $to: Date) {
  accounts {
    edges { node { name
      health { name score band tier suggestedTouchModel trend coverage computedAt scorecardVersion
               measures { key rawValue score weight contribution missing reason } }
      healthHistory(from: $from, to: $to) { score trend computedAt }
    } }
  }
}
"""


async def score_at(engine: AsyncEngine, now: dt.datetime) -> None:
    await in_transaction(engine, lambda conn: recompute_health(conn, now))


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert "errors" not in body, body
    return {edge["node"]["name"]: edge["node"] for edge in body["data"]["accounts"]["edges"]}


async def test_an_account_shows_its_explained_score_and_history(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_acme_and_beta(engine)
    await score_at(engine, NOW)
    await score_at(engine, NOW + dt.timedelta(days=1))
    window = {"from": NOW.date().isoformat(), "to": (NOW.date() + dt.timedelta(days=2)).isoformat()}
    accounts = by_name(await gql(client, admin_key, HEALTH, window))

    acme = accounts["Acme"]["health"]
    assert (acme["name"], acme["score"], acme["band"], acme["tier"], acme["suggestedTouchModel"]) == (
        "overall",
        72.54,
        "GREEN",
        "scale",
        "TECH",
    )
    assert (acme["coverage"], acme["scorecardVersion"]) == (0.95, 1)
    measures = {measure["key"]: measure for measure in acme["measures"]}
    assert len(acme["measures"]) == 9
    assert measures["license_utilization"]["rawValue"] == 0.6
    manual = measures["manual"]
    assert (manual["rawValue"], manual["score"], manual["weight"], manual["contribution"]) == (None, None, 5.0, None)
    assert (manual["missing"], manual["reason"]) == (True, "no current manual score")
    history = accounts["Acme"]["healthHistory"]
    assert len(history) == 2
    assert history[0]["computedAt"] > history[1]["computedAt"]  # newest first
    assert history[1]["trend"] is None

    beta = accounts["Beta"]["health"]
    assert (beta["score"], beta["band"], beta["coverage"]) == (None, None, 0.1)  # too little data: no score


async def test_health_band_filter_and_unscored_accounts(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_acme_and_beta(engine)
    query = "query($f: AccountFilter) { accounts(filter: $f) { totalCount edges { node { name } } } }"
    before = await gql(client, admin_key, query, {"f": {"healthBand": ["GREEN"]}})
    assert before["data"]["accounts"]["totalCount"] == 0  # never scored: not in any band
    await score_at(engine, NOW)
    green = await gql(client, admin_key, query, {"f": {"healthBand": ["GREEN", "YELLOW"]}})
    assert [e["node"]["name"] for e in green["data"]["accounts"]["edges"]] == ["Acme"]
    red = await gql(client, admin_key, query, {"f": {"healthBand": ["RED"], "segment": ["ENTERPRISE"]}})
    assert red["data"]["accounts"]["totalCount"] == 0


SCORECARD_FIELDS = (
    "... on Scorecard { id name segment version active measures { key weight scale { kind } } } "
    "... on MutationError { code message field }"
)
CREATE = "mutation($input: CreateScorecardInput!) { createScorecard(input: $input) { " + SCORECARD_FIELDS + " } }"
UPDATE = "mutation($input: UpdateScorecardInput!) { updateScorecard(input: $input) { " + SCORECARD_FIELDS + " } }"
CONFIG: dict[str, Any] = {
    "measures": [{"key": "nps", "weight": 1, "scale": {"kind": "LINEAR", "zeroAt": -50, "fullAt": 50}}],
    "tiers": [{"name": "all", "touchModel": "LOW"}],
}


async def test_scorecards_are_created_validated_versioned_and_guarded(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    unknown = {
        **CONFIG,
        "measures": [{"key": "vibes", "weight": 1, "scale": {"kind": "LINEAR", "zeroAt": 0, "fullAt": 1}}],
    }
    refused = await gql(client, admin_key, CREATE, {"input": {"segment": "SMB", "config": unknown}})
    assert refused["data"]["createScorecard"]["code"] == "BAD_USER_INPUT"
    assert "unknown measure 'vibes'" in refused["data"]["createScorecard"]["message"]
    banded = {**CONFIG, "measures": [{"key": "nps", "weight": 1, "scale": {"kind": "BANDED", "bands": [
        {"below": 10, "score": 20}, {"below": 5, "score": 50}, {"score": 90}]}}]}  # fmt: skip
    refused = await gql(client, admin_key, CREATE, {"input": {"segment": "SMB", "config": banded}})
    assert "band thresholds must increase" in refused["data"]["createScorecard"]["message"]

    created = (await gql(client, admin_key, CREATE, {"input": {"segment": "SMB", "config": CONFIG}}))["data"]
    card = created["createScorecard"]
    assert (card["name"], card["segment"], card["version"], card["active"]) == ("overall", "SMB", 1, True)
    assert card["measures"] == [{"key": "nps", "weight": 1.0, "scale": {"kind": "LINEAR"}}]
    again = await gql(client, admin_key, CREATE, {"input": {"segment": "SMB", "config": CONFIG}})
    assert again["data"]["createScorecard"]["code"] == "CONFLICT"

    heavier = {**CONFIG, "measures": [{**CONFIG["measures"][0], "weight": 3}]}
    changed = await gql(
        client, admin_key, UPDATE, {"input": {"id": card["id"], "expectedVersion": 1, "config": heavier}}
    )
    assert changed["data"]["updateScorecard"]["version"] == 2
    stale = await gql(client, admin_key, UPDATE, {"input": {"id": card["id"], "expectedVersion": 1, "active": False}})
    assert stale["data"]["updateScorecard"]["code"] == "CONFLICT"
    assert "is at version 2, not 1" in stale["data"]["updateScorecard"]["message"]

    listed = await gql(client, admin_key, "{ scorecards { segment version } }")
    assert {"segment": "SMB", "version": 2} in listed["data"]["scorecards"]
    first = await gql(client, admin_key, "query($id: ID!) { scorecard(id: $id) { version versions { version } } "
                      "node(id: $id) { id } }", {"id": card["id"]})  # fmt: skip
    assert first["data"] == {"scorecard": {"version": 1, "versions": [{"version": 2}, {"version": 1}]},
                             "node": {"id": card["id"]}}  # fmt: skip

    bi = await make_key(engine, Role.BI, "bi")
    denied = await gql(client, bi, CREATE, {"input": {"segment": "STARTUP", "config": CONFIG}})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_recompute_mutation_scores_and_refuses_bad_ids(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_acme_and_beta(engine)
    mutation = """mutation($ids: [ID!]) { recomputeHealth(accountIds: $ids) {
      ... on HealthRecomputed { accounts scores scored computedAt } ... on MutationError { code message field } } }"""
    csm = await make_key(engine, Role.CSM, "csm")
    done = (await gql(client, csm, mutation))["data"]["recomputeHealth"]
    assert (done["accounts"], done["scores"]) == (2, 2)
    bad = (await gql(client, csm, mutation, {"ids": ["nonsense"]}))["data"]["recomputeHealth"]
    assert (bad["code"], bad["field"]) == ("BAD_USER_INPUT", "accountIds")
    listed = await gql(client, admin_key, "{ scorecards { name segment version } }")
    assert listed["data"]["scorecards"] == [{"name": "overall", "segment": None, "version": 1}]  # the shipped one


OVERRIDE = """mutation($input: OverrideHealthInput!) { overrideHealth(input: $input) {
  ... on HealthOverride { id score reason createdBy expiresAt } ... on MutationError { code message field } } }"""
LIFT = """mutation($id: ID!) { liftHealthOverride(id: $id) {
  ... on HealthOverride { liftedAt liftedBy } ... on MutationError { code message } } }"""
ACME_HEALTH = """{ accounts(filter: {search: "acme"}) { edges { node {
  health { score effectiveScore override { score reason createdBy } } } } } }"""


async def acme_health(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    body = await gql(client, key, ACME_HEALTH)
    assert "errors" not in body, body
    health: dict[str, Any] = body["data"]["accounts"]["edges"][0]["node"]["health"]
    return health


async def test_overrides_apply_beside_the_computed_score_until_lifted_or_expired(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_acme_and_beta(engine)
    await score_at(engine, NOW)
    ids = await gql(client, admin_key, '{ accounts(filter: {search: "acme"}) { edges { node { id } } } }')
    account = ids["data"]["accounts"]["edges"][0]["node"]["id"]
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=14)).isoformat()
    base = {"accountId": account, "score": 35, "reason": "Champion left; renewal at risk", "expiresAt": later}

    refusals: list[tuple[dict[str, Any], str, str]] = [
        ({"expiresAt": "2020-01-01T00:00:00Z"}, "expiresAt", "must be in the future"),
        ({"expiresAt": (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).isoformat()}, "expiresAt", "at most 366"),
        ({"reason": "   "}, "reason", "say why"),
        ({"score": 150}, "score", "0 to 100"),
        ({"accountId": "nonsense"}, "accountId", "not a valid cshub id"),
    ]
    for bad, field, message in refusals:
        refused = (await gql(client, admin_key, OVERRIDE, {"input": {**base, **bad}}))["data"]["overrideHealth"]
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", field), refused
        assert message in refused["message"]
    assert (await acme_health(client, admin_key))["override"] is None  # nothing was written

    csm = await make_key(engine, Role.CSM, "Aiko")
    made = (await gql(client, csm, OVERRIDE, {"input": base}))["data"]["overrideHealth"]
    assert (made["score"], made["reason"]) == (35.0, "Champion left; renewal at risk")
    health = await acme_health(client, admin_key)
    assert (health["score"], health["effectiveScore"], health["override"]["score"]) == (72.54, 35.0, 35.0)
    assert health["override"]["createdBy"].startswith("Aiko")

    newer = (await gql(client, csm, OVERRIDE, {"input": {**base, "score": 20}}))["data"]["overrideHealth"]
    assert (await acme_health(client, admin_key))["effectiveScore"] == 20.0  # the newest applies

    lifted = (await gql(client, csm, LIFT, {"id": newer["id"]}))["data"]["liftHealthOverride"]
    assert lifted["liftedAt"] is not None
    assert (await acme_health(client, admin_key))["effectiveScore"] == 35.0  # the earlier one still applies
    again = (await gql(client, csm, LIFT, {"id": newer["id"]}))["data"]["liftHealthOverride"]
    assert (again["code"], "already lifted" in again["message"]) == ("CONFLICT", True)
    await gql(client, csm, LIFT, {"id": made["id"]})
    health = await acme_health(client, admin_key)
    assert (health["override"], health["effectiveScore"]) == (None, 72.54)

    # An override past its expiry stops applying on its own.
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO health_overrides (account_id, score_name, score, reason, created_by, created_at, "
                "expires_at) SELECT id, 'overall', 5, 'old news', 'Ben', now() - interval '2 days', "
                "now() - interval '1 second' FROM accounts WHERE name = 'Acme'"
            )
        )
    assert (await acme_health(client, admin_key))["override"] is None

    bi = await make_key(engine, Role.BI, "bi")
    denied = await gql(client, bi, OVERRIDE, {"input": base})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_manual_score_counts_from_the_next_recompute_with_its_comment(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    await load_acme_and_beta(engine)
    ids = await gql(client, admin_key, '{ accounts(filter: {search: "acme"}) { edges { node { id } } } }')
    account = ids["data"]["accounts"]["edges"][0]["node"]["id"]
    mutation = """mutation($input: SetManualScoreInput!) { setManualScore(input: $input) {
      ... on ManualScore { score comment createdBy } ... on MutationError { code message field } } }"""
    refused = await gql(client, admin_key, mutation, {"input": {"accountId": account, "score": 80, "comment": " "}})
    assert (refused["data"]["setManualScore"]["code"], refused["data"]["setManualScore"]["field"]) == (
        "BAD_USER_INPUT",
        "comment",
    )
    csm = await make_key(engine, Role.CSM, "Aiko")
    set_ = {"accountId": account, "score": 80, "comment": "Exec sponsor engaged, QBR went well"}
    made = (await gql(client, csm, mutation, {"input": set_}))["data"]["setManualScore"]
    assert (made["score"], made["createdBy"].startswith("Aiko")) == (80.0, True)

    await gql(client, csm, "mutation { recomputeHealth { __typename } }")
    body = await gql(client, admin_key, '{ accounts(filter: {search: "acme"}) { edges { node { health { measures '
                     "{ key rawValue score missing note } } } } } }")  # fmt: skip
    measures = {m["key"]: m for m in body["data"]["accounts"]["edges"][0]["node"]["health"]["measures"]}
    manual = measures["manual"]
    assert (manual["rawValue"], manual["score"], manual["missing"]) == (80.0, 80.0, False)
    assert manual["note"].startswith("Exec sponsor engaged, QBR went well (Aiko")
