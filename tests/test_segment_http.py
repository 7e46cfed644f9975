"""``POST /segment/v1/{call}`` in-process: what each call writes, write keys, limits, rejections, replays."""

import datetime as dt
import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from service.errors import ConfigurationError
from service.segment.signature import signature
from service.settings import Settings
from tests.app_client import app_client
from tests.conftest import make_key
from tests.ingesting import ingest, rows
from tests.segment_calls import NOW, account_360, basic, batch, call, group, identify, stamp, track


@pytest.fixture
async def write_key(engine: AsyncEngine) -> str:
    return await make_key(engine, Role.INGEST, "segment write key")


async def send(client: httpx.AsyncClient, key: str, body: Any, route: str = "batch", **headers: str) -> httpx.Response:
    return await client.post(f"/segment/v1/{route}", json=body, headers={**basic(key), **headers})


async def written(engine: AsyncEngine) -> dict[str, int]:
    counts = {}
    for table in ("accounts", "contacts", "usage_events", "source_links", "unmatched_records"):
        counts[table] = (await rows(engine, f"SELECT count(*) FROM {table}"))[0][0]
    counts["daily_events"] = (await rows(engine, "SELECT coalesce(sum(events), 0) FROM usage_daily"))[0][0]
    return counts


async def test_group_identify_and_track_land_in_the_account_360(
    client: httpx.AsyncClient, write_key: str, admin_key: str
) -> None:
    body = batch(
        identify("u1", email="Ada@Acme.example", firstName="Ada", lastName="Lovelace", title="CTO"),
        group("g1", "u1", name="Acme", website="https://www.acme.example/", industry="Software", plan="pro"),
        track("u1", "Report Exported"),  # no groupId: the account u1 was placed in by the group call
        track("u2", "Report Exported", group_id="g1"),
        call("page", userId="u1", name="Home"),
        call("screen", anonymousId="anon-7", name="Dashboard", context={"groupId": "g1"}),
        call("alias", userId="u1", previousId="anon-7"),
    )
    response = await send(client, write_key, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "rejected": []}
    account = await account_360(client, admin_key, "g1")
    assert account["name"] == "Acme"
    assert account["domain"] == "acme.example"
    assert account["industry"] == "Software"
    assert account["contacts"] == [{"name": "Ada Lovelace", "email": "ada@acme.example", "title": "CTO"}]
    assert account["activeUsers"] == 3  # u1, u2 and the anonymous visitor
    assert sorted((f["feature"], f["events"], f["users"]) for f in account["featureAdoption"]) == [
        ("Report Exported", 2, 2),
        ("Viewed Dashboard Screen", 1, 1),
        ("Viewed Home Page", 1, 1),
    ]


async def test_the_bearer_header_works_too_and_a_wrong_key_writes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str
) -> None:
    body = batch(group("g1", name="Acme"))
    before = await written(engine)
    for headers in (basic("not-a-key"), {"Authorization": "Basic !!!"}, {}):
        response = await client.post("/segment/v1/batch", json=body, headers=headers)
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "UNAUTHENTICATED"
    assert await written(engine) == before
    bearer = await client.post("/segment/v1/batch", json=body, headers={"Authorization": f"Bearer {write_key}"})
    assert bearer.status_code == 200
    assert (await written(engine))["accounts"] == 1


@pytest.mark.parametrize("role", [Role.CSM, Role.SALES, Role.BI])
async def test_only_ingest_and_admin_keys_send_calls(
    client: httpx.AsyncClient, engine: AsyncEngine, role: Role
) -> None:
    key = await make_key(engine, role, f"test {role}")
    response = await send(client, key, batch(group("g1", name="Acme")))
    assert response.status_code == 403
    assert (await written(engine))["accounts"] == 0


async def test_a_key_bound_to_other_sources_is_refused_and_one_bound_to_segment_is_not(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.begin() as conn:
        crm = (await api_keys.create_key(conn, role=Role.INGEST, name="crm", sources=["crm"])).secret
        segment = (await api_keys.create_key(conn, role=Role.INGEST, name="seg", sources=["segment"])).secret
    refused = await send(client, crm, batch(group("g1", name="Acme")))
    assert refused.status_code == 403
    assert "segment" in refused.json()["detail"]
    assert (await send(client, segment, batch(group("g1", name="Acme")))).status_code == 200


async def test_a_replayed_batch_writes_nothing_new(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str
) -> None:
    calls = [group("g1", "u1", name="Acme"), identify("u1", email="a@acme.example"), track("u1", "Login")]
    assert (await send(client, write_key, batch(*calls))).json() == {"success": True, "rejected": []}
    first = await written(engine)
    # A retry: the same calls, sent a moment later (another sentAt, so another corrected timestamp).
    replay = await send(client, write_key, batch(*calls, sent_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)))
    assert replay.json() == {"success": True, "rejected": []}
    assert await written(engine) == first
    assert (first["usage_events"], first["daily_events"]) == (1, 1)


async def test_bad_calls_are_reported_and_the_good_ones_kept(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str, admin_key: str
) -> None:
    body = batch(
        group("g1", "u1", name="Acme"),
        track("u1", ""),  # no event name
        "not a call",
        track("u1", "Big", properties={"blob": "x" * 33_000}),
        group("g2", website="not a domain"),
        track("u1", "Login", message_id="m-1"),
        track("nobody", "Login"),  # no groupId and an unknown user
        call("track", event="Login", context={"groupId": "g1"}),  # neither userId nor anonymousId
    )
    response = await send(client, write_key, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["success"] is True
    rejected = {entry["index"]: entry for entry in answer["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 4, 6, 7]
    assert rejected[1]["errors"][0]["path"] == "event"
    assert rejected[2] == {
        "index": 2,
        "messageId": None,
        "errors": [{"path": "", "message": rejected[2]["errors"][0]["message"]}],
    }
    assert "32768 bytes per call" in rejected[3]["errors"][0]["message"]
    assert rejected[4]["errors"][0]["path"] == "traits.website"
    assert rejected[4]["messageId"] == body["batch"][4]["messageId"]
    assert rejected[6]["errors"][0]["path"] == "context.groupId"
    assert "no account is known for user 'nobody'" in rejected[6]["errors"][0]["message"]
    assert rejected[7]["errors"][0]["path"] == "userId"
    account = await account_360(client, admin_key, "g1")
    assert [(f["feature"], f["events"]) for f in account["featureAdoption"]] == [("Login", 1)]
    counts = await written(engine)
    assert counts["accounts"] == 1  # g2 wrote nothing


async def test_segment_sizes_are_enforced(client: httpx.AsyncClient, engine: AsyncEngine, write_key: str) -> None:
    big = [track("u1", "Login", group_id="g1", properties={"pad": "x" * 30_000}) for _ in range(18)]
    response = await send(client, write_key, batch(*big))
    assert response.status_code == 413
    assert "512000 bytes per batch" in response.json()["detail"]
    single = await send(
        client, write_key, track("u1", "Login", group_id="g1", properties={"pad": "x" * 33_000}), "track"
    )
    assert single.status_code == 413
    assert "32768 bytes per call" in single.json()["detail"]
    assert set((await written(engine)).values()) == {0}


async def test_a_call_is_measured_as_compact_json_not_as_sent(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str
) -> None:
    """A number in exponent form grows when written back (`1e15` -> `1000000000000000.0`): a call of 10 KB as sent
    is over the limit of 32 KB as Segment counts it, however it was measured in the body; one whose compact JSON
    is under the limit is taken, spaces and escapes in the body notwithstanding."""
    grown = track("u1", "Grown", group_id="g1")
    padded = track("u1", "Padded", group_id="g1", properties={"pad": "é" * 9_000})
    text = json.dumps(batch(grown, padded), ensure_ascii=True, indent=4)
    text = text.replace('"properties": {}', '"properties": {"many": [' + ",".join(["1e15"] * 2_000) + "]}", 1)
    assert 10_000 < len(text) < 80_000
    response = await client.post(
        "/segment/v1/batch", content=text, headers={**basic(write_key), "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    rejected = response.json()["rejected"]
    assert [(entry["index"], entry["errors"][0]["path"]) for entry in rejected] == [(0, "")]
    assert "over Segment's limit of 32768 bytes per call" in rejected[0]["errors"][0]["message"]
    counts = await written(engine)
    assert (counts["usage_events"], counts["unmatched_records"]) == (0, 1)  # no account g1: the taken call waits


async def test_single_calls_answer_success_or_a_400_with_the_reason(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str
) -> None:
    ok = await send(client, write_key, {"groupId": "g1", "traits": {"name": "Acme"}}, "group")
    assert ok.status_code == 200
    assert ok.json() == {"success": True, "rejected": []}
    tracked = await send(client, write_key, {"userId": "u1", "event": "Login", "context": {"groupId": "g1"}}, "track")
    assert tracked.json() == {"success": True, "rejected": []}
    refused = await send(client, write_key, {"userId": "u1", "context": {"groupId": "g1"}}, "track")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "the call was not taken: event: required: the name of the action the user took"
    unknown_user = await send(client, write_key, {"userId": "u9", "event": "Login"}, "track")
    assert unknown_user.status_code == 400
    assert "no account is known for user 'u9'" in unknown_user.json()["detail"]
    assert (await send(client, write_key, {"x": 1}, "nope")).status_code == 404
    assert (await written(engine))["usage_events"] == 1


async def test_whole_bodies_that_are_not_a_batch_are_refused(client: httpx.AsyncClient, write_key: str) -> None:
    for body, phrase in (([], "JSON object"), ({"batch": {}}, "'batch' must be an array")):
        response = await send(client, write_key, body)
        assert response.status_code == 400
        assert phrase in response.json()["detail"]
    not_json = await client.post(
        "/segment/v1/batch", content=b"{", headers={**basic(write_key), "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    xml = await client.post(
        "/segment/v1/batch", content=b"<a/>", headers={**basic(write_key), "Content-Type": "application/xml"}
    )
    assert xml.status_code == 415


async def test_timestamps_are_corrected_for_the_device_clock(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str
) -> None:
    # A device whose clock is two hours fast: it stamped the event, then sent it 5 minutes later by its clock.
    fast = dt.timedelta(hours=2)
    happened = NOW - dt.timedelta(minutes=5)
    body = batch(track("u1", "Login", group_id="g1", at=happened + fast), sent_at=dt.datetime.now(dt.UTC) + fast)
    await send(client, write_key, batch(group("g1", name="Acme")))
    assert (await send(client, write_key, body)).json()["rejected"] == []
    ((occurred_at,),) = await rows(engine, "SELECT occurred_at FROM usage_events")
    assert abs(occurred_at - happened) < dt.timedelta(seconds=5)
    # Without sentAt the timestamp is taken as it is; originalTimestamp stands in for a missing timestamp.
    plain = track("u1", "Login", group_id="g1", at=happened)
    original = track("u1", "Logout", group_id="g1")
    original["originalTimestamp"] = original.pop("timestamp")
    assert (await send(client, write_key, {"batch": [plain, original]})).json()["rejected"] == []
    stored = dict(await rows(engine, "SELECT event_name, occurred_at FROM usage_events WHERE event_name = 'Logout'"))
    assert stored["Logout"] == NOW


async def test_group_traits_match_an_existing_account_by_domain(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str, admin_key: str
) -> None:
    await ingest(engine, "crm", "accounts", [{"external_id": "A-1", "name": "Acme Inc", "domain": "acme.example"}])
    await send(client, write_key, batch(group("g1", "u1", name="acme", domain="acme.example"), track("u1", "Login")))
    assert (await written(engine))["accounts"] == 1
    account = await account_360(client, admin_key, "g1")
    assert account["name"] == "Acme Inc"  # the CRM created it and owns its profile
    assert account["featureAdoption"][0]["feature"] == "Login"


async def test_events_of_a_group_not_yet_known_wait_and_land_when_it_arrives(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str, admin_key: str
) -> None:
    answer = await send(client, write_key, batch(track("u1", "Login", group_id="g-late")))
    assert answer.json() == {"success": True, "rejected": []}
    assert (await written(engine))["unmatched_records"] == 1
    await send(client, write_key, batch(group("g-late", name="Late Co")))
    account = await account_360(client, admin_key, "g-late")
    assert account["featureAdoption"] == [{"feature": "Login", "events": 1, "users": 1}]


async def test_an_older_identify_arriving_late_changes_nothing(
    client: httpx.AsyncClient, write_key: str, admin_key: str
) -> None:
    await send(client, write_key, batch(group("g1", "u1", name="Acme"), identify("u1", title="CTO")))
    older = identify("u1", title="Intern")
    older["timestamp"] = stamp(NOW - dt.timedelta(days=1))
    assert (await send(client, write_key, batch(older))).json() == {"success": True, "rejected": []}
    assert (await account_360(client, admin_key, "g1"))["contacts"][0]["title"] == "CTO"


async def test_gzip_bodies_are_read(client: httpx.AsyncClient, engine: AsyncEngine, write_key: str) -> None:
    body = gzip.compress(json.dumps(batch(group("g1", name="Acme"))).encode())
    headers = {**basic(write_key), "Content-Type": "application/json", "Content-Encoding": "gzip"}
    response = await client.post("/segment/v1/batch", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert (await written(engine))["accounts"] == 1
    broken = await client.post("/segment/v1/batch", content=b"not gzip", headers=headers)
    assert broken.status_code == 400


async def test_the_webhook_signature_is_required_when_a_secret_is_set(
    settings: Settings, engine: AsyncEngine, write_key: str
) -> None:
    body = json.dumps(group("g1", name="Acme")).encode()
    headers = {**basic(write_key), "Content-Type": "application/json"}
    async with app_client(settings, segment_webhook_secret="s3cret") as (client, _):
        for sent in (None, "0" * 40, signature("other", body)):
            refused = await client.post(
                "/segment/v1/group", content=body, headers={**headers, **({"X-Signature": sent} if sent else {})}
            )
            assert refused.status_code == 401, refused.text
        assert (await written(engine))["accounts"] == 0
        signed = await client.post(
            "/segment/v1/group", content=body, headers={**headers, "X-Signature": signature("s3cret", body)}
        )
        assert signed.status_code == 200, signed.text
    assert (await written(engine))["accounts"] == 1


async def test_the_trait_mapping_is_configurable_and_checked_at_start(
    settings: Settings, tmp_path: Path, write_key: str, admin_key: str
) -> None:
    mapping = tmp_path / "traits.json"
    mapping.write_text(json.dumps({"group": {"company_name": "name", "vertical": "industry"}}))
    async with app_client(settings, segment_traits_file=mapping) as (client, _):
        body = batch(group("g1", name="ignored", company_name="Acme", vertical="Retail"))
        assert (await send(client, write_key, body)).json()["rejected"] == []
        account = await account_360(client, admin_key, "g1")
        assert (account["name"], account["industry"]) == ("Acme", "Retail")
    mapping.write_text(json.dumps({"group": {"tier": "plan"}}))
    with pytest.raises(ConfigurationError, match=r"group.tier → 'plan' is not an account field; one of: name, domain"):
        async with app_client(settings, segment_traits_file=mapping):
            pass
    mapping.write_text("{")
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        async with app_client(settings, segment_traits_file=mapping):
            pass


async def test_calls_repeated_within_one_batch_are_written_once(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str, admin_key: str
) -> None:
    later = NOW + dt.timedelta(seconds=1)
    same = track("u1", "Login", message_id="m-1")
    body = batch(
        group("g1", "u1", name="Acme"),
        call("group", groupId="g1", userId="u1", traits={"industry": "Retail"}, at=later),
        identify("u1", title="CTO"),
        call("identify", userId="u1", traits={"email": "a@acme.example"}, at=later),
        same,
        same,
    )
    response = await send(client, write_key, body)
    assert response.json() == {"success": True, "rejected": []}, response.text
    account = await account_360(client, admin_key, "g1")
    assert (account["name"], account["industry"]) == ("Acme", "Retail")
    assert account["contacts"] == [{"name": None, "email": "a@acme.example", "title": "CTO"}]
    assert account["featureAdoption"] == [{"feature": "Login", "events": 1, "users": 1}]
    counts = await written(engine)
    assert (counts["accounts"], counts["contacts"], counts["usage_events"]) == (1, 1, 1)


async def test_a_message_id_is_the_dedupe_key_whatever_the_call_says_again(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str, admin_key: str
) -> None:
    """Segment dedupes on ``messageId``: a second call with a stored id (in the batch or before) is a retry, taken
    and dropped, never refused as a changed event."""
    body = batch(group("g1", "u1", name="Acme"), track("u1", "Login", message_id="m-1"))
    assert (await send(client, write_key, body)).json() == {"success": True, "rejected": []}
    again = batch(track("u1", "Export", message_id="m-1"), track("u1", "Search", message_id="m-2"))
    again["batch"].append(track("u1", "Upload", message_id="m-2"))
    assert (await send(client, write_key, again)).json() == {"success": True, "rejected": []}
    account = await account_360(client, admin_key, "g1")
    assert account["featureAdoption"] == [
        {"feature": "Login", "events": 1, "users": 1},
        {"feature": "Search", "events": 1, "users": 1},
    ]
    assert (await written(engine))["usage_events"] == 2


async def test_the_audit_log_records_what_the_calls_wrote_and_what_was_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str
) -> None:
    await send(client, write_key, batch(group("g1", "u1", name="Acme"), track("u1", "Login")))
    bi = await make_key(engine, Role.BI, "reader")
    assert (await send(client, bi, batch(track("u1", "Login")))).status_code == 403
    assert (await send(client, write_key, {"batch": "no"})).status_code == 400
    entries = await rows(
        engine, "SELECT action, target, outcome, details->>'source' FROM audit_log ORDER BY occurred_at, action"
    )
    assert entries == [
        ("ingest:accounts", "accounts", "ok", "segment"),
        ("ingest:contacts", "contacts", "ok", "segment"),
        ("ingest:usage-events", "usage-events", "ok", "segment"),
        ("ingest:segment", "batch", "refused", None),
        ("ingest:segment", "batch", "refused", "segment"),
    ]


async def test_the_webhook_route_takes_one_call_of_any_type_or_an_array_of_calls(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str, admin_key: str
) -> None:
    one = await send(client, write_key, group("g1", "u1", name="Acme"), "webhook")
    assert one.json() == {"success": True, "rejected": []}
    many = [identify("u1", email="a@acme.example"), call("page", userId="u1"), track("u1", "")]
    answer = await send(client, write_key, many, "webhook")
    assert answer.status_code == 200
    assert [entry["index"] for entry in answer.json()["rejected"]] == [2]
    bad = await send(client, write_key, call("nonsense", userId="u1"), "webhook")
    assert bad.status_code == 400
    assert "type: must be one of" in bad.json()["detail"]
    account = await account_360(client, admin_key, "g1")
    assert account["contacts"][0]["email"] == "a@acme.example"
    assert account["featureAdoption"] == [{"feature": "Loaded a Page", "events": 1, "users": 1}]


async def test_a_numeric_value_property_is_the_events_value(
    client: httpx.AsyncClient, engine: AsyncEngine, write_key: str
) -> None:
    events = [track("u1", "Seats Added", "g1", properties={"value": 0.1 + 0.2}), track("u1", "Login", "g1")]
    assert (await send(client, write_key, batch(group("g1", name="Acme"), *events))).json()["rejected"] == []
    stored = dict(await rows(engine, "SELECT event_name, value FROM usage_events"))
    assert stored == {"Seats Added": Decimal("0.3000"), "Login": None}


async def test_basic_credentials_count_only_on_the_segment_routes(client: httpx.AsyncClient, write_key: str) -> None:
    response = await client.post("/v1/ingest/accounts", json={"source": "s", "records": []}, headers=basic(write_key))
    assert response.status_code == 401
    assert "expected 'Authorization: Bearer <key>'" in response.json()["detail"]


async def test_segment_calls_spend_the_ingest_rate_limit(settings: Settings, write_key: str) -> None:
    async with app_client(settings, rate_limit_ingest_burst=1, rate_limit_ingest_per_minute=1) as (client, _):
        assert (await send(client, write_key, batch())).status_code == 200
        limited = await client.post(
            "/v1/ingest/accounts", json={"source": "s", "records": []}, headers={"Authorization": f"Bearer {write_key}"}
        )
        assert limited.status_code == 429


async def test_an_identify_that_moves_a_user_moves_their_later_events_of_the_batch(
    client: httpx.AsyncClient, write_key: str, admin_key: str
) -> None:
    await send(client, write_key, batch(group("g1", "u1", name="Old Co"), group("g2", name="New Co")))
    moved = identify("u1", email="a@new.example")
    moved["context"]["groupId"] = "g2"
    assert (await send(client, write_key, batch(moved, track("u1", "Login")))).json()["rejected"] == []
    assert (await account_360(client, admin_key, "g1"))["contacts"] == []
    new = await account_360(client, admin_key, "g2")
    assert new["contacts"][0]["email"] == "a@new.example"
    assert new["featureAdoption"] == [{"feature": "Login", "events": 1, "users": 1}]


async def test_the_segment_source_is_configurable(settings: Settings, engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        bound = (await api_keys.create_key(conn, role=Role.INGEST, name="app", sources=["product"])).secret
    async with app_client(settings, segment_source="product") as (client, _):
        assert (await send(client, bound, batch(group("g1", name="Acme")))).json() == {"success": True, "rejected": []}
    assert await rows(engine, "SELECT source, object_type, external_id FROM source_links") == [
        ("product", "account", "g1")
    ]


async def test_every_error_carries_its_text_as_message_for_the_sdks(
    settings: Settings, engine: AsyncEngine, write_key: str
) -> None:
    """Segment's and RudderStack's SDKs show an error body's ``message`` ("Unknown error" without it): every
    refusal of a Segment route carries it beside problem+json's ``detail``; other routes do not."""
    csm = await make_key(engine, Role.CSM, "not a writer")
    async with app_client(settings, rate_limit_ingest_burst=4, rate_limit_ingest_per_minute=1) as (client, _):
        refusals = [
            await client.post("/segment/v1/batch", json=batch(), headers=basic("not-a-key")),  # 401, middleware
            await send(client, csm, batch()),  # 403, authorization
            await send(client, write_key, {"x": 1}, "nope"),  # 404
            await send(client, write_key, {"userId": "u1", "context": {"groupId": "g1"}}, "track"),  # 400
            await client.post(
                "/segment/v1/batch", content=b"<a/>", headers={**basic(write_key), "Content-Type": "application/xml"}
            ),  # 415
            await client.get("/segment/v1/batch", headers=basic(write_key)),  # 405, the router
            await send(client, write_key, batch()),  # 429: the fifth request of a burst of 4
        ]
        other = await client.post("/v1/ingest/accounts", json={"source": "s", "records": []}, headers=basic(write_key))
    assert [response.status_code for response in refusals] == [401, 403, 404, 400, 415, 405, 429]
    for response in refusals:
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["message"] == problem["detail"], problem
        assert problem["message"]
        assert problem["status"] == response.status_code
    assert other.status_code == 401
    assert "message" not in other.json()
