import pytest

from service.errors import ConfigurationError
from service.settings import Environment, load_settings, normalize_database_url


def test_database_url_spellings_are_normalised_to_asyncpg() -> None:
    for raw in ("postgres://u@h:5432/db", "postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"):
        assert normalize_database_url(raw) == "postgresql+asyncpg://u@h:5432/db"


def test_plain_database_url_variable_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSHUB_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.internal:5432/cshub")
    assert load_settings().database_url == "postgresql+asyncpg://app@db.internal:5432/cshub"


def test_no_database_url_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSHUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert load_settings().uses_embedded_database


def test_environment_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSHUB_ENVIRONMENT", "Production")
    assert load_settings().environment is Environment.PRODUCTION


def test_bad_settings_give_one_readable_line_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSHUB_ENVIRONMENT", "staging")
    monkeypatch.setenv("CSHUB_PORT", "99999")
    monkeypatch.setenv("CSHUB_DATABASE_URL", "mysql://admin:hunter2@db/x")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = caught.value.message
    assert "\n" not in message
    assert "CSHUB_ENVIRONMENT" in message
    assert "CSHUB_PORT" in message
    assert "must be a PostgreSQL URL" in message
    assert "hunter2" not in message


def test_url_without_database_name_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSHUB_DATABASE_URL", "postgresql://u@h:5432")
    with pytest.raises(ConfigurationError, match="must name a database"):
        load_settings()


def test_overload_limits_are_read_from_the_environment_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSHUB_RATE_LIMIT_GRAPHQL_PER_MINUTE", "0")
    monkeypatch.setenv("CSHUB_RATE_LIMIT_INGEST_BURST", "7")
    monkeypatch.setenv("CSHUB_DB_STATEMENT_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("CSHUB_GRAPHQL_MAX_BODY_BYTES", "4096")
    settings = load_settings()
    assert settings.rate_limit_graphql_per_minute == 0  # off
    assert (settings.rate_limit_ingest_per_minute, settings.rate_limit_ingest_burst) == (600, 7)
    assert settings.db_statement_timeout_seconds == 2.5
    assert settings.graphql_max_body_bytes == 4096
    monkeypatch.setenv("CSHUB_RATE_LIMIT_INGEST_BURST", "0")
    monkeypatch.setenv("CSHUB_DB_STATEMENT_TIMEOUT_SECONDS", "-1")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "CSHUB_RATE_LIMIT_INGEST_BURST" in caught.value.message
    assert "CSHUB_DB_STATEMENT_TIMEOUT_SECONDS" in caught.value.message


def test_graphql_operation_limits_are_read_from_the_environment_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in [("MAX_TOKENS", "500"), ("MAX_DEPTH", "6"), ("MAX_ALIASES", "0"), ("MAX_COST", "5000"),
                        ("COST_LIST_SIZE", "25")]:  # fmt: skip
        monkeypatch.setenv(f"CSHUB_GRAPHQL_{name}", value)
    settings = load_settings()
    assert (settings.graphql_max_tokens, settings.graphql_max_depth, settings.graphql_max_aliases) == (500, 6, 0)
    assert (settings.graphql_max_cost, settings.graphql_cost_list_size) == (5000, 25)
    monkeypatch.setenv("CSHUB_GRAPHQL_MAX_DEPTH", "1")
    monkeypatch.setenv("CSHUB_GRAPHQL_MAX_COST", "0")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "CSHUB_GRAPHQL_MAX_DEPTH" in caught.value.message
    assert "CSHUB_GRAPHQL_MAX_COST" in caught.value.message
