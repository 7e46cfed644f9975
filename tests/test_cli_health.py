"""``cshub health recompute``: every account, or the ones named, scored in one run; bad ids are usage errors."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.cli import main
from tests.ingesting import ingest, rows


@pytest.fixture
async def two_accounts(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: AsyncEngine) -> list[str]:
    monkeypatch.setenv("CSHUB_DATABASE_URL", database_url)
    accounts = [{"external_id": "a", "name": "Acme"}, {"external_id": "b", "name": "Beta"}]
    await ingest(engine, "crm", "accounts", accounts)
    return [str(row[0]) for row in await rows(engine, "SELECT id FROM accounts ORDER BY name")]


def test_recompute_scores_all_accounts_or_the_named_ones(
    two_accounts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health", "recompute"]) == 0
    out = capsys.readouterr().out
    assert "health: 2 scores for 2 accounts (0 scored, 2 without enough data)" in out  # no facts: no fake score

    assert main(["health", "recompute", "--account", two_accounts[1]]) == 0
    assert "health: 1 scores for 1 accounts" in capsys.readouterr().out


def test_a_bad_account_id_is_a_usage_error(two_accounts: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "recompute", "--account", "acme"]) == 2
    assert "--account takes account ids (UUIDs)" in capsys.readouterr().err
