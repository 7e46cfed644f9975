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
