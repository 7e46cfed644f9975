"""The GraphQL error policy: expected errors keep message and code, unexpected ones are masked and logged."""

import logging

import pytest
import strawberry

from service.api.schema import CshubSchema
from service.errors import NotFound
from service.graphql.errors import INTERNAL_ERROR_MESSAGE, ErrorPolicy


@strawberry.type
class _Query:
    @strawberry.field
    def expected(self) -> str:
        raise NotFound("no such widget")

    @strawberry.field
    def unexpected(self) -> str:
        raise RuntimeError("password=hunter2 in a stack trace")


class _Context:
    request_id = "req-42"


SCHEMA = CshubSchema(query=_Query, extensions=[ErrorPolicy])


async def test_expected_error_keeps_its_message_and_code(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    result = await SCHEMA.execute("{ expected }", context_value=_Context())
    assert result.errors is not None
    assert result.errors[0].message == "no such widget"
    assert result.errors[0].extensions == {"code": "NOT_FOUND"}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_unexpected_error_is_masked_with_request_id_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    result = await SCHEMA.execute("{ unexpected }", context_value=_Context())
    assert result.errors is not None
    error = result.errors[0]
    assert error.message == INTERNAL_ERROR_MESSAGE
    assert "hunter2" not in str(error.formatted)
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    logged = [r for r in caplog.records if r.name == "cshub.graphql"]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert getattr(logged[0], "request_id", None) == "req-42"


async def test_parse_errors_carry_a_code() -> None:
    result = await SCHEMA.execute("{ expected ", context_value=_Context())
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
