"""GraphQL over HTTP conformance, one test per rule of https://graphql.github.io/graphql-over-http/draft/
(MUST, SHOULD, and the MAYs cshub takes), named after the rule. The service's own choices are marked "cshub:".
"""

import json
from typing import Any

import httpx
import pytest

from tests.statements import counting_statements

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
QUERY = "{ accounts(first: 1) { totalCount } }"
TYPO = "{ accounts(first: 1) { totalCountt } }"
UNPARSABLE = "{ accounts("


def auth(key: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **headers}


async def post(
    client: httpx.AsyncClient, key: str, body: Any, accept: str | None = JSON, content_type: str = JSON
) -> httpx.Response:
    headers = auth(key, **{"Content-Type": content_type})
    request = client.build_request("POST", "/graphql", content=json.dumps(body).encode(), headers=headers)
    if accept is None:
        del request.headers["accept"]
    else:
        request.headers["accept"] = accept
    return await client.send(request)


async def get(client: httpx.AsyncClient, key: str, accept: str = JSON, **params: str) -> httpx.Response:
    return await client.get("/graphql", params=params, headers=auth(key, Accept=accept))


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


# --- Request: methods and encodings


async def test_server_must_accept_post_with_application_json(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await post(client, admin_key, {"query": QUERY})
    assert response.status_code == 200
    assert response.json() == {"data": {"accounts": {"totalCount": 0}}}


async def test_get_requests_may_carry_the_parameters_in_the_query_string(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await get(
        client,
        admin_key,
        query="query Q($n: Int) { accounts(first: $n) { totalCount } }",
        variables=json.dumps({"n": 1}),
        operationName="Q",
        extensions="{}",
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"accounts": {"totalCount": 0}}}


async def test_get_variables_must_be_json_encoded(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await get(client, admin_key, query=QUERY, variables="n=1")
    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


async def test_get_empty_operation_name_is_the_same_as_omitting_it(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await get(client, admin_key, query=QUERY, operationName="")
    assert response.status_code == 200
    assert "errors" not in response.json()


async def test_get_must_not_execute_mutations_405_with_allow(client: httpx.AsyncClient, admin_key: str) -> None:
    await get(client, admin_key, query="mutation {")  # the key's first use looks it up; then it is cached
    with counting_statements() as baseline:
        await get(client, admin_key, query="mutation {")
    with counting_statements() as statements:
        response = await get(client, admin_key, query="mutation { recomputeHealth { __typename } }")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert codes(response) == ["METHOD_NOT_ALLOWED"]
    assert len(statements) == len(baseline)  # halted before execution: not one statement of the mutation ran


async def test_get_of_a_query_in_a_document_that_also_holds_a_mutation_runs_the_query(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    document = f"query Q {QUERY} mutation M {{ recomputeHealth {{ __typename }} }}"
    response = await get(client, admin_key, query=document, operationName="Q")
    assert response.status_code == 200
    assert response.json()["data"] == {"accounts": {"totalCount": 0}}


async def test_methods_other_than_get_and_post_are_405_with_allow(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await client.put("/graphql", json={"query": QUERY}, headers=auth(admin_key))
    assert response.status_code == 405
    assert {method.strip() for method in response.headers["allow"].split(",")} >= {"GET", "POST"}


@pytest.mark.parametrize("method", ["HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])
async def test_every_refused_method_gets_the_same_allow(client: httpx.AsyncClient, admin_key: str, method: str) -> None:
    response = await client.request(method, "/graphql", headers=auth(admin_key))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"  # HEAD is refused too, so it is not listed


async def test_post_without_content_type_should_be_rejected_with_4xx(client: httpx.AsyncClient, admin_key: str) -> None:
    request = client.build_request("POST", "/graphql", content=json.dumps({"query": QUERY}), headers=auth(admin_key))
    assert "content-type" not in request.headers
    response = await client.send(request)
    assert response.status_code == 415
    assert codes(response) == ["UNSUPPORTED_MEDIA_TYPE"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "query=%7B+__typename+%7D"),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ __typename }\r\n--x--\r\n',
        ),
        ("text/plain", '{"query": "{ __typename }"}'),
    ],
    ids=["form", "multipart", "text"],
)
async def test_cshub_refuses_bodies_a_cross_site_form_can_send_415(
    client: httpx.AsyncClient, admin_key: str, content_type: str, body: str
) -> None:
    response = await client.post("/graphql", content=body, headers=auth(admin_key, **{"Content-Type": content_type}))
    assert response.status_code == 415
    assert codes(response) == ["UNSUPPORTED_MEDIA_TYPE"]


async def test_utf8_must_be_assumed_when_the_content_type_names_no_charset(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    query = '{ accountByDomain(domain: "zoë-café.example") { name } }'  # non-ASCII, sent as UTF-8
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": query}, ensure_ascii=False).encode(),
        headers=auth(admin_key, **{"Content-Type": JSON}),
    )
    assert response.status_code == 200
    assert "'zoë-café.example' is not a domain name" in response.json()["errors"][0]["message"]  # read as UTF-8


async def test_application_json_with_charset_utf8_is_accepted(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await post(client, admin_key, {"query": QUERY}, content_type="application/json; charset=UTF-8")
    assert response.status_code == 200


async def test_cshub_refuses_json_in_another_charset_415(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await post(client, admin_key, {"query": QUERY}, content_type="application/json; charset=latin-1")
    assert response.status_code == 415


# --- Request: parameters


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_json_parsing_failure_should_be_400(client: httpx.AsyncClient, admin_key: str, accept: str) -> None:
    for body in (b"NONSENSE", b'{"query":', b"", b"[" * 100_000):
        response = await client.post(
            "/graphql", content=body, headers=auth(admin_key, Accept=accept, **{"Content-Type": JSON})
        )
        assert response.status_code == 400, body[:20]
        assert media_type(response) == accept
        assert codes(response) == ["BAD_REQUEST"]


@pytest.mark.parametrize("body", ["a string", 42, None, True])
async def test_a_body_that_is_not_a_json_object_is_not_a_well_formed_request_400(
    client: httpx.AsyncClient, admin_key: str, body: Any
) -> None:
    response = await post(client, admin_key, body)
    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


async def test_cshub_answers_a_batch_with_a_clear_400(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await post(client, admin_key, [{"query": QUERY}, {"query": QUERY}])
    assert response.status_code == 400
    assert "batched operations" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_a_request_without_query_should_be_400(client: httpx.AsyncClient, admin_key: str, accept: str) -> None:
    for body in ({"qeury": "{ __typename }"}, {"query": None}, {"query": "  "}):
        response = await post(client, admin_key, body, accept=accept)
        assert response.status_code == 400, body
        assert media_type(response) == accept
    assert (await get(client, admin_key)).status_code == 400


@pytest.mark.parametrize("query", [{"a": 1}, 42, True, ["{ __typename }"]], ids=["object", "number", "bool", "array"])
async def test_a_query_that_is_not_a_string_may_be_400(client: httpx.AsyncClient, admin_key: str, query: Any) -> None:
    assert (await post(client, admin_key, {"query": query})).status_code == 400


@pytest.mark.parametrize("variables", ["{}", 42, True, [7]], ids=["string", "number", "bool", "array"])
async def test_variables_that_are_not_a_map_may_be_400(
    client: httpx.AsyncClient, admin_key: str, variables: Any
) -> None:
    assert (await post(client, admin_key, {"query": QUERY, "variables": variables})).status_code == 400


@pytest.mark.parametrize(
    "name",
    [{"a": 1}, 42, True, ["Q"], {}, [], 0, False],
    ids=["object", "number", "bool", "array", "empty object", "empty array", "zero", "false"],
)
async def test_an_operation_name_that_is_not_a_string_may_be_400(
    client: httpx.AsyncClient, admin_key: str, name: Any
) -> None:
    assert (await post(client, admin_key, {"query": QUERY, "operationName": name})).status_code == 400


@pytest.mark.parametrize("extensions", ["{}", 42, [1]], ids=["string", "number", "array"])
async def test_extensions_that_are_not_a_map_may_be_400(
    client: httpx.AsyncClient, admin_key: str, extensions: Any
) -> None:
    assert (await post(client, admin_key, {"query": QUERY, "extensions": extensions})).status_code == 400


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_null_optional_parameters_must_be_allowed(client: httpx.AsyncClient, admin_key: str, accept: str) -> None:
    body = {"query": QUERY, "variables": None, "operationName": None, "extensions": None}
    response = await post(client, admin_key, body, accept=accept)
    assert response.status_code == 200
    assert response.json() == {"data": {"accounts": {"totalCount": 0}}}


async def test_operation_name_selects_the_operation_to_execute(client: httpx.AsyncClient, admin_key: str) -> None:
    document = "query A { accounts(first: 1) { totalCount } } query B { __typename }"
    response = await post(client, admin_key, {"query": document, "operationName": "B"})
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(("accept", "status"), [(GRAPHQL_RESPONSE, 400), (JSON, 200)])
async def test_when_the_operation_cannot_be_determined_nothing_executes(
    client: httpx.AsyncClient, admin_key: str, accept: str, status: int
) -> None:
    for body in (
        {"query": "query A { __typename } query B { __typename }"},
        {"query": "query A { __typename }", "operationName": "C"},
    ):
        response = await post(client, admin_key, body, accept=accept)
        assert response.status_code == status
        assert "data" not in response.json()
        assert codes(response) == ["OPERATION_RESOLUTION_FAILURE"]


async def test_cshub_does_not_serve_subscriptions(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await post(client, admin_key, {"query": "subscription { __typename }"})
    assert response.status_code == 400


async def test_cshub_refuses_a_get_parameter_given_twice(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await client.get(
        "/graphql?query=%7B__typename%7D&query=%7Baccounts%7BtotalCount%7D%7D", headers=auth(admin_key)
    )
    assert response.status_code == 400


# --- Response: media type negotiation


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (JSON, JSON),
        (f"{GRAPHQL_RESPONSE}; charset=utf-8, {JSON}; charset=utf-8", GRAPHQL_RESPONSE),  # the spec's recommendation
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
        (f"{JSON}, {GRAPHQL_RESPONSE};q=0.5", JSON),
        (f"text/html, {GRAPHQL_RESPONSE};q=0.1", GRAPHQL_RESPONSE),
        ("application/*", JSON),
    ],
)
async def test_the_server_must_respect_accept_and_answer_in_its_highest_priority_supported_type(
    client: httpx.AsyncClient, admin_key: str, accept: str, expected: str
) -> None:
    response = await post(client, admin_key, {"query": QUERY}, accept=accept)
    assert response.status_code == 200
    assert media_type(response) == expected


async def test_a_wildcard_accept_gets_application_json(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await post(client, admin_key, {"query": TYPO}, accept="*/*")
    assert media_type(response) == JSON
    assert response.status_code == 200  # the legacy status rules come with it


async def test_no_accept_header_is_treated_as_graphql_response_json(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await post(client, admin_key, {"query": QUERY}, accept=None)
    assert media_type(response) == GRAPHQL_RESPONSE


@pytest.mark.parametrize("accept", ["text/html", "application/xml", f"{GRAPHQL_RESPONSE};q=0, {JSON};q=0"])
async def test_accept_without_a_supported_type_is_406(client: httpx.AsyncClient, admin_key: str, accept: str) -> None:
    await post(client, admin_key, {"query": UNPARSABLE})  # the key's first use looks it up; then it is cached
    with counting_statements() as baseline:
        await post(client, admin_key, {"query": UNPARSABLE})
    with counting_statements() as statements:
        response = await post(client, admin_key, {"query": QUERY}, accept=accept)
    assert response.status_code == 406
    assert codes(response) == ["NOT_ACCEPTABLE"]
    assert len(statements) == len(baseline)  # processing stopped: the query did not run


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_the_content_type_must_name_the_media_type_and_should_name_the_encoding(
    client: httpx.AsyncClient, admin_key: str, accept: str
) -> None:
    response = await post(client, admin_key, {"query": QUERY}, accept=accept)
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"


# --- Response: status codes


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        (UNPARSABLE, {}, "GRAPHQL_VALIDATION_FAILED"),
        (TYPO, {}, "GRAPHQL_VALIDATION_FAILED"),
        ("query($n: Int!) { accounts(first: $n) { totalCount } }", {"n": "many"}, "GRAPHQL_VALIDATION_FAILED"),
    ],
    ids=["document-parsing", "document-validation", "variable-coercion"],
)
async def test_graphql_response_json_request_errors_should_be_400_without_data(
    client: httpx.AsyncClient, admin_key: str, query: str, variables: dict[str, Any], code: str
) -> None:
    response = await post(client, admin_key, {"query": query, "variables": variables}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert media_type(response) == GRAPHQL_RESPONSE
    assert "data" not in response.json()
    assert codes(response) == [code]


@pytest.mark.parametrize(
    ("query", "variables"),
    [(UNPARSABLE, {}), (TYPO, {}), ("query($n: Int!) { accounts(first: $n) { totalCount } }", {"n": "many"})],
    ids=["document-parsing", "document-validation", "variable-coercion"],
)
async def test_application_json_request_errors_should_be_200(
    client: httpx.AsyncClient, admin_key: str, query: str, variables: dict[str, Any]
) -> None:
    response = await post(client, admin_key, {"query": query, "variables": variables}, accept=JSON)
    assert response.status_code == 200
    assert "data" not in response.json()
    assert response.json()["errors"]


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_field_errors_are_200_with_data(client: httpx.AsyncClient, admin_key: str, accept: str) -> None:
    query = '{ ok: accounts(first: 1) { totalCount } bad: accountByDomain(domain: "not a domain") { name } }'
    response = await post(client, admin_key, {"query": query}, accept=accept)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"ok": {"totalCount": 0}, "bad": None}
    assert [error["path"] for error in body["errors"]] == [["bad"]]
    assert codes(response) == ["BAD_USER_INPUT"]


async def test_cshub_http_errors_are_graphql_shaped_with_code_and_request_id(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await client.post(
        "/graphql",
        content=b"query=x",
        headers=auth(admin_key, Accept=GRAPHQL_RESPONSE, **{"Content-Type": "text/plain", "X-Request-ID": "req-7"}),
    )
    assert response.status_code == 415
    assert media_type(response) == GRAPHQL_RESPONSE
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UNSUPPORTED_MEDIA_TYPE", "requestId": "req-7"}
    assert "application/json" in error["message"]


async def test_graphiql_is_served_only_to_a_browser_asking_for_html(client: httpx.AsyncClient, admin_key: str) -> None:
    page = await client.get("/graphql", headers=auth(admin_key, Accept="text/html,*/*;q=0.8"))
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    no_query = await client.get("/graphql", headers=auth(admin_key, Accept="*/*"))
    assert no_query.status_code == 400  # an API client without `query` gets an error, not a web page
